import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { JobFailure } from './failure.ts';
import { AUDIO_BITRATE, AUDIO_SAMPLE_RATE, type Ladder } from './ladder.ts';
import type { ProbedSource } from './probe.ts';
import type { Storyboard } from './storyboard.ts';

/**
 * x264's speed/quality trade-off: the slowest (best-compressing) preset that still encodes the full
 * 1080/720/480/360 ladder faster than realtime on 2 cores. Measured on 1080p30 (CPU seconds per
 * second of video): ultrafast 0.53, superfast 0.83, veryfast 1.2, faster 1.7. Two cores give ffmpeg
 * about 1.7 CPU-s/s in practice, so `veryfast` runs at ~1.4x realtime and `faster` does not keep up
 * (`npm run bench:transcode`).
 */
export const PRESET = 'veryfast';
/** Every rendition has a keyframe at the same instants, so players switch renditions at any segment. */
const KEYFRAME_SECONDS = 2;
const SEGMENT_SECONDS = 4;

/** Output names, relative to the job's output folder (and prefix). */
export const MASTER_PLAYLIST = 'master.m3u8';
export const POSTER = 'poster.jpg';
export const STORYBOARD_IMAGE = 'storyboard.jpg';
export const STORYBOARD_VTT = 'storyboard.vtt';
export const renditionPlaylist = (name: string) => `${name}/index.m3u8`;

export interface EncodePlan {
  input: string;
  outDir: string;
  source: ProbedSource;
  ladder: Ladder;
  /** The poster (at `posterAtSeconds`, the size of the top rendition) and the storyboard sprite. */
  pictures: { posterAtSeconds: number; storyboard: Storyboard } | undefined;
}

/**
 * One ffmpeg process for everything: the source is decoded once and `split` feeds every rendition's
 * scaler (and the poster and storyboard), instead of decoding it again per rendition. The HLS muxer
 * writes one fMP4 media playlist per rendition (`-var_stream_map`); the master playlist is written
 * afterwards from what was measured (see playlists.ts).
 */
export function encodeArgs(plan: EncodePlan): string[] {
  const { source, ladder, pictures, outDir } = plan;
  const renditions = ladder.renditions;
  const top = renditions[0];
  if (!top) throw new Error('a ladder has at least one rendition');
  const branches = [...renditions.map((_, i) => `[r${i}]`), ...(pictures ? ['[poster]', '[thumbs]'] : [])];
  const graph = [
    // 8-bit 4:2:0 once, before the split: what H.264 High profile and every player expect.
    `[0:${source.videoStream}]format=yuv420p,split=${branches.length}${branches.join('')}`,
    ...renditions.map((rendition, i) => `[r${i}]scale=${rendition.width}:${rendition.height}[v${i}]`),
    ...(pictures
      ? [
          `[poster]select='gte(t,${pictures.posterAtSeconds.toFixed(3)})*eq(selected_n,0)',scale=${top.width}:${top.height}[poster_out]`,
          // The first frame of every interval, so tile k shows the picture at k × interval, as the VTT says.
          `[thumbs]select='gte(t,selected_n*${pictures.storyboard.intervalSeconds})',scale=${pictures.storyboard.tileWidth}:${pictures.storyboard.tileHeight},` +
            `tile=${pictures.storyboard.columns}x${pictures.storyboard.rows}[storyboard_out]`,
        ]
      : []),
  ].join(';');
  const gop = String(Math.max(1, Math.round(source.fps * KEYFRAME_SECONDS)));
  const audio = ladder.audio && source.audioStream !== undefined;
  const streamMap = renditions.map((rendition, i) => `v:${i}${audio ? `,a:${i}` : ''},name:${rendition.name}`).join(' ');

  return [
    ...['-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-y', '-i', plan.input],
    ...['-filter_complex', graph],
    ...renditions.flatMap((_, i) => ['-map', `[v${i}]`]),
    ...(audio ? renditions.flatMap(() => ['-map', `0:${source.audioStream}`]) : []),
    ...['-c:v', 'libx264', '-preset', PRESET, '-profile:v', 'high'],
    ...['-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-force_key_frames', `expr:gte(t,n_forced*${KEYFRAME_SECONDS})`],
    // Average bitrate held to the target over a 2 s buffer (one keyframe interval).
    ...renditions.flatMap((rendition, i) => [`-b:v:${i}`, `${rendition.bitrate}`, `-maxrate:v:${i}`, `${rendition.bitrate}`, `-bufsize:v:${i}`, `${2 * rendition.bitrate}`]),
    ...(ladder.audio === 'copy' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', String(AUDIO_BITRATE), '-ac', '2', '-ar', String(AUDIO_SAMPLE_RATE)]),
    ...['-f', 'hls', '-hls_time', String(SEGMENT_SECONDS), '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4', '-hls_flags', 'independent_segments'],
    ...['-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', `${outDir}/%v/segment_%05d.m4s`],
    ...['-var_stream_map', streamMap, `${outDir}/${renditionPlaylist('%v')}`],
    ...(pictures
      ? [
          ...['-map', '[poster_out]', '-frames:v', '1', '-update', '1', '-q:v', '3', `${outDir}/${POSTER}`],
          ...['-map', '[storyboard_out]', '-frames:v', '1', '-update', '1', '-q:v', '5', `${outDir}/${STORYBOARD_IMAGE}`],
        ]
      : []),
  ];
}

/**
 * Runs ffmpeg, reporting `-progress` as percent of the source's duration. Aborting kills it and
 * waits for it to exit, so nothing writes into the job's folder after this returns.
 */
export async function runFfmpeg(args: string[], options: { durationSeconds: number; signal: AbortSignal; onProgress: (percent: number) => void }): Promise<void> {
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
    if (microseconds) options.onProgress(Math.min(100, Math.floor(Number(microseconds) / 1e4 / options.durationSeconds)));
  });
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    options.signal.throwIfAborted();
    if (code !== 0) {
      const reason = errors.trim().split('\n').slice(-3).join(' / ') || `exit code ${code}`;
      throw new JobFailure('transcode_failed', `Encoding the video failed (ffmpeg: ${reason}).`, true);
    }
  } finally {
    options.signal.removeEventListener('abort', kill);
  }
}
