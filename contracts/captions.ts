import { z } from 'zod';

/**
 * Caption tracks, shared by the api Worker (which parses an upload into cues, `workers/lib/captions.ts`)
 * and the SPA (which checks a file before sending it and lays out right-to-left tracks).
 */

export const CAPTION_LIMITS = {
  /** Of the uploaded file, in UTF-8 bytes. */
  maxBytes: 2_000_000,
  maxCues: 10_000,
  /** Of a cue's stored text (sanitized WebVTT markup, UTF-16 code units): what a column or schema may rely on. */
  maxCueChars: 1_000,
  /** Of a track's label ("English", "العربية (مترجمة آلياً)"). */
  maxLabelChars: 64,
  /** A cue may end this much after the video's duration: encoders round a video's length either way. */
  durationToleranceMs: 1_000,
} as const;

/** A BCP 47 language tag, pragmatically: a primary language and any subtags (`en`, `ar-SA`, `zh-Hant`). */
export const CaptionLanguage = z
  .string()
  .max(35)
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as en, ar or ar-SA');
export type CaptionLanguage = z.infer<typeof CaptionLanguage>;

export const CaptionFormat = z.enum(['vtt', 'srt']);
export type CaptionFormat = z.infer<typeof CaptionFormat>;

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'yi', 'dv', 'ckb', 'sd', 'ug']);
const RTL_SCRIPTS = new Set(['arab', 'hebr', 'thaa', 'syrc']);

/**
 * Whether a track is laid out right to left. A script subtag decides when there is one: Arabic written
 * in Latin letters (`ar-Latn`) reads left to right, Azerbaijani in Arabic letters (`az-Arab`) right to left.
 */
export function isRightToLeft(language: string): boolean {
  const [primary = '', ...subtags] = language.toLowerCase().split('-');
  const script = subtags.find((subtag) => /^[a-z]{4}$/.test(subtag));
  return script === undefined ? RTL_LANGUAGES.has(primary) : RTL_SCRIPTS.has(script);
}
