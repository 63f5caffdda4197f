import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DOWNLOAD } from '../../contracts/transcoder.ts';
import { JobFailure } from './failure.ts';
import { AUDIO_BITRATE, AUDIO_SAMPLE_RATE, type Ladder } from './ladder.ts';
import type { ProbedSource } from './probe.ts';
import type { Storyboard } from './storyboard.ts';

/**
 * x264's speed/quality trade-off: the slowest (best-compressing) preset that still encodes the full
 * 1080/720/480/360 ladder faster than realtime on 2 cores. Measured on 1080p30 (CPU seconds per
 * second of video): ultrafast 0.53, superfast 0.83, veryfast 1.2, faster 1.7. Two cores give ffmpeg
 * about 1.7 CPU-s/s in practice, so `veryfast` runs at ~1.4x realtime and `faster` does not keep up
 * (the other presets were measured once; `npm run bench:transcode` measures veryfast's every run).
 */
export const PRESET = 'veryfast';
/** Every rendition has a keyframe at the same instants, so players switch renditions at any segment. */
const KEYFRAME_SECONDS = 2;
/** A multiple of KEYFRAME_SECONDS: every segment starts on a keyframe. */
export const SEGMENT_SECONDS = 4;

/** Output names, relative to the job's output folder (and prefix). */
export { MASTER_PLAYLIST } from '../../contracts/media.ts';
export const POSTER = 'poster.jpg';
export const STORYBOARD_IMAGE = 'storyboard.jpg';
export const STORYBOARD_VTT = 'storyboard.vtt';
export const AUDIO_RENDITION = 'audio';
export const renditionPlaylist = (name: string) => `${name}/index.m3u8`;

/**
 * The download: the rung's and the audio's finished HLS files remuxed into one MP4, without
 * re-encoding (seconds even for a long lecture); `faststart` so a player can begin before the end.
 */
export function downloadArgs(outDir: string, rendition: string, withAudio: boolean): string[] {
  const inputs = [renditionPlaylist(rendition), ...(withAudio ? [renditionPlaylist(AUDIO_RENDITION)] : [])].flatMap((playlist) => ['-i', `${outDir}/${playlist}`]);
  const maps = ['-map', '0:v:0', ...(withAudio ? ['-map', '1:a:0'] : [])];
  return ['-hide_banner', '-loglevel', 'error', '-nostats', '-y', ...inputs, ...maps, '-c', 'copy', '-movflags', '+faststart', `${outDir}/${DOWNLOAD}`];
}

/** A span of the source, on the segment grid, and the number of its first segment. */
export interface Chunk {
  index: number;
  startSeconds: number;
  endSeconds: number;
  firstSegment: number;
}

export interface ChunkEncodePlan {
  input: string;
  /** Segments go to `outDir/{rendition}/`; the chunk's own playlists and init segments to `chunkDir/{rendition}/`. */
  outDir: string;
  chunkDir: string;
  source: Pick<ProbedSource, 'videoStream' | 'fps'>;
  ladder: Pick<Ladder, 'renditions'>;
  chunk: Chunk;
  /** The last chunk reads to the end of the file rather than to its planned end, which a probe can misjudge. */
  last: boolean;
  threads: number;
}

/**
 * The video rungs of one chunk, no audio: the chunk is decoded once and `split` feeds every rung's
 * scaler. An input-side `-ss` (counted from the source's own start time) restarts its timestamps at
 * 0 and `-output_ts_offset` moves them to the chunk's place; `frag_discont` makes each fragment's
 * baseMediaDecodeTime that place (without it the muxer restarts at 0 and writes the offset as an
 * edit list), so the chunks' segments play one after another. `-avoid_negative_ts disabled`: the
 * first chunk's B-frames are decoded before 0, and shifting them would move that chunk alone by two
 * frames. (`-copyts -start_at_zero` instead gives the same output for MP4, but skips seconds of an
 * MPEG-TS whose clock does not start at 0.)
 */
export function videoChunkArgs(plan: ChunkEncodePlan): string[] {
  const { source, ladder, chunk } = plan;
  const renditions = ladder.renditions;
  const graph = [
    // 8-bit 4:2:0 once, before the split: what H.264 High profile and every player expect.
    `[0:${source.videoStream}]format=yuv420p,split=${renditions.length}${renditions.map((_, i) => `[r${i}]`).join('')}`,
    ...renditions.map((rendition, i) => `[r${i}]scale=${rendition.width}:${rendition.height}[v${i}]`),
  ].join(';');
  const gop = String(Math.max(1, Math.round(source.fps * KEYFRAME_SECONDS)));
  const threads = String(plan.threads);
  const start = chunk.startSeconds.toFixed(3);
  return [
    ...['-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-y', '-threads', threads],
    ...['-ss', start, ...(plan.last ? [] : ['-to', chunk.endSeconds.toFixed(3)]), '-i', plan.input],
    ...['-filter_complex_threads', threads, '-filter_complex', graph],
    ...renditions.flatMap((_, i) => ['-map', `[v${i}]`]),
    ...['-c:v', 'libx264', '-preset', PRESET, '-profile:v', 'high', '-threads', threads],
    // Keyframes every 2 s from the chunk's start, itself on that grid: they line up across rungs and chunks.
    ...['-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-force_key_frames', `expr:gte(t,n_forced*${KEYFRAME_SECONDS})`],
    // Average bitrate held to the target over a 2 s buffer (one keyframe interval).
    ...renditions.flatMap((rendition, i) => [`-b:v:${i}`, `${rendition.bitrate}`, `-maxrate:v:${i}`, `${rendition.bitrate}`, `-bufsize:v:${i}`, `${2 * rendition.bitrate}`]),
    ...['-output_ts_offset', start, '-avoid_negative_ts', 'disabled'],
    // The init segment goes beside the chunk's playlist, named by ffmpeg (init.mp4 or init_{n}.mp4): the playlist says which.
    ...hlsArgs(`${plan.outDir}/%v`, 'init.mp4', chunk.firstSegment, 'vod'),
    ...['-hls_segment_options', 'movflags=+frag_discont'],
    ...['-var_stream_map', renditions.map((rendition, i) => `v:${i},name:${rendition.name}`).join(' ')],
    `${plan.chunkDir}/${renditionPlaylist('%v')}`,
  ];
}

