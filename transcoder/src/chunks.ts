import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { AUDIO_RENDITION, renditionPlaylist, runFfmpeg, SEGMENT_SECONDS, videoChunkArgs, wholeFileArgs, type Chunk, type WholeFilePlan } from './ffmpeg.ts';
import type { Ladder } from './ladder.ts';
import { inParallel } from './parallel.ts';
import { mediaPlaylist, mediaPlaylistFiles, type MediaPart } from './playlists.ts';

/**
 * Chunk lengths, multiples of SEGMENT_SECONDS. Short ones first, so the first seconds are encoded
 * soon after the start; then long ones, which spend less on each ffmpeg's start-up and on decoding
 * from the keyframe before their start.
 */
export interface ChunkSizes {
  rampSeconds: number[];
  steadySeconds: number;
}
export const CHUNK_SIZES: ChunkSizes = { rampSeconds: [4, 8, 16, 32], steadySeconds: 48 };

/**
 * The audio, poster and storyboard pass's cost per second of source beside a chunk's, so progress
 * reaches 100 % only when it is done too (`npm run bench:transcode`, one core: 0.09 vs 1.6 s per s).
 */
const WHOLE_FILE_COST = 0.06;

/** The source cut into chunks on the segment grid; the last one takes what remains. */
export function planChunks(durationSeconds: number, sizes: ChunkSizes = CHUNK_SIZES): Chunk[] {
  const chunks: Chunk[] = [];
  for (let start = 0; start < durationSeconds; ) {
    const planned = start + (sizes.rampSeconds[chunks.length] ?? sizes.steadySeconds);
    // A tail shorter than a segment joins the chunk before it rather than costing an ffmpeg run of its own.
    const end = durationSeconds - planned < SEGMENT_SECONDS ? durationSeconds : planned;
    chunks.push({ index: chunks.length, startSeconds: start, endSeconds: end, firstSegment: start / SEGMENT_SECONDS });
    start = end;
  }
  return chunks;
}

/** Where a chunked encode writes: the published output, and each chunk's own playlists and init segments. */
export interface ChunkFolders {
  outDir: string;
  chunksDir: string;
}

export interface ChunkedEncode extends Omit<WholeFilePlan, 'threads'>, ChunkFolders {
  chunks: Chunk[];
  /** Chunks an earlier run of the job finished (resume.ts): counted as done, not encoded again. */
  done?: ReadonlySet<number>;
  /** How many ffmpeg processes run at once; each gets an equal share of the cores as threads. */
  concurrency: number;
  signal: AbortSignal;
  /** Percent of the chunks' seconds encoded, never decreasing. */
  onProgress(percent: number): void;
  /** Told of each chunk as it is done; stopped before the final playlists are written. */
  publisher?: ChunkPublisher;
}

export interface ChunkPublisher {
  chunkDone(chunk: Chunk): void;
  /** Ends publishing (after a failure too); never throws. */
  close(): Promise<void>;
  /** Ends publishing and throws what made it fail, if anything did. */
  stop(): Promise<void>;
}

/**
 * The whole-file pass (audio, poster, storyboard) and every chunk's video, `concurrency` ffmpeg runs
 * at a time, then each rendition's media playlist. One failure kills the runs under way: the job has
 * failed and their work would be thrown away.
 */
