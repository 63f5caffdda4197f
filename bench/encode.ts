import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeInChunks } from '../transcoder/src/chunks.ts';
import { AUDIO_RENDITION, POSTER, renditionPlaylist, SEGMENT_SECONDS, STORYBOARD_IMAGE, type Chunk } from '../transcoder/src/ffmpeg.ts';
import type { Ladder } from '../transcoder/src/ladder.ts';
import { mediaPlaylistFiles } from '../transcoder/src/playlists.ts';
import { storyboardFor } from '../transcoder/src/storyboard.ts';
import type { BenchSource } from './sources.ts';

/** As transcoder/src/transcode.ts takes it: a tenth of the way in. */
export const POSTER_AT = 0.1;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/**
 * CPU seconds from /proc/<pid>/stat: the process's own (utime + stime) and that of its children
 * that have ended and been waited for (cutime + cstime), e.g. ffmpeg runs.
 */
export async function cpuSeconds(pid: number | 'self'): Promise<{ own: number; children: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { own: (fields[11]! + fields[12]!) / CLOCK_TICKS, children: (fields[13]! + fields[14]!) / CLOCK_TICKS };
}

/** Wall seconds of `task` and the CPU seconds of the child processes it ran (ffmpeg). */
export async function timed(task: () => Promise<unknown>): Promise<{ seconds: number; cpuSeconds: number }> {
  const [started, before] = [performance.now(), await cpuSeconds('self')];
  await task();
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (await cpuSeconds('self')).children - before.children };
}

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((entry) => entry.isFile()).map(async (entry) => (await stat(join(entry.parentPath, entry.name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

/**
 * That the sample is what its row claims: `chunks` chunk folders written, and every rendition's
 * playlist complete (ENDLIST), its segments on disk, distinct, and covering the source within one
 * segment; poster and storyboard there. Throws otherwise.
 */
async function checkOutput(outDir: string, chunksDir: string, ladder: Ladder, durationSeconds: number, chunks: number): Promise<string> {
  const written = (await readdir(chunksDir)).length;
  if (written !== chunks) throw new Error(`${chunks} chunks planned, ${written} written`);
  const names = [...ladder.renditions.map((rendition) => rendition.name), ...(ladder.audio ? [AUDIO_RENDITION] : [])];
  const covered = await Promise.all(
    names.map(async (name) => {
      const playlist = await readFile(join(outDir, renditionPlaylist(name)), 'utf8');
      const { segments } = mediaPlaylistFiles(playlist);
      const seconds = segments.reduce((sum, segment) => sum + segment.durationSeconds, 0);
      if (!playlist.includes('#EXT-X-ENDLIST')) throw new Error(`${name}: playlist not complete`);
      if (new Set(segments.map((segment) => segment.uri)).size !== segments.length) throw new Error(`${name}: a segment listed twice`);
      if (Math.abs(seconds - durationSeconds) > SEGMENT_SECONDS) throw new Error(`${name}: segments cover ${seconds.toFixed(1)} s of ${durationSeconds.toFixed(1)} s`);
      await Promise.all(segments.map((segment) => stat(join(outDir, name, segment.uri))));
      return seconds;
    }),
  );
  await Promise.all([POSTER, STORYBOARD_IMAGE].map((picture) => stat(join(outDir, picture))));
  return `${names.length} playlists cover ${Math.min(...covered).toFixed(1)}-${Math.max(...covered).toFixed(1)} of ${durationSeconds.toFixed(1)} s`;
}

/** One full-ladder encode of the source into a fresh local folder (no storage), checked, then removed. */
export async function encodeLadder({ path, source, ladder }: BenchSource, chunks: Chunk[], concurrency: number) {
  const dir = await mkdtemp(join(tmpdir(), 'kce-bench-transcode-'));
  try {
    const [outDir, chunksDir] = [join(dir, 'out'), join(dir, 'chunks')];
    await mkdir(outDir);
    const measured = await timed(() =>
      encodeInChunks({
        input: path,
        outDir,
        chunksDir,
        source,
        ladder,
        pictures: { posterAtSeconds: source.durationSeconds * POSTER_AT, storyboard: storyboardFor(source) },
        chunks,
        concurrency,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
    );
    const checked = await checkOutput(outDir, chunksDir, ladder, source.durationSeconds, chunks.length);
    return { ...measured, bytes: await folderBytes(outDir), checked };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Today's single process: the whole source as one chunk (one video ffmpeg after the whole-file pass). */
export function encodeSingleProcess(source: BenchSource) {
  return encodeLadder(source, [{ index: 0, startSeconds: 0, endSeconds: source.source.durationSeconds, firstSegment: 0 }], 1);
}
