import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ChunkManifest, type TranscodeJob } from './contract.ts';
import { renditionPlaylist, type Chunk } from './ffmpeg.ts';
import type { Ladder } from './ladder.ts';
import { log } from './log.ts';
import { mediaPlaylist, mediaPlaylistFiles } from './playlists.ts';
import { listOutputs, putFile, readOutput } from './storage.ts';

/**
 * One manifest per stored chunk under the job's output: how the transcoder that encoded a chunk
 * tells the job's transcoder what it stored, and what outlives a job's transcoder (a killed process,
 * a lost container), so a later run of the same job encodes only the chunks still missing. Removed
 * once the job is published.
 */
export const MANIFESTS = 'chunks/';
const manifestFile = (chunk: Chunk) => `${MANIFESTS}${chunk.index}.json`;

/** A chunk encoded here (chunks.ts `encodeHere`): its init segments and its segments' durations and sizes. */
export async function chunkManifest(folders: { outDir: string; chunksDir: string }, chunk: Chunk, renditions: ReadonlyArray<{ name: string }>): Promise<ChunkManifest> {
  const dir = join(folders.chunksDir, String(chunk.index));
  const manifest: ChunkManifest = { startSeconds: chunk.startSeconds, endSeconds: chunk.endSeconds, renditions: {} };
  for (const { name } of renditions) {
    const { init, segments } = mediaPlaylistFiles(await readFile(join(dir, renditionPlaylist(name)), 'utf8'));
    if (!init || segments.length === 0) throw new Error(`chunk ${chunk.index} of ${name} has no init segment or no segments`);
    manifest.renditions[name] = {
      init: (await readFile(join(dir, name, init))).toString('base64'),
      segments: await Promise.all(
        segments.map(async (segment) => {
          const uri = basename(segment.uri);
          return { uri, durationSeconds: segment.durationSeconds, bytes: (await stat(join(folders.outDir, name, uri))).size };
        }),
      ),
    };
  }
  return manifest;
}

/** A manifest's segments, relative to the output folder, with their sizes. */
export function manifestSegments(manifest: ChunkManifest): Array<{ file: string; bytes: number }> {
  return Object.entries(manifest.renditions).flatMap(([name, rendition]) => rendition.segments.map((segment) => ({ file: `${name}/${segment.uri}`, bytes: segment.bytes })));
}

/** Records a chunk whose segments are stored. */
export function saveChunk(s3: S3Client, output: TranscodeJob['output'], chunk: Chunk, manifest: ChunkManifest, signal: AbortSignal): Promise<void> {
  return putFile(s3, output, manifestFile(chunk), JSON.stringify(manifest), signal);
}

/**
 * A stored chunk as if encoded here: its playlists and init segments in `chunksDir/{index}/`. Its
 * segments stay in storage. Throws when the manifest does not fit the chunk or the ladder.
 */
export async function restoreChunk(chunksDir: string, ladder: Pick<Ladder, 'renditions'>, chunk: Chunk, manifest: ChunkManifest): Promise<void> {
  if (manifest.startSeconds !== chunk.startSeconds || manifest.endSeconds !== chunk.endSeconds) throw new Error('the manifest is of another plan');
  for (const { name } of ladder.renditions) {
    const rendition = manifest.renditions[name];
    if (!rendition) throw new Error(`the manifest has no ${name} rendition`);
    const chunkDir = join(chunksDir, String(chunk.index));
    await mkdir(join(chunkDir, name), { recursive: true });
    await writeFile(join(chunkDir, name, 'init.mp4'), Buffer.from(rendition.init, 'base64'));
    await writeFile(join(chunkDir, renditionPlaylist(name)), mediaPlaylist([{ init: 'init.mp4', segments: rendition.segments }], true));
  }
}

/**
 * The chunks an earlier run of this job finished, restored (see `restoreChunk`), with their
 * manifests. A chunk whose manifest does not fit this plan, or cannot be read, is encoded again.
 */
export async function resumeChunks(place: { s3: S3Client; output: TranscodeJob['output']; chunksDir: string; ladder: Ladder; signal: AbortSignal }, chunks: Chunk[]): Promise<Map<number, ChunkManifest>> {
  const { s3, output } = place;
  const stored = new Set(await listOutputs(s3, { bucket: output.bucket, prefix: output.prefix + MANIFESTS }));
  const resumed = new Map<number, ChunkManifest>();
  for (const chunk of chunks.filter((planned) => stored.has(output.prefix + manifestFile(planned)))) {
    try {
      const manifest = ChunkManifest.parse(JSON.parse((await readOutput(s3, output, manifestFile(chunk), place.signal)).toString('utf8')));
      await restoreChunk(place.chunksDir, place.ladder, chunk, manifest);
      resumed.set(chunk.index, manifest);
    } catch (error) {
      if (place.signal.aborted) throw error;
      log('warn', 'a finished chunk could not be resumed; encoding it again', { prefix: output.prefix, chunk: chunk.index, error: String(error) });
    }
  }
  return resumed;
}
