import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ChunkManifest, type TranscodeJob } from '../../contracts/transcoder.ts';
import { renditionPlaylist, type Chunk } from './ffmpeg.ts';
import type { Ladder } from './ladder.ts';
import { log } from './log.ts';
import { mediaPlaylist, mediaPlaylistFiles } from './playlists.ts';
import { listOutputs, putFile, readOutput } from './storage.ts';

/**
 * One manifest per stored chunk part under the job's output: how the transcoder that encoded it
 * tells the job's transcoder what it stored, and what outlives a job's transcoder (a killed process,
 * a lost container), so a later run of the same job encodes only the chunks still missing. Removed
 * once the job is published.
 */
export const MANIFESTS = 'chunks/';
/** `chunks/{index}_{rendition}_….json`: a chunk's first renditions and its others are stored apart (chunks.ts `planParts`). */
const manifestFile = (chunk: Chunk, renditions: string[]) => `${MANIFESTS}${[chunk.index, ...renditions].join('_')}.json`;
const MANIFEST_FILE = /(\d+)(?:_\d{1,4}p)+\.json$/;

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

/** Records a chunk part whose segments are stored. */
export function saveChunk(s3: S3Client, output: TranscodeJob['output'], chunk: Chunk, manifest: ChunkManifest, signal: AbortSignal): Promise<void> {
  return putFile(s3, output, manifestFile(chunk, Object.keys(manifest.renditions)), JSON.stringify(manifest), signal);
}

/**
 * A stored chunk part as if encoded here: the playlists and init segments of its renditions in
 * `chunksDir/{index}/`. Its segments stay in storage. Throws when the manifest does not fit the
 * chunk or the ladder.
 */
export async function restoreChunk(chunksDir: string, ladder: Pick<Ladder, 'renditions'>, chunk: Chunk, manifest: ChunkManifest): Promise<void> {
  if (manifest.startSeconds !== chunk.startSeconds || manifest.endSeconds !== chunk.endSeconds) throw new Error('the manifest is of another plan');
  for (const [name, rendition] of Object.entries(manifest.renditions)) {
    if (!ladder.renditions.some((planned) => planned.name === name)) throw new Error(`the ladder has no ${name} rendition`);
    const chunkDir = join(chunksDir, String(chunk.index));
    await mkdir(join(chunkDir, name), { recursive: true });
    await writeFile(join(chunkDir, name, 'init.mp4'), Buffer.from(rendition.init, 'base64'));
    await writeFile(join(chunkDir, renditionPlaylist(name)), mediaPlaylist([{ init: 'init.mp4', segments: rendition.segments }], true));
  }
}

/**
 * The chunk parts an earlier run of this job finished, restored (see `restoreChunk`), with their
 * manifests. A part whose manifest does not fit this plan, or cannot be read, is encoded again.
 */
export async function resumeChunks(place: { s3: S3Client; output: TranscodeJob['output']; chunksDir: string; ladder: Ladder; signal: AbortSignal }, chunks: Chunk[]): Promise<Array<{ chunk: Chunk; manifest: ChunkManifest }>> {
  const { s3, output } = place;
  const resumed: Array<{ chunk: Chunk; manifest: ChunkManifest }> = [];
  for (const key of await listOutputs(s3, { bucket: output.bucket, prefix: output.prefix + MANIFESTS })) {
    const chunk = chunks[Number(MANIFEST_FILE.exec(key)?.[1] ?? -1)];
    if (!chunk) continue;
    try {
      const manifest = ChunkManifest.parse(JSON.parse((await readOutput(s3, output, key.slice(output.prefix.length), place.signal)).toString('utf8')));
      await restoreChunk(place.chunksDir, place.ladder, chunk, manifest);
      resumed.push({ chunk, manifest });
    } catch (error) {
      if (place.signal.aborted) throw error;
      log('warn', 'a finished chunk could not be resumed; encoding it again', { prefix: output.prefix, key, error: String(error) });
    }
  }
  return resumed;
}
