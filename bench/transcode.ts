import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PRESET, runFfmpeg, videoChunkArgs, type ChunkEncodePlan } from '../transcoder/src/ffmpeg.ts';
import { ladderFor } from '../transcoder/src/ladder.ts';
import { probeSource } from '../transcoder/src/probe.ts';

/**
 * `npm run bench:transcode`: the full 1080p video ladder from one ffmpeg process (decode once, `split`,
 * every rendition: what the transcoder runs per chunk, here over the whole source) beside one ffmpeg process per
 * rendition run one after another (the way PeerTube does it), same preset and settings, same run.
 * BENCH_SECONDS shortens the source for a quick check. Besides wall time it prints the CPU time
 * ffmpeg used, which other load on a shared machine barely changes.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const run = promisify(execFile);
const MB = 1024 * 1024;

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((entry) => entry.isFile()).map(async (entry) => (await stat(join(entry.parentPath, entry.name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** CPU seconds (user + system) of this process's finished children, from /proc/self/stat (cutime, cstime). */
async function childrenCpuSeconds(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

async function timed(args: string[]): Promise<{ seconds: number; cpuSeconds: number }> {
  const [started, cpuBefore] = [performance.now(), await childrenCpuSeconds()];
  await runFfmpeg(args, { signal: new AbortController().signal, onProgress: () => undefined });
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (await childrenCpuSeconds()) - cpuBefore };
}

function printColumns(table: string[][]): void {
  const widths = table[0]!.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  for (const cells of table) console.log(cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
}

const dir = await mkdtemp(join(tmpdir(), 'kce-bench-transcode-'));
try {
  const input = join(dir, 'source.mp4');
  console.log(`\nmaking a ${SECONDS} s 1080p30 source (testsrc2 + sine, AAC stereo)...`);
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2', input],
  ]);
  const source = await probeSource(input, { maxDurationSeconds: SECONDS + 1, maxWidth: 1920, maxHeight: 1080 }, new AbortController().signal);
  const ladder = ladderFor(source);
  // The whole source as one chunk, all cores to one ffmpeg.
  const plan = (outDir: string): ChunkEncodePlan => ({
    input,
    outDir,
    chunkDir: outDir,
    source,
    ladder,
    chunk: { index: 0, startSeconds: 0, endSeconds: source.durationSeconds, firstSegment: 0 },
    last: true,
    threads: availableParallelism(),
  });

  const single = join(dir, 'single');
  await mkdir(single);
  const singleRun = await timed(videoChunkArgs(plan(single)));
  const singleSizes = await Promise.all(ladder.renditions.map((rendition) => folderBytes(join(single, rendition.name))));

  const perRendition: Array<{ seconds: number; cpuSeconds: number; bytes: number }> = [];
  for (const rendition of ladder.renditions) {
    const outDir = join(dir, `separate-${rendition.name}`);
    await mkdir(outDir);
    const measured = await timed(videoChunkArgs({ ...plan(outDir), ladder: { ...ladder, renditions: [rendition] } }));
    perRendition.push({ ...measured, bytes: await folderBytes(join(outDir, rendition.name)) });
  }
  const singleSeconds = singleRun.seconds;
  const separateSeconds = perRendition.reduce((sum, r) => sum + r.seconds, 0);
  const separateCpuSeconds = perRendition.reduce((sum, r) => sum + r.cpuSeconds, 0);

  console.log(
    `\n${SECONDS} s of 1080p30 (source ${(source.bitrate! / 1e6).toFixed(1)} Mbit/s), ladder ${ladder.renditions.map((r) => r.name).join('/')}, ` +
      `x264 preset ${PRESET}, audio ${ladder.audio}, ${availableParallelism()} cores\n`,
  );
  const factor = (seconds: number) => `${(SECONDS / seconds).toFixed(2)}x`;
  const size = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
  printColumns([
    ['', 'wall s', 'realtime', 'CPU s', ...ladder.renditions.map((r) => r.name), 'total'],
    ['one process, whole ladder', singleSeconds.toFixed(1), factor(singleSeconds), singleRun.cpuSeconds.toFixed(1), ...singleSizes.map(size), size(singleSizes.reduce((a, b) => a + b, 0))],
    [
      'one process per rendition, in sequence',
      separateSeconds.toFixed(1),
      factor(separateSeconds),
      separateCpuSeconds.toFixed(1),
      ...perRendition.map((r) => size(r.bytes)),
      size(perRendition.reduce((sum, r) => sum + r.bytes, 0)),
    ],
    ...ladder.renditions.map((rendition, i) => {
      const { seconds, cpuSeconds } = perRendition[i]!;
      return [`  of which ${rendition.name}`, seconds.toFixed(1), factor(seconds), cpuSeconds.toFixed(1), ...ladder.renditions.map(() => ''), ''];
    }),
  ]);
  console.log(
    `\none process is ${(separateSeconds / singleSeconds).toFixed(2)}x as fast as one per rendition and uses ` +
      `${(100 * (1 - singleRun.cpuSeconds / separateCpuSeconds)).toFixed(0)}% less CPU; ` +
      `the whole ladder runs at ${factor(singleSeconds)} realtime (aim: at least 1x on 2 cores)\n`,
  );
  if (singleSeconds > SECONDS) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
