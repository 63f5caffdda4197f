import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { audioArgs, AUDIO_RENDITION, picturesArgs, renditionPlaylist, runFfmpeg, SEGMENT_SECONDS, videoChunkArgs, type Chunk, type ChunkEncodePlan, type WholeFilePlan } from './ffmpeg.ts';
import type { Ladder, RenditionPlan } from './ladder.ts';
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
 * The whole-file passes' cost per second of source beside a chunk's, so progress reaches 100 % only
 * when they are done too (`npm run bench:transcode`, one core: the pictures 0.09, a chunk 1.6 s per s;
 * the audio, which decodes no video, a few hundredths of that).
 */
const PICTURES_COST = 0.055;
const AUDIO_COST = 0.005;

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
  /** What an earlier run of the job finished (resume.ts): counted as done, not encoded again. */
  done?: DoneChunks;
  /** How many ffmpeg processes run at once; each gets an equal share of the cores as threads. */
  concurrency: number;
  signal: AbortSignal;
  /** Percent of the chunks' seconds encoded, never decreasing. */
  onProgress(percent: number): void;
  /** Told of each part as it is done; stopped before the final playlists are written. */
  publisher?: ChunkPublisher;
  /** Who encodes a part: this machine's ffmpeg when absent, else (transcode.ts) the pool of transcoders. */
  encodeChunk?: ChunkEncoder;
  /** Told of every part as planned (`waiting`, or `done` by an earlier run), then as it starts and ends. */
  onPart?(part: ChunkPart, state: 'waiting' | 'running' | 'done'): void;
}

/** For each rendition, the chunks whose segments of it are done. */
export type DoneChunks = ReadonlyMap<string, ReadonlySet<number>>;

/** How many chunks (12 s) of the lowest rung must be published before the video is playable (live.ts). */
export const PLAYABLE_CHUNKS = 2;

/** Some of a chunk's renditions, encoded by one ffmpeg run. */
export interface ChunkPart {
  chunk: Chunk;
  renditions: RenditionPlan[];
}

/**
 * The parts still to encode, in the order they should run: the lowest rung of every chunk first, in
 * time order (about a fifth of the work: once the first PLAYABLE_CHUNKS are stored the video is
 * playable, and this rung then runs far ahead of any viewer), then the other rungs of every chunk,
 * which join the master once complete.
 */
export function planParts(chunks: Chunk[], ladder: Pick<Ladder, 'renditions'>, done: DoneChunks = new Map()): ChunkPart[] {
  const lowest = ladder.renditions.slice(-1);
  const higher = ladder.renditions.slice(0, -1);
  const parts = [...chunks.map((chunk) => ({ chunk, renditions: lowest })), ...(higher.length > 0 ? chunks.map((chunk) => ({ chunk, renditions: higher })) : [])];
  return parts
    .map((part) => ({ ...part, renditions: part.renditions.filter((rendition) => !done.get(rendition.name)?.has(part.chunk.index)) }))
    .filter((part) => part.renditions.length > 0);
}

/** The chunks from the start that are done for this rendition: what its playlist can list, a playlist having no holes. */
export function leadingChunks(chunks: Chunk[], done: DoneChunks, rendition: string): Chunk[] {
  const firstMissing = chunks.findIndex((chunk) => !done.get(rendition)?.has(chunk.index));
  return firstMissing < 0 ? chunks : chunks.slice(0, firstMissing);
}

/**
 * Encodes some renditions of one chunk so that their playlists and init segments end up in
 * `chunksDir/{index}/{rendition}/` and their segments where the job keeps them (the output folder, or storage).
 */
export type ChunkEncoder = (part: ChunkPart, run: { last: boolean; threads: number; signal: AbortSignal; onProgress(seconds: number): void }) => Promise<void>;

/** A part encoded here: segments into `outDir/{rendition}/`, playlists and init segments into `chunksDir/{index}/`. */
export function encodeHere(plan: Pick<ChunkEncodePlan, 'input' | 'outDir' | 'source'> & Pick<ChunkFolders, 'chunksDir'>): ChunkEncoder {
  return async ({ chunk, renditions }, run) => {
    const chunkDir = join(plan.chunksDir, String(chunk.index));
    await mkdir(chunkDir, { recursive: true });
    await runFfmpeg(videoChunkArgs({ ...plan, ladder: { renditions }, chunkDir, chunk, last: run.last, threads: run.threads }), run);
  };
}

export interface ChunkPublisher {
  partDone(part: ChunkPart): void;
  /** Aborted, with the reason, when publishing has failed: the encode stops, the job has failed. */
  readonly failed: AbortSignal;
  /** Ends publishing (after a failure too); never throws. */
  close(): Promise<void>;
  /** Ends publishing and throws what made it fail, if anything did. */
  stop(): Promise<void>;
}

/**
 * The whole-file passes (audio; poster and storyboard) and every chunk's video, `concurrency` ffmpeg runs
 * at a time, then each rendition's media playlist. One failure kills the runs under way: the job has
 * failed and their work would be thrown away.
 */
