import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARABIC_FOLDS, ARABIC_REMOVED, normalizeSearchText } from '../../contracts/arabic.ts';

describe('normalizeSearchText', () => {
  it('makes the spellings of one Arabic word the same', () => {
    const same: [string, string, string][] = [
      ['مقدّمة', 'مقدمه', 'مقدمه'],
      ['أحمد', 'احمد', 'احمد'],
      ['إسلام', 'اسلام', 'اسلام'],
      ['آمن', 'امن', 'امن'],
      ['ٱلله', 'الله', 'الله'],
      ['مستشفى', 'مستشفي', 'مستشفي'],
      ['العـــلم', 'العلم', 'العلم'],
      ['بِسْمِ اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ', 'بسم الله الرحمن الرحيم', 'بسم الله الرحمن الرحيم'],
      // The superscript alef goes rather than becoming an alef: ذلك and الرحمن are how these words are typed.
      ['ذَٰلِكَ لَا رَيْبَ ۛ فِيهِ ۛ', 'ذلك لا ريب فيه', 'ذلك لا ريب فيه'],
    ];
    for (const [written, typed, normalized] of same) {
      expect(normalizeSearchText(written), written).toBe(normalized);
      expect(normalizeSearchText(typed), typed).toBe(normalized);
    }
  });

  it('reads presentation forms and full-width letters as the letters they show', () => {
    expect(normalizeSearchText('ﻻ ﺍﻟﻌﻠﻢ')).toBe('لا العلم');
    expect(normalizeSearchText('ＡＢＣ １２３')).toBe('abc 123');
  });

  it('leaves English as it is but for case and spacing', () => {
    expect(normalizeSearchText('  Hello,\u00A0WORLD\t\n again — café ')).toBe('hello, world again — café');
    expect(normalizeSearchText('Introduction to SQL: JOINs')).toBe('introduction to sql: joins');
  });

  it('is the same when applied again, as the index and the query both apply it', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom(...ARABIC_FOLDS.flat(), 'ـ', 'ّ', 'ٰ', 'ۖ', ' ', '\t', 'A', 'ب', 'ﻻ'), fc.string({ unit: 'grapheme', maxLength: 1 })) });
    fc.assert(fc.property(text, (s) => normalizeSearchText(normalizeSearchText(s)) === normalizeSearchText(s)));
  });

  it('is built from data a SQL mirror can use as it is', () => {
    expect(ARABIC_REMOVED.source).toBe('[\\u064B-\\u065F\\u0670\\u06D6-\\u06ED\\u0640]');
    expect(ARABIC_FOLDS.map(([from, to]) => `${from}>${to}`).join(' ')).toBe('أ>ا إ>ا آ>ا ٱ>ا ة>ه ى>ي');
  });
});
