import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { messages as shell } from './messages.ts';

export type Language = 'en' | 'ar';
type Dictionaries = Record<Language, Record<string, string>>;
const STORAGE_KEY = 'kce.language';
/** The shell's words; an area's join when its first page loads (`areaPages`), so the entry chunk carries none of them. */
const dictionaries: Dictionaries = { en: { ...shell.en }, ar: { ...shell.ar } };

/** Page loaders of one area: each also loads the area's words (a chunk of their own) before its page renders. */
export function areaPages(area: () => Promise<{ messages: Dictionaries }>) {
  return <T,>(load: () => Promise<T>) =>
    async (): Promise<T> => {
      const [page, { messages }] = await Promise.all([load(), area()]);
      Object.assign(dictionaries.en, messages.en);
      Object.assign(dictionaries.ar, messages.ar);
      return page;
    };
}

interface I18n {
  language: Language;
  dir: 'ltr' | 'rtl';
  /** The `Intl` locale of the language (Latin digits in Arabic too), for formatters that take one (`formatMoney`). */
  locale: string;
  setLanguage(language: Language): void;
  /** A message by key, `{name}` placeholders filled; an Arabic gap falls back to English, never to the key. */
  t(key: string, values?: Record<string, string | number>): string;
  formatNumber(value: number, options?: Intl.NumberFormatOptions): string;
  formatDate(value: string | Date, options?: Intl.DateTimeFormatOptions): string;
  /** "2 hr 5 min", "45 sec": a length of time the way people say it. */
  formatDuration(seconds: number): string;
}

const I18nContext = createContext<I18n | undefined>(undefined);

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'ar') return stored;
  return navigator.language.startsWith('ar') ? 'ar' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const dir = language === 'ar' ? 'rtl' : 'ltr';
  useEffect(() => {
    document.documentElement.lang = language;
    document.documentElement.dir = dir;
  }, [language, dir]);
  const setLanguage = useCallback((next: Language) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLanguageState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    // Latin digits in Arabic too: course numbers, times and percentages read the same in both.
    const locale = language === 'ar' ? 'ar-u-nu-latn' : 'en';
    return {
      language,
      dir,
      locale,
      setLanguage,
      t: (key, values) => {
        const text = dictionaries[language][key] ?? dictionaries.en[key] ?? key;
        return values ? text.replace(/\{(\w+)\}/g, (whole, name: string) => String(values[name] ?? whole)) : text;
      },
      formatNumber: (n, options) => new Intl.NumberFormat(locale, options).format(n),
      formatDuration: (seconds) => {
        const unit = (value: number, name: 'hour' | 'minute' | 'second') => new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
        if (seconds < 60) return unit(Math.round(seconds), 'second');
        const minutes = Math.round(seconds / 60);
        const hours = Math.floor(minutes / 60);
        if (hours === 0) return unit(minutes, 'minute');
        return minutes % 60 === 0 ? unit(hours, 'hour') : `${unit(hours, 'hour')} ${unit(minutes % 60, 'minute')}`;
      },
      formatDate: (d, options) => new Intl.DateTimeFormat(locale, options ?? { dateStyle: 'medium' }).format(typeof d === 'string' ? new Date(d) : d),
    };
  }, [language, dir, setLanguage]);
  return <I18nContext value={value}>{children}</I18nContext>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error('useI18n outside I18nProvider');
  return context;
}