export async function encodeInChunks(plan: ChunkedEncode): Promise<void> {
  const { chunks, ladder } = plan;
  const parts = planParts(chunks, ladder, plan.done);
  const lowest = ladder.renditions.at(-1);
  const early = parts.filter((part) => lowest && part.renditions.includes(lowest));
  const later = parts.filter((part) => !early.includes(part));
  // The first part still to do gets every core: the video is playable soon after it is stored.
  const cores = availableParallelism();
  const threads = Math.max(1, Math.floor(cores / Math.max(1, Math.min(plan.concurrency, later.length))));
  const failed = new AbortController();
  const signal = AbortSignal.any([plan.signal, failed.signal, ...(plan.publisher ? [plan.publisher.failed] : [])]);
  // Work in chunk-seconds, a part as its renditions' share of the ladder's pixels; a whole-file
  // pass counts as the source's length at its relative cost.
  const length = (chunk: Chunk) => chunk.endSeconds - chunk.startSeconds;
  const pixels = (renditions: RenditionPlan[]) => renditions.reduce((sum, rendition) => sum + rendition.width * rendition.height, 0);
  const work = (part: ChunkPart, seconds = length(part.chunk)) => (Math.min(seconds, length(part.chunk)) * pixels(part.renditions)) / pixels(ladder.renditions);
  const chunkSeconds = chunks.reduce((sum, chunk) => sum + length(chunk), 0);
  const audio = audioArgs({ ...plan, threads: 1 });
  const totalWork = chunkSeconds * (1 + PICTURES_COST + (audio ? AUDIO_COST : 0));
  const finished = chunks.map((chunk) => ({ chunk, renditions: ladder.renditions.filter((rendition) => plan.done?.get(rendition.name)?.has(chunk.index)) }));
  const worked = new Map<string, number>([['resumed', finished.reduce((sum, part) => sum + work(part), 0)]]);
  for (const part of finished.filter((resumed) => resumed.renditions.length > 0)) plan.onPart?.(part, 'done');
  for (const part of parts) plan.onPart?.(part, 'waiting');
  const progress = (task: string, done: number) => {
    worked.set(task, Math.max(worked.get(task) ?? 0, done));
    // The epsilon keeps float sums of whole work from flooring to 99.
    plan.onProgress(Math.floor((100 * [...worked.values()].reduce((sum, amount) => sum + amount, 0)) / totalWork + 1e-9));
  };
  const pass = (name: string, args: string[], cost: number) => async () => {
    await runFfmpeg(args, { signal, onProgress: (seconds) => progress(name, cost * Math.min(seconds, chunkSeconds)) });
    progress(name, cost * chunkSeconds);
  };
  const encodeChunk = plan.encodeChunk ?? encodeHere(plan);
  const encode = (part: ChunkPart, partThreads: number) => async () => {
    const name = `chunk ${part.chunk.index} ${part.renditions.map((rendition) => rendition.name).join(' ')}`;
    plan.onPart?.(part, 'running');
    await encodeChunk(part, { last: part.chunk === chunks.at(-1), threads: partThreads, signal, onProgress: (seconds) => progress(name, work(part, seconds)) });
    progress(name, work(part));
    plan.onPart?.(part, 'done');
    plan.publisher?.partDone(part);
  };
  // The passes write into these folders as soon as they start.
  await mkdir(ladder.audio ? join(plan.outDir, AUDIO_RENDITION) : plan.outDir, { recursive: true });
  // In this order, `concurrency` at a time: the audio and the lowest rung (what playing needs), then
  // the pictures (the longest single run), then the other rungs in time order.
  const tasks = [
    ...(audio ? [pass('audio', audio, AUDIO_COST)] : []),
    ...early.map((part, i) => encode(part, i === 0 ? cores : threads)),
    pass('pictures', picturesArgs({ ...plan, threads }), PICTURES_COST),
    ...later.map((part) => encode(part, threads)),
  ];
  await inParallel(tasks, plan.concurrency, (task) =>
    task().catch((error: unknown) => {
      failed.abort();
      throw error;
    }),
  ).finally(() => plan.publisher?.close());
  // Stopped first: a sync under way would write its EVENT playlists over the final ones.
  await plan.publisher?.stop();
  const all = new Set(chunks.map((chunk) => chunk.index));
  await writeRenditionPlaylists(plan, ladder, chunks, new Map(ladder.renditions.map((rendition) => [rendition.name, all])));
}

/**
 * Each rendition's media playlist over the chunks done so far: the leading run of its done chunks
 * (a playlist has no holes), VOD once every chunk is done, else EVENT. A chunk's init segment is
 * published only where it differs from the one before (x264 writes the same one for every chunk of
 * a constant-frame-rate source). Returns the init segments' paths, relative to the output folder.
 */
export async function writeRenditionPlaylists(folders: ChunkFolders, ladder: Pick<Ladder, 'renditions'>, chunks: Chunk[], done: DoneChunks): Promise<string[]> {
  const inits: string[] = [];
  await Promise.all(
    ladder.renditions.map(async ({ name }) => {
      const leading = leadingChunks(chunks, done, name);
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
