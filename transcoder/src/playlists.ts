import { SEGMENT_SECONDS } from './ffmpeg.ts';

export interface Bandwidth {
  /** Peak segment bit rate, bits/s (RFC 8216 BANDWIDTH). */
  bandwidth: number;
  /** Whole-stream bit rate, bits/s (AVERAGE-BANDWIDTH). */
  averageBandwidth: number;
}

/** What the master playlist says about one rendition. */
export interface Variant extends Bandwidth {
  playlist: string;
  width: number;
  height: number;
  codecs: string;
}

export interface Segment {
  uri: string;
  durationSeconds: number;
}

/** Segments that play after the fMP4 init segment `init`: one chunk's share of a rendition. */
export interface MediaPart {
  init: string;
  segments: Segment[];
}

/** The files a rendition's media playlist refers to: the (first) fMP4 init segment and the media segments. */
export function mediaPlaylistFiles(playlist: string): { init: string | undefined; segments: Segment[] } {
  const lines = playlist.split('\n').map((line) => line.trim());
  const init = /^#EXT-X-MAP:.*URI="([^"]+)"/.exec(lines.find((line) => line.startsWith('#EXT-X-MAP:')) ?? '')?.[1];
  const segments = lines.flatMap((line, index) => {
    const duration = /^#EXTINF:([\d.]+)/.exec(line)?.[1];
    const uri = lines.slice(index + 1).find((next) => next !== '' && !next.startsWith('#'));
    return duration && uri ? [{ uri, durationSeconds: Number(duration) }] : [];
  });
  return { init, segments };
}

/**
 * BANDWIDTH and AVERAGE-BANDWIDTH measured from the segments written, as RFC 8216 defines them,
 * rather than ffmpeg's nominal target (which a segment of busy picture can exceed).
 */
export function measuredBandwidth(segments: Array<{ bytes: number; durationSeconds: number }>): Bandwidth {
  const rates = segments.filter((s) => s.durationSeconds > 0).map((s) => (s.bytes * 8) / s.durationSeconds);
  const totalSeconds = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  const totalBits = segments.reduce((sum, s) => sum + s.bytes * 8, 0);
  return { bandwidth: Math.ceil(Math.max(1, ...rates)), averageBandwidth: Math.ceil(totalBits / Math.max(totalSeconds, 1e-3)) };
}

/**
 * The RFC 6381 name of the H.264 stream in an fMP4 init segment: `avc1.` and the profile,
 * compatibility and level bytes of its `avcC` box, which is exactly what players match on.
 */
export function avcCodec(initSegment: Buffer): string {
  const box = initSegment.indexOf('avcC');
  if (box < 0 || box + 8 > initSegment.length) throw new Error('the init segment has no avcC box');
  const hex = (byte: number | undefined) => (byte ?? 0).toString(16).padStart(2, '0');
  return `avc1.${hex(initSegment[box + 5])}${hex(initSegment[box + 6])}${hex(initSegment[box + 7])}`;
}

/**
 * A rendition's media playlist from its chunks' parts, in order, with an EXT-X-MAP wherever the init
 * segment changes. Complete: VOD with EXT-X-ENDLIST. Otherwise EVENT: players may start while it
 * grows, so its target duration is the segment length, not the longest segment so far.
 */
export function mediaPlaylist(parts: MediaPart[], complete: boolean): string {
  const segments = parts.flatMap((part) => part.segments);
  const target = Math.max(SEGMENT_SECONDS, ...segments.map((segment) => Math.round(segment.durationSeconds)));
  const entries = parts.flatMap((part, i) => [
    ...(part.init === parts[i - 1]?.init ? [] : [`#EXT-X-MAP:URI="${part.init}"`]),
    ...part.segments.flatMap((segment) => [`#EXTINF:${segment.durationSeconds.toFixed(6)},`, segment.uri]),
  ]);
  const header = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', `#EXT-X-PLAYLIST-TYPE:${complete ? 'VOD' : 'EVENT'}`, '#EXT-X-INDEPENDENT-SEGMENTS'];
  return [...header, ...entries, ...(complete ? ['#EXT-X-ENDLIST'] : []), ''].join('\n');
}

/**
 * The master playlist: one variant per video rendition, highest first, each with BANDWIDTH,
 * RESOLUTION and CODECS (its video's and the audio's); the audio, when there is some, is one
 * rendition every variant shares.
 */
export function masterPlaylist(variants: Variant[], audioPlaylist: string | undefined): string {
  const audio = audioPlaylist ? [`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="${audioPlaylist}"`] : [];
  const entries = variants.flatMap((variant) => [
    `#EXT-X-STREAM-INF:BANDWIDTH=${variant.bandwidth},AVERAGE-BANDWIDTH=${variant.averageBandwidth},RESOLUTION=${variant.width}x${variant.height},CODECS="${variant.codecs}"${audioPlaylist ? ',AUDIO="audio"' : ''}`,
    variant.playlist,
  ]);
  return ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS', ...audio, ...entries, ''].join('\n');
}
