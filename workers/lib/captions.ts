import { CAPTION_LIMITS, CaptionLanguage, type CaptionFormat } from '../../contracts/captions.ts';
import { timestamp, type Cue } from '../../contracts/webvtt.ts';
import { AppError } from './errors.ts';

/**
 * Caption files (WebVTT or SRT) parsed into cues whose text is WebVTT cue markup a browser can only
 * render as text: uploads come from anyone who may edit a course, and every learner's player and
 * transcript show them. Strict, naming the line of each refusal, so an instructor can fix the file.
 */

/** What a refusal's `reason` detail says, beside its line. */
type Reason =
  | 'too_large'
  | 'nul_character'
  | 'header'
  | 'timing'
  | 'timestamp'
  | 'missing_blank_line'
  | 'end_before_start'
  | 'out_of_order'
  | 'past_duration'
  | 'too_many_cues'
  | 'cue_too_long'
  | 'no_cues';

function refuse(line: number, reason: Reason, message: string): never {
  throw new AppError('invalid_captions', `Line ${line}: ${message}`, { line, reason });
}

const LINE_BREAK = /\r\n|\r|\n/;
/** The 1-based line on which the text after `before` begins. */
const lineAfter = (before: string) => before.split(LINE_BREAK).length;

/** Hours are optional in WebVTT only; minutes and seconds stay below 60. */
const TIMESTAMP = {
  vtt: /^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/,
  srt: /^(\d{2,}):([0-5]\d):([0-5]\d),(\d{3})$/,
};
const TIMING = /^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+(.*))?$/;
/** Pixel coordinates some SRT files put after a timing: WebVTT has no such thing, so they are ignored. */
const SRT_COORDINATES = /^X1:/i;

const EXAMPLE_TIMING = (format: CaptionFormat) => `${timestamp(1000, format)} --> ${timestamp(4000, format)}`;

function readTimestamp(text: string, format: CaptionFormat): number | undefined {
  const match = TIMESTAMP[format].exec(text);
  if (!match) return undefined;
  const [, hours = '0', minutes = '0', seconds = '0', ms = '0'] = match;
  return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + Number(ms);
}

interface Timing {
  startMs: number;
  endMs: number;
  /** What follows the end time: WebVTT cue settings. */
  rest: string;
}

/** A timing line, or why the line is not one. */
function readTiming(line: string, format: CaptionFormat): Timing | { reason: 'timing' | 'timestamp'; message: string } {
  const match = TIMING.exec(line.trim());
  const [, start = '', end = '', rest = ''] = match ?? [];
  if (!match || (format === 'srt' && rest !== '' && !SRT_COORDINATES.test(rest))) {
    return { reason: 'timing', message: `expected a cue timing line such as ${EXAMPLE_TIMING(format)}.` };
  }
  const startMs = readTimestamp(start, format);
  const endMs = readTimestamp(end, format);
  if (startMs === undefined || endMs === undefined) {
    const form = format === 'vtt' ? '[hh:]mm:ss.ttt' : 'hh:mm:ss,ttt';
    return { reason: 'timestamp', message: `"${startMs === undefined ? start : end}" is not a timestamp (${form}, minutes and seconds below 60, milliseconds in 3 digits).` };
  }
  return { startMs, endMs, rest: format === 'vtt' ? rest : '' };
}

/** The cue settings a player may be told: where and how the cue is laid out, nothing that names CSS or regions. */
const PERCENT = String.raw`(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)%`;
const KEPT_SETTING = new RegExp(
  `^(?:align:(?:start|center|end|left|right)` +
    `|line:(?:-?\\d+|${PERCENT})(?:,(?:start|center|end))?` +
    `|position:${PERCENT}(?:,(?:line-left|center|line-right))?` +
    `|size:${PERCENT}` +
    `|vertical:(?:rl|lr))$`,
);

function keptSettings(rest: string): string | undefined {
  const kept = rest.split(/[ \t]+/).filter((setting) => KEPT_SETTING.test(setting));
  return kept.length > 0 ? kept.join(' ') : undefined;
}

/** Runs of non-blank lines, with the index of their first line. */
function* blocks(lines: readonly string[]): Generator<{ first: number; lines: string[] }> {
  let block: { first: number; lines: string[] } | undefined;
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') {
      if (block) yield block;
      block = undefined;
    } else if (block) block.lines.push(line);
    else block = { first: index, lines: [line] };
  }
  if (block) yield block;
}

const WEBVTT = /^WEBVTT(?:[ \t]|$)/;
/** WebVTT blocks that are not cues: comments, and styles and regions (CSS from an upload is not trusted). */
const NOT_A_CUE = /^(?:NOTE|STYLE|REGION)(?:[ \t]|$)/;
const SRT_COUNTER = /^\d+$/;

