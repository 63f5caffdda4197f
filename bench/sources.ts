import { execFile } from 'node:child_process';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ladderFor, type Ladder } from '../transcoder/src/ladder.ts';
import { probeSource, type ProbedSource } from '../transcoder/src/probe.ts';

const SOURCES = fileURLToPath(new URL('../.data/bench/', import.meta.url));

export interface BenchSource {
  path: string;
  source: ProbedSource;
  ladder: Ladder;
}

/** Longer sources repeat this one, joined without re-encoding: an hour of 1080p would take an hour to make. */
const TILE_SECONDS = 300;

/**
 * A 1080p30 source of `seconds` (testsrc2 + sine, AAC stereo) in .data/bench/, made once and kept
 * for later runs; written under another name first so an interrupted run leaves nothing to reuse.
 * A multiple of 5 minutes above it is the 5-minute source repeated (concat demuxer, stream copy):
 * one continuous file, its timestamps running on, as a long lecture is.
 */
export async function sourceOf(seconds: number): Promise<BenchSource> {
  const path = join(SOURCES, `source-1080p30-${seconds}s.mp4`);
  if (!(await access(path).then(() => true, () => false))) {
    const tiled = seconds > TILE_SECONDS && seconds % TILE_SECONDS === 0;
    const tile = tiled ? (await sourceOf(TILE_SECONDS)).path : undefined;
    console.log(`making a ${seconds} s 1080p30 source in ${SOURCES}...`);
    await mkdir(SOURCES, { recursive: true });
    const partial = path.replace(/\.mp4$/, '.partial.mp4');
    const list = `${partial}.txt`;
    if (tile) await writeFile(list, `file '${tile}'\n`.repeat(seconds / TILE_SECONDS));
    const input = tile
      ? ['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy']
      : [
          ...['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
          ...['-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2'],
        ];
    await promisify(execFile)('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...input, partial]);
    await rename(partial, path);
    if (tile) await rm(list);
  }
  const source = await probeSource(path, { maxDurationSeconds: seconds + 1, maxWidth: 1920, maxHeight: 1080 }, new AbortController().signal);
  return { path, source, ladder: ladderFor(source) };
}
