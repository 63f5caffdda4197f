/**
 * WebVTT written out, shared by the api Worker (the file storage serves to players) and the SPA's cue
 * editor (the file it sends back). Free of zod, so the SPA's bundle stays without it.
 */

export type TimestampFormat = 'vtt' | 'srt';

export interface Cue {
  startMs: number;
  endMs: number;
  /** The cue payload as sanitized WebVTT markup, lines joined with '\n'. */
  text: string;
  /** The WebVTT cue settings kept (position and layout only), space-joined. */
  settings?: string;
}

/** `01:02:03.045` (WebVTT) or `01:02:03,045` (SRT). */
export function timestamp(ms: number, format: TimestampFormat): string {
  const two = (n: number) => String(Math.floor(n)).padStart(2, '0');
  return `${two(ms / 3_600_000)}:${two((ms / 60_000) % 60)}:${two((ms / 1000) % 60)}${format === 'vtt' ? '.' : ','}${String(ms % 1000).padStart(3, '0')}`;
}

export function toWebVtt(cues: readonly Cue[]): string {
  const blocks = cues.map(({ startMs, endMs, text, settings }) => `${timestamp(startMs, 'vtt')} --> ${timestamp(endMs, 'vtt')}${settings ? ` ${settings}` : ''}\n${text}\n`);
  return `WEBVTT\n\n${blocks.join('\n')}`;
}