export async function encodeInChunks(plan: ChunkedEncode): Promise<void> {
  const { chunks } = plan;
  const remaining = chunks.filter((chunk) => !plan.done?.has(chunk.index));
  // A source of one chunk (most short clips) gets every core; the whole-file pass beside it is light.
  const threads = Math.max(1, Math.floor(availableParallelism() / Math.max(1, Math.min(plan.concurrency, remaining.length))));
  const failed = new AbortController();
  const signal = AbortSignal.any([plan.signal, failed.signal]);
  // Work in chunk-seconds; the whole-file pass counts as its length at its relative cost.
  const length = (chunk: Chunk) => chunk.endSeconds - chunk.startSeconds;
  const chunkSeconds = chunks.reduce((sum, chunk) => sum + length(chunk), 0);
  const whole = { index: -1, startSeconds: 0, endSeconds: chunkSeconds, firstSegment: 0 } satisfies Chunk;
  const weight = (chunk: Chunk) => (chunk === whole ? WHOLE_FILE_COST : 1);
  const totalWork = chunkSeconds * (1 + WHOLE_FILE_COST);
  const encoded = new Map<Chunk, number>(chunks.filter((chunk) => plan.done?.has(chunk.index)).map((chunk) => [chunk, length(chunk)]));
  const progress = (chunk: Chunk, seconds: number) => {
    encoded.set(chunk, Math.max(encoded.get(chunk) ?? 0, weight(chunk) * Math.min(seconds, length(chunk))));
    // The epsilon keeps float sums of whole work from flooring to 99.
    plan.onProgress(Math.floor((100 * [...encoded.values()].reduce((sum, work) => sum + work, 0)) / totalWork + 1e-9));
  };
  // The whole-file pass writes the poster at once: its folders must exist before any run starts.
  await mkdir(plan.ladder.audio ? join(plan.outDir, AUDIO_RENDITION) : plan.outDir, { recursive: true });
  const tasks = [
    async () => {
      await runFfmpeg(wholeFileArgs({ ...plan, threads }), { signal, onProgress: (seconds) => progress(whole, seconds) });
      progress(whole, Infinity);
    },
    ...remaining.map((chunk) => async () => {
      const chunkDir = join(plan.chunksDir, String(chunk.index));
      await mkdir(chunkDir, { recursive: true });
      const args = videoChunkArgs({ ...plan, chunkDir, chunk, last: chunk === chunks.at(-1), threads });
      await runFfmpeg(args, { signal, onProgress: (seconds) => progress(chunk, seconds) });
      progress(chunk, Infinity);
      plan.publisher?.chunkDone(chunk);
    }),
  ];
  // The whole-file pass first: it is the longest single run.
  await inParallel(tasks, plan.concurrency, (task) =>
    task().catch((error: unknown) => {
      failed.abort();
      throw error;
    }),
  ).finally(() => plan.publisher?.close());
  // Stopped first: a sync under way would write its EVENT playlists over the final ones.
  await plan.publisher?.stop();
  await writeRenditionPlaylists(plan, plan.ladder, chunks, new Set(chunks.map((chunk) => chunk.index)));
}

/**
 * Each rendition's media playlist over the chunks done so far: the leading run of done chunks (a
 * playlist has no holes), VOD once every chunk is done, else EVENT. A chunk's init segment is
 * published only where it differs from the one before (x264 writes the same one for every chunk of
 * a constant-frame-rate source). Returns the init segments' paths, relative to the output folder.
 */
export async function writeRenditionPlaylists(folders: ChunkFolders, ladder: Ladder, chunks: Chunk[], done: ReadonlySet<number>): Promise<string[]> {
  const firstMissing = chunks.findIndex((chunk) => !done.has(chunk.index));
  const leading = firstMissing < 0 ? chunks : chunks.slice(0, firstMissing);
  const inits: string[] = [];
  await Promise.all(
    ladder.renditions.map(async ({ name }) => {
      await mkdir(join(folders.outDir, name), { recursive: true });
      const parts: MediaPart[] = [];
      let previous: { bytes: Buffer; name: string } | undefined;
      for (const chunk of leading) {
        const chunkDir = join(folders.chunksDir, String(chunk.index));
        const { init, segments } = mediaPlaylistFiles(await readFile(join(chunkDir, renditionPlaylist(name)), 'utf8'));
        if (!init || segments.length === 0) continue;
        const bytes = await readFile(join(chunkDir, name, init));
        if (!previous?.bytes.equals(bytes)) {
          previous = { bytes, name: `init_${chunk.index}.mp4` };
          await writeFile(join(folders.outDir, name, previous.name), bytes);
          inits.push(`${name}/${previous.name}`);
        }
        parts.push({ init: previous.name, segments: segments.map((segment) => ({ ...segment, uri: basename(segment.uri) })) });
      }
      await writeFile(join(folders.outDir, renditionPlaylist(name)), mediaPlaylist(parts, leading.length === chunks.length));
    }),
  );
  return inits;
}