export interface WholeFilePlan {
  input: string;
  outDir: string;
  source: ProbedSource;
  ladder: Ladder;
  /** The poster (at `posterAtSeconds`, the size of the top rendition) and the storyboard sprite. */
  pictures: { posterAtSeconds: number; storyboard: Storyboard };
  threads: number;
}

/**
 * The audio rendition, encoded once for the whole file beside the chunks, so no chunk border can
 * click or drift; undefined for a silent source. Light (no video is decoded): it keeps ahead of the
 * first chunks, which cannot be published without the audio under them.
 */
export function audioArgs(plan: WholeFilePlan): string[] | undefined {
  const { source, ladder, outDir } = plan;
  if (!ladder.audio || source.audioStream === undefined) return undefined;
  return [
    ...['-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-y', '-threads', String(plan.threads), '-vn', '-i', plan.input],
    ...['-map', `0:${source.audioStream}`],
    ...(ladder.audio === 'copy' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', String(AUDIO_BITRATE), '-ac', '2', '-ar', String(AUDIO_SAMPLE_RATE)]),
    // EVENT: ffmpeg rewrites the playlist after each segment, so the audio is published as it is encoded.
    ...hlsArgs(`${outDir}/${AUDIO_RENDITION}`, 'init.mp4', 0, 'event'),
    `${outDir}/${renditionPlaylist(AUDIO_RENDITION)}`,
  ];
}

/** The poster and the storyboard sprite, whose tiles span every chunk: one pass over the whole video. */
export function picturesArgs(plan: WholeFilePlan): string[] {
  const { source, ladder, pictures, outDir } = plan;
  const top = ladder.renditions[0];
  if (!top) throw new Error('a ladder has at least one rendition');
  const graph = [
    `[0:${source.videoStream}]format=yuv420p,split=2[poster][thumbs]`,
    `[poster]select='gte(t,${pictures.posterAtSeconds.toFixed(3)})*eq(selected_n,0)',scale=${top.width}:${top.height}[poster_out]`,
    // The first frame of every interval, so tile k shows the picture at k × interval, as the VTT says.
    `[thumbs]select='gte(t,selected_n*${pictures.storyboard.intervalSeconds})',scale=${pictures.storyboard.tileWidth}:${pictures.storyboard.tileHeight},` +
      `tile=${pictures.storyboard.columns}x${pictures.storyboard.rows}[storyboard_out]`,
  ].join(';');
  const threads = String(plan.threads);
  return [
    ...['-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-y', '-threads', threads, '-an', '-i', plan.input],
    ...['-filter_complex_threads', threads, '-filter_complex', graph],
    ...['-map', '[poster_out]', '-frames:v', '1', '-update', '1', '-q:v', '3', `${outDir}/${POSTER}`],
    ...['-map', '[storyboard_out]', '-frames:v', '1', '-update', '1', '-q:v', '5', `${outDir}/${STORYBOARD_IMAGE}`],
  ];
}

/**
 * HLS fMP4, SEGMENT_SECONDS segments written to `segmentDir` and numbered from `firstSegment`; ffmpeg
 * puts the init segment beside the playlist, and renames each file into place once it is whole.
 */
function hlsArgs(segmentDir: string, init: string, firstSegment: number, type: 'vod' | 'event'): string[] {
  return [
    ...['-f', 'hls', '-hls_time', String(SEGMENT_SECONDS), '-hls_playlist_type', type, '-hls_segment_type', 'fmp4', '-hls_flags', 'independent_segments+temp_file'],
    ...['-start_number', String(firstSegment), '-hls_fmp4_init_filename', init, '-hls_segment_filename', `${segmentDir}/segment_%05d.m4s`],
  ];
}

const PRESIGNED_URL = /https?:\/\/\S+?(?=:\s|\s|$)/g;

/**
 * Runs ffmpeg, reporting `-progress` as the seconds of output written so far. Aborting kills it and
 * waits for it to exit, so nothing writes into the job's folder after this returns.
 */
export async function runFfmpeg(args: string[], options: { signal: AbortSignal; onProgress: (seconds: number) => void }): Promise<void> {
  options.signal.throwIfAborted();
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = () => child.kill('SIGKILL');
  options.signal.addEventListener('abort', kill, { once: true });
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    errors = (errors + chunk).slice(-4000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const microseconds = /^out_time_us=(\d+)$/.exec(line)?.[1];
    if (microseconds) options.onProgress(Number(microseconds) / 1e6);
  });
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    options.signal.throwIfAborted();
    if (code !== 0) {
      // ffmpeg names its input: a presigned URL, whose signature must not reach a message or a log.
      const reason = errors.trim().split('\n').slice(-3).join(' / ').replace(PRESIGNED_URL, 'the source') || `exit code ${code}`;
      throw new JobFailure('transcode_failed', `Encoding the video failed (ffmpeg: ${reason}).`, true);
    }
  } finally {
    options.signal.removeEventListener('abort', kill);
  }
}
