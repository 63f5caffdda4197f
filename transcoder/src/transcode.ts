import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOWNLOAD, type PartStatus, type PlayableResult, type TranscodeJob, type TranscodeResult } from '../../contracts/transcoder.ts';
import { encodeInChunks, planChunks } from './chunks.ts';
import { AUDIO_RENDITION, downloadArgs, MASTER_PLAYLIST, POSTER, renditionPlaylist, runFfmpeg, STORYBOARD_IMAGE, STORYBOARD_VTT } from './ffmpeg.ts';
import { JobFailure } from './failure.ts';
import { ladderFor, type Ladder } from './ladder.ts';
import { LivePublisher } from './live.ts';
import { log } from './log.ts';
import { mediaPlaylist, mediaPlaylistFiles } from './playlists.ts';
import { probeSource } from './probe.ts';
import { describeLadder } from './renditions.ts';
import { inParallel } from './parallel.ts';
import type { TaskPool } from './pool.ts';
import { manifestSegments, MANIFESTS, restoreChunk, resumeChunks } from './resume.ts';
import { openStorage, publish, readOutput, removeOutputs, sourceUrl } from './storage.ts';
import { storyboardFor, storyboardVtt } from './storyboard.ts';

/** Where in the video the poster is taken: past a title card or fade-in, still near the start. */
const POSTER_AT = 0.1;

export interface TranscodeHooks {
  onProgress(percent: number): void;
  /** The first seconds of every rendition are published: the video can be watched while the rest is encoded. */
  onPlayable(result: PlayableResult): void;
  onPublishing(): void;
  /** A part of the plan, as planned, started or done. */
  onPart(part: PartStatus): void;
}

/**
 * One job, start to finish, in `workDir` (which the caller removes): probe the source where it is
 * stored, encode the ladder in time chunks over the pool of transcoders (`concurrency` at a time)
 * beside one pass here for the audio and one for the poster and storyboard, publishing each chunk
 * as it is done; then the final playlists,
 * the download and the master. Throws a `JobFailure` saying why when it cannot finish, after
 * removing what it published: nothing half-made stays behind.
 */
