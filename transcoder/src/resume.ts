import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { ChunkFolders } from './chunks.ts';
import type { TranscodeJob } from './contract.ts';
import { renditionPlaylist, type Chunk } from './ffmpeg.ts';
import type { Ladder } from './ladder.ts';
import { log } from './log.ts';
import { inParallel } from './parallel.ts';
import { mediaPlaylist, mediaPlaylistFiles } from './playlists.ts';
import { listOutputs, putFile, readOutput } from './storage.ts';

/**
 * What outlives a job's transcoder (a killed process, a lost container): one manifest per finished
 * chunk under the job's output, so a later run of the same job encodes only the chunks still
 * missing. Removed once the job is published.
 */
export const MANIFESTS = 'chunks/';
const manifestFile = (chunk: Chunk) => `${MANIFESTS}${chunk.index}.json`;
const ChunkManifest = z.object({
  startSeconds: z.number(),
  endSeconds: z.number(),
  renditions: z.record(
    z.string(),
    z.object({
      init: z.base64(),
      segments: z.array(z.object({ uri: z.string().regex(/^segment_\d+\.m4s$/), durationSeconds: z.number().positive() })).min(1),
    }),
  ),
});
type ChunkManifest = z.infer<typeof ChunkManifest>;

export interface Resumed {
  /** The chunks an earlier run finished. */
  done: ReadonlySet<number>;
  /** Their segments, already stored (paths relative to the output folder). */
  files: readonly string[];
}

interface JobPlace {
  s3: S3Client;
  output: TranscodeJob['output'];
  folders: ChunkFolders;
  ladder: Ladder;
  signal: AbortSignal;
}

/** Records a finished chunk whose segments are stored: its init segments (small) and its segments' durations. */
export async function saveChunk(place: JobPlace, chunk: Chunk): Promise<void> {
  const dir = join(place.folders.chunksDir, String(chunk.index));
  const renditions: ChunkManifest['renditions'] = {};
  for (const { name } of place.ladder.renditions) {
    const { init, segments } = mediaPlaylistFiles(await readFile(join(dir, renditionPlaylist(name)), 'utf8'));
    if (!init) throw new Error(`chunk ${chunk.index} of ${name} has no init segment`);
    renditions[name] = {
      init: (await readFile(join(dir, name, init))).toString('base64'),
      segments: segments.map((segment) => ({ uri: basename(segment.uri), durationSeconds: segment.durationSeconds })),
    };
  }
  const manifest: ChunkManifest = { startSeconds: chunk.startSeconds, endSeconds: chunk.endSeconds, renditions };
  await putFile(place.s3, place.output, manifestFile(chunk), JSON.stringify(manifest), place.signal);
}

/**
 * The chunks an earlier run of this job finished: their segments come back from storage into the
 * output folder, their playlists and init segments into the chunk folders, as if encoded here. A
 * chunk whose manifest does not fit this plan, or whose files cannot be read, is encoded again.
 */
export async function resumeChunks(place: JobPlace, chunks: Chunk[]): Promise<Resumed> {
  const { s3, output } = place;
  const stored = new Set(await listOutputs(s3, { bucket: output.bucket, prefix: output.prefix + MANIFESTS }));
  const done = new Set<number>();
  const files: string[] = [];
  for (const chunk of chunks.filter((planned) => stored.has(output.prefix + manifestFile(planned)))) {
    try {
      const manifest = ChunkManifest.parse(JSON.parse((await readOutput(s3, output, manifestFile(chunk), place.signal)).toString('utf8')));
      if (manifest.startSeconds !== chunk.startSeconds || manifest.endSeconds !== chunk.endSeconds) throw new Error('the manifest is of another plan');
      files.push(...(await restoreChunk(place, chunk, manifest)));
      done.add(chunk.index);
    } catch (error) {
      if (place.signal.aborted) throw error;
      log('warn', 'a finished chunk could not be resumed; encoding it again', { prefix: output.prefix, chunk: chunk.index, error: String(error) });
    }
  }
  return { done, files };
}

async function restoreChunk(place: JobPlace, chunk: Chunk, manifest: ChunkManifest): Promise<string[]> {
  const restored: string[] = [];
  for (const { name } of place.ladder.renditions) {
    const rendition = manifest.renditions[name];
    if (!rendition) throw new Error(`the manifest has no ${name} rendition`);
    const chunkDir = join(place.folders.chunksDir, String(chunk.index), name);
    await mkdir(chunkDir, { recursive: true });
    await mkdir(join(place.folders.outDir, name), { recursive: true });
    await writeFile(join(chunkDir, 'init.mp4'), Buffer.from(rendition.init, 'base64'));
    await writeFile(join(place.folders.chunksDir, String(chunk.index), renditionPlaylist(name)), mediaPlaylist([{ init: 'init.mp4', segments: rendition.segments }], true));
    const segments = rendition.segments.map((segment) => `${name}/${segment.uri}`);
    await inParallel(segments, 4, async (file) => writeFile(join(place.folders.outDir, file), await readOutput(place.s3, place.output, file, place.signal)));
    restored.push(...segments);
  }
  return restored;
}
