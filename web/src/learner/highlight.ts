import { normalizeSearchText } from '../../../contracts/arabic.ts';

/** `[start, end)` UTF-16 offsets of a match in a text, as the spoken-word search answers them. */
export type Range = [number, number];

/**
 * Where `query` occurs in `text`, compared as search compares (`normalizeSearchText` on both sides:
 * `مقدمه` finds `مقدّمة`), as offsets into the original text. Each code point is folded on its own,
 * so every folded character knows which original one it came from.
 */
export function matchRanges(text: string, query: string): Range[] {
  const needle = normalizeSearchText(query);
  if (!needle) return [];
  let folded = '';
  const origin: number[] = [];
  let offset = 0;
  for (const character of text) {
    // Whitespace runs fold to one space, as normalizeSearchText collapses them (it would trim a lone one away).
    const piece = /\s/.test(character) ? (folded.endsWith(' ') ? '' : ' ') : normalizeSearchText(character);
    folded += piece;
    for (let index = 0; index < piece.length; index++) origin.push(offset);
    offset += character.length;
  }
  origin.push(offset);
  const ranges: Range[] = [];
  for (let at = folded.indexOf(needle); at >= 0; at = folded.indexOf(needle, at + needle.length)) {
    const last = origin[at + needle.length - 1] ?? 0;
    // Up to where the next kept character comes from: marks after the last letter (folded away) belong
    // to the match, and a ligature matched in part (ﻻ folds to two letters) is marked whole.
    ranges.push([origin[at] ?? 0, origin.slice(at + needle.length).find((from) => from > last) ?? offset]);
  }
  return ranges;
}
