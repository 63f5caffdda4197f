/**
 * Search text, normalized the same way wherever it is compared: the index of spoken words and the
 * query (the server mirrors these rules in SQL, from the data below), and the SPA's highlighting of a
 * match in a transcript. Arabic is written with or without its optional marks and with letters that
 * writers interchange, so those are folded away.
 */

/**
 * Removed: the harakat (U+064B–U+065F), superscript alef (U+0670), Quranic annotation marks
 * (U+06D6–U+06ED) and tatweel (U+0640), which only stretches a word. Written with \u escapes, which
 * PostgreSQL's regular expressions read the same way.
 */
export const ARABIC_REMOVED = /[\u064B-\u065F\u0670\u06D6-\u06ED\u0640]/g;

/** Letters folded into the one people type: the alef forms into bare alef, ta marbuta into ha, alef maqsura into ya. */
export const ARABIC_FOLDS: ReadonlyArray<readonly [string, string]> = [
  ['\u0623', '\u0627'],
  ['\u0625', '\u0627'],
  ['\u0622', '\u0627'],
  ['\u0671', '\u0627'],
  ['\u0629', '\u0647'],
  ['\u0649', '\u064A'],
];

const FOLDS = new Map(ARABIC_FOLDS);
const FOLDED = new RegExp(`[${ARABIC_FOLDS.map(([from]) => from).join('')}]`, 'g');

/**
 * NFKC first, so presentation forms (ﻻ, ﷲ) and full-width letters become the letters they show;
 * then the Arabic rules, lower case and single spaces.
 */
export function normalizeSearchText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(ARABIC_REMOVED, '')
    .replace(FOLDED, (letter) => FOLDS.get(letter) ?? letter)
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