export function parseCaptions(source: string, options: { durationMs: number | null }): Cue[] {
  const bytes = new TextEncoder().encode(source);
  if (bytes.length > CAPTION_LIMITS.maxBytes) {
    const within = new TextDecoder().decode(bytes.subarray(0, CAPTION_LIMITS.maxBytes));
    refuse(lineAfter(within), 'too_large', `the file is larger than ${CAPTION_LIMITS.maxBytes} bytes, the most a caption file may have.`);
  }
  const nul = source.indexOf('\0');
  if (nul !== -1) refuse(lineAfter(source.slice(0, nul)), 'nul_character', 'the file holds a NUL character: it is not a text file.');

  const lines = source.replace(/^\uFEFF/, '').split(LINE_BREAK);
  const format: CaptionFormat = WEBVTT.test(lines[0] ?? '') ? 'vtt' : 'srt';
  const cues: Cue[] = [];
  let count = 0;
  let previousStartMs = 0;
  for (const block of blocks(lines)) {
    const lineOf = (index: number) => block.first + index + 1;
    if (format === 'vtt' && block.first === 0) {
      const timed = block.lines.findIndex((line, index) => index > 0 && line.includes('-->'));
      if (timed !== -1) refuse(lineOf(timed), 'header', 'a blank line must come between the WEBVTT header and the first cue.');
      continue;
    }
    const [first = ''] = block.lines;
    if (format === 'vtt' && NOT_A_CUE.test(first)) continue;

    // A cue may begin with an identifier (WebVTT) or a counter (SRT) line, which nothing reads.
    const labelled = format === 'vtt' ? !first.includes('-->') : SRT_COUNTER.test(first.trim());
    const at = Math.min(labelled ? 1 : 0, block.lines.length - 1);
    const timing = readTiming(block.lines[at] ?? '', format);
    if (!('startMs' in timing)) refuse(lineOf(at), timing.reason, timing.message);
    const { startMs, endMs } = timing;
    const when = (ms: number) => timestamp(ms, format);
    if (endMs <= startMs) refuse(lineOf(at), 'end_before_start', `the cue ends (${when(endMs)}) before it starts (${when(startMs)}).`);
    if (startMs < previousStartMs) {
      refuse(lineOf(at), 'out_of_order', `the cue starts (${when(startMs)}) before the one above it (${when(previousStartMs)}): cues must be in order of their start.`);
    }
    if (options.durationMs !== null && endMs > options.durationMs + CAPTION_LIMITS.durationToleranceMs) {
      refuse(lineOf(at), 'past_duration', `the cue ends (${when(endMs)}) after the video does (${when(options.durationMs)}).`);
    }
    if (++count > CAPTION_LIMITS.maxCues) refuse(lineOf(at), 'too_many_cues', `the file has more than ${CAPTION_LIMITS.maxCues} cues, the most a track may have.`);
    previousStartMs = startMs;

    const payload = block.lines.slice(at + 1);
    const stray = payload.findIndex((line) => 'startMs' in readTiming(line, format));
    if (stray !== -1) refuse(lineOf(at + 1 + stray), 'missing_blank_line', 'a cue timing inside the text of the cue above: put a blank line before each cue.');
    const text = sanitizeCueText(format === 'srt' ? fromSrtMarkup(payload.join('\n')) : payload.join('\n'));
    if (text.length > CAPTION_LIMITS.maxCueChars) {
      refuse(lineOf(at + 1), 'cue_too_long', `the cue's text is ${text.length} characters long as WebVTT; the most is ${CAPTION_LIMITS.maxCueChars}.`);
    }
    if (cuePlainText(text).trim() === '') continue;
    const settings = keptSettings(timing.rest);
    cues.push({ startMs, endMs, text, ...(settings ? { settings } : {}) });
  }
  if (cues.length === 0) refuse(1, 'no_cues', 'the file has no cue with text.');
  return cues;
}

/** SRT's markup as WebVTT: its italic, bold and underline tags in lower case, without font tags or ASS overrides (`{\an8}`). */
function fromSrtMarkup(text: string): string {
  return text
    .replace(/\{\\[^{}]*\}/g, '')
    .replace(/<\/?font\b[^<>]*>/gi, '')
    .replace(/<(\/?)([ibu])>/gi, (_, close: string, name: string) => `<${close}${name.toLowerCase()}>`);
}

const NAMED_ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['lrm', '\u200E'],
  ['rlm', '\u200F'],
  ['nbsp', '\u00A0'],
]);
const ENTITY = String.raw`&(?:(${[...NAMED_ENTITIES.keys()].join('|')})|#(\d{1,7})|#[xX]([\dA-Fa-f]{1,6}));`;
const ENTITIES = new RegExp(ENTITY, 'g');
const ESCAPED = new RegExp(`${ENTITY}|[<>&]`, 'g');
const ESCAPES = new Map([
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['&', '&amp;'],
]);