export async function transcode(job: TranscodeJob, workDir: string, encoders: { concurrency: number; pool: TaskPool }, signal: AbortSignal, hooks: TranscodeHooks): Promise<TranscodeResult> {
  const s3 = openStorage(job.storage);
  let live: LivePublisher | undefined;
  try {
    const input = await sourceUrl(s3, job.source, signal);
    const source = await probeSource(input, job.limits, signal);
    const ladder = ladderFor(source);
    const storyboard = storyboardFor(source);
    const folders = { outDir: join(workDir, 'out'), chunksDir: join(workDir, 'chunks') };
    const { outDir } = folders;
    const chunks = planChunks(source.durationSeconds);
    const video = { prefix: job.output.prefix, master: MASTER_PLAYLIST, durationSeconds: source.durationSeconds, width: source.width, height: source.height };
    await mkdir(outDir);
    const resumed = await resumeChunks({ s3, output: job.output, chunksDir: folders.chunksDir, ladder, signal }, chunks);
    const done = new Map(ladder.renditions.map(({ name }) => [name, new Set<number>()]));
    for (const { chunk, manifest } of resumed) for (const name of Object.keys(manifest.renditions)) done.get(name)?.add(chunk.index);
    if (resumed.length > 0) log('info', 'job resumed', { jobId: job.jobId, parts: resumed.length, chunks: chunks.length });
    // The video segments are in storage, not here: their sizes come from the manifests.
    const stored = new Map(resumed.flatMap(({ manifest }) => manifestSegments(manifest)).map((segment) => [segment.file, segment.bytes]));
    const sizeOf = async (file: string) => stored.get(file) ?? (await stat(join(outDir, file))).size;
    live = new LivePublisher({ s3, output: job.output, folders, ladder, signal, chunks, done, sizeOf, onPlayable: ({ renditions }) => hooks.onPlayable({ ...video, renditions }) });
    const task = { v: 1 as const, jobId: job.jobId, source: job.source, output: job.output, storage: job.storage, video: { videoStream: source.videoStream, fps: source.fps } };
    await encodeInChunks({
      input,
      ...folders,
      source,
      ladder,
      pictures: { posterAtSeconds: source.durationSeconds * POSTER_AT, storyboard },
      chunks,
      done,
      concurrency: encoders.concurrency,
      signal,
      onProgress: hooks.onProgress,
      onPart: ({ chunk, renditions }, state) => hooks.onPart({ chunk: chunk.index, startSeconds: chunk.startSeconds, endSeconds: chunk.endSeconds, renditions: renditions.map(({ name }) => name), state }),
      publisher: live,
      encodeChunk: async ({ chunk, renditions }, run) => {
        const manifest = await encoders.pool.runChunk({ ...task, chunk, renditions, last: run.last }, run.signal, run.onProgress);
        await restoreChunk(folders.chunksDir, ladder, chunk, manifest);
        for (const segment of manifestSegments(manifest)) stored.set(segment.file, segment.bytes);
      },
    });
    if (ladder.audio) await finishAudioPlaylist(outDir);
    const { master, renditions } = await describeLadder(ladder, sizeOf, outDir);
    await writeFile(join(outDir, MASTER_PLAYLIST), master);
    await writeFile(join(outDir, STORYBOARD_VTT), storyboardVtt(storyboard, STORYBOARD_IMAGE, source.durationSeconds));
    // The download is joined here from the rung's segments, which the pool stored.
    const rung = downloadRendition(ladder);
    await inParallel([...stored.keys()].filter((file) => file.startsWith(`${rung}/`)), 8, async (file) => writeFile(join(outDir, file), await readOutput(s3, job.output, file, signal)));
    await runFfmpeg(downloadArgs(outDir, rung, Boolean(ladder.audio)), { signal, onProgress: () => undefined });
    await Promise.all([POSTER, STORYBOARD_IMAGE].map((picture) => stat(join(outDir, picture)))).catch(() => {
      throw new JobFailure('transcode_failed', 'Encoding finished without a poster or storyboard.', true);
    });
    hooks.onPublishing();
    // The segments went up as they were made; the playlists go again, complete, the master last.
    await publish(s3, outDir, job.output, MASTER_PLAYLIST, new Set([...live.published, ...stored.keys()]), signal);
    // Published: no run of this job needs them any more; left behind, they are only clutter.
    await removeOutputs(s3, { bucket: job.output.bucket, prefix: job.output.prefix + MANIFESTS }).catch((error: unknown) =>
      log('warn', 'could not remove a published job’s chunk manifests', { prefix: job.output.prefix, error: String(error) }),
    );
    return { ...video, renditions, poster: POSTER, storyboard: { image: STORYBOARD_IMAGE, vtt: STORYBOARD_VTT }, download: DOWNLOAD };
  } catch (error) {
    await live?.close();
    // A cancelled job's outputs are removed by its cancel.
    if (live && !signal.aborted) {
      await removeOutputs(s3, job.output).catch((cleanup: unknown) => log('error', 'could not remove a failed job’s outputs', { prefix: job.output.prefix, error: String(cleanup) }));
    }
    throw error;
  } finally {
    s3.destroy();
  }
}

/** ffmpeg's audio playlist is an EVENT one (it was published while it grew): it becomes VOD like the others. */
async function finishAudioPlaylist(outDir: string): Promise<void> {
  const path = join(outDir, renditionPlaylist(AUDIO_RENDITION));
  const { init, segments } = mediaPlaylistFiles(await readFile(path, 'utf8'));
  if (!init || segments.length === 0) throw new JobFailure('transcode_failed', 'Encoding produced an empty audio rendition.', true);
  await writeFile(path, mediaPlaylist([{ init, segments }], true));
}

/** The rung offline viewers get: the middle of the ladder (720p of a 1080p source), small enough to keep. */
function downloadRendition(ladder: Ladder): string {
  const rendition = ladder.renditions[Math.floor((ladder.renditions.length - 1) / 2)];
  if (!rendition) throw new Error('a ladder has at least one rendition');
  return rendition.name;
}