/** The character an entity stands for; undefined for a numeric one naming a control character or no character at all. */
function entityCharacter(name: string | undefined, decimal: string | undefined, hex: string | undefined): string | undefined {
  if (name !== undefined) return NAMED_ENTITIES.get(name);
  const code = decimal !== undefined ? Number(decimal) : Number.parseInt(hex ?? '', 16);
  const printable = code >= 0x20 && !(code >= 0x7f && code <= 0x9f) && !(code >= 0xd800 && code <= 0xdfff) && code <= 0x10ffff;
  return printable ? String.fromCodePoint(code) : undefined;
}

/** Text with `<`, `>` and every `&` that does not begin a known entity escaped. */
function escapeText(text: string): string {
  return text.replace(
    ESCAPED,
    (token, name?: string, decimal?: string, hex?: string) => ESCAPES.get(token) ?? (entityCharacter(name, decimal, hex) === undefined ? `&amp;${token.slice(1)}` : token),
  );
}

/** Script and style elements lose their content too: it is code, not words. */
const CODE_ELEMENT = /<(script|style)\b[^<>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi;
/**
 * A tag is `<` and a letter or `/` and a letter, as in HTML, or a cue timestamp: "x < 5" and "I <3 it"
 * are text. Character classes without `<`, so that no `<` is read twice: the scan stays linear.
 */
const CUE_TOKEN = /<(\/?)([A-Za-z][^<>\n]*)>|<(\d[\d:.]*)>|[^<]+|</g;
const START_TAG = /^([^\s.]+)((?:\.[^\s.]*)*)(?:\s+(.*))?$/;
const CUE_TAGS = new Set(['c', 'i', 'b', 'u', 'ruby', 'rt', 'v', 'lang']);
/** A class may not end with `--`: followed by the tag's `>` it would be `-->`, which ends a cue. */
const CUE_CLASS = /^[\w-]*\w$/;

/** One start tag as WebVTT allows it, or undefined to drop it (with its end tag, which then matches nothing). */
function startTag(body: string, parent: string | undefined): { name: string; tag: string } | undefined {
  const [, name = '', classes = '', annotation = ''] = START_TAG.exec(body) ?? [];
  if (!CUE_TAGS.has(name) || (name === 'rt' && parent !== 'ruby')) return undefined;
  const kept = classes.split('.').filter((cls) => CUE_CLASS.test(cls));
  const opening = [name, ...kept].join('.');
  if (name !== 'v' && name !== 'lang') return { name, tag: `<${opening}>` };
  // A voice names its speaker and a language span its language: neither means anything without it.
  const words = annotation.trim().replace(/\s+/g, ' ');
  if (words === '' || (name === 'lang' && !CaptionLanguage.safeParse(words).success)) return undefined;
  // A trailing hyphen is written as an entity so the tag cannot end in `-->`.
  return { name, tag: `<${opening} ${escapeText(words).replace(/-$/, '&#45;')}>` };
}

/**
 * Cue text as WebVTT markup that only says what WebVTT can say: its cue tags (closed where the cue
 * ends, end tags matching nothing dropped) and timestamps. Any other tag is removed, and every `<`,
 * `>` and `&` that is not markup or a known entity is escaped, so no player can read HTML into it.
 */
function sanitizeCueText(raw: string): string {
  const printable = [...raw].filter((char) => char >= ' ' || char === '\n' || char === '\t').join('');
  const open: string[] = [];
  let text = '';
  for (const [token, close, body = '', stamp] of printable.replace(CODE_ELEMENT, '').matchAll(CUE_TOKEN)) {
    if (stamp !== undefined && readTimestamp(stamp, 'vtt') !== undefined) text += token;
    else if (close === '/') {
      // As WebVTT reads it, `</ruby>` also ends the ruby text it holds.
      if (body === 'ruby' && open.at(-1) === 'rt') text += `</${open.pop()}>`;
      if (open.at(-1) === body) text += `</${open.pop()}>`;
    } else if (close === '') {
      const kept = startTag(body, open.at(-1));
      if (kept) {
        open.push(kept.name);
        text += kept.tag;
      }
    } else text += escapeText(token);
  }
  text += open.reverse().map((name) => `</${name}>`).join('');
  // A blank line would end the cue early.
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .join('\n');
}

/** A cue's words without markup, entities decoded and lines joined by spaces: for the transcript and the search index. */
export function cuePlainText(text: string): string {
  return text
    .replace(/<[^>]*>/g, '')
    .replace(ENTITIES, (token, name?: string, decimal?: string, hex?: string) => entityCharacter(name, decimal, hex) ?? token)
    .replaceAll('\n', ' ');
}
