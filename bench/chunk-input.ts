import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { planChunks } from '../transcoder/src/chunks.ts';

/**
 * `node bench/chunk-input.ts`: how a chunk task should get its part of the source. (a) ffmpeg reads
 * the source over HTTP with an input-side `-ss`/`-to` (what a presigned GET allows: range requests);
 * (b) the whole file is fetched once and stream-copied into pieces first. Prints the bytes each
 * approach moves and its time, for a 1080p30 source as a camera writes it (index at the end).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 120);
const run = promisify(execFile);
const MB = 1024 * 1024;

const dir = await mkdtemp(join(tmpdir(), 'kce-bench-chunk-input-'));
try {
  const source = join(dir, 'source.mp4');
  console.log(`\nmaking a ${SECONDS} s 1080p30 source (testsrc2 + sine)...`);
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-g', '60', '-pix_fmt', 'yuv420p', '-c:a', 'aac', source],
  ]);
  const size = (await stat(source)).size;

  // A file server that answers range requests, as S3 does a presigned GET, and counts what it sends.
  let sent = { bytes: 0, requests: 0 };
  const server = createServer((request, response) => {
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : size - 1;
    response.writeHead(range ? 206 : 200, { 'content-length': end - start + 1, 'accept-ranges': 'bytes', ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) });
    sent.requests++;
    // Counted as they go to the socket; ffmpeg closing the connection (to seek) ends the pipeline.
    const count = new Transform({ transform: (data: Buffer, _, done) => done(null, ((sent.bytes += data.length), data)) });
    pipeline(createReadStream(source, { start, end }), count, response).catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/source.mp4`;
  const timed = async (task: () => Promise<unknown>) => {
    sent = { bytes: 0, requests: 0 };
    const started = performance.now();
    await task();
    return { seconds: (performance.now() - started) / 1000, ...sent };
  };

  const chunks = planChunks(SECONDS);
  // The input side of a chunk task, without the encoding: which bytes it reads does not depend on it.
  const ranged = [];
  for (const chunk of chunks) {
    const to = chunk === chunks.at(-1) ? [] : ['-to', String(chunk.endSeconds)];
    ranged.push(await timed(() => run('ffmpeg', ['-v', 'error', '-copyts', '-start_at_zero', '-ss', String(chunk.startSeconds), ...to, '-i', url, '-map', '0', '-c', 'copy', '-f', 'null', '-'])));
  }
  const split = await timed(async () => {
    await run('ffmpeg', ['-v', 'error', '-i', url, '-c', 'copy', join(dir, 'downloaded.mp4')]);
    await run('ffmpeg', [
      ...['-v', 'error', '-i', join(dir, 'downloaded.mp4'), '-map', '0', '-c', 'copy', '-f', 'segment', '-reset_timestamps', '0'],
      ...['-segment_times', chunks.slice(1).map((chunk) => chunk.startSeconds).join(','), join(dir, 'piece_%03d.mp4')],
    ]);
  });
  server.close();

  console.log(`\n${(size / MB).toFixed(1)} MB, ${chunks.length} chunks (${chunks.map((c) => c.endSeconds - c.startSeconds).join(' ')} s)\n`);
  const rows = [
    ['', 'wall s', 'read MB', 'requests', 'read / its share'],
    ...ranged.map((r, i) => {
      const chunk = chunks[i]!;
      const share = (size * (chunk.endSeconds - chunk.startSeconds)) / SECONDS;
      return [`range read, chunk ${i} (${chunk.startSeconds}-${chunk.endSeconds} s)`, r.seconds.toFixed(2), (r.bytes / MB).toFixed(1), String(r.requests), `${(r.bytes / share).toFixed(2)}x`];
    }),
    ['range read, all chunks', ranged.reduce((s, r) => s + r.seconds, 0).toFixed(2), (ranged.reduce((s, r) => s + r.bytes, 0) / MB).toFixed(1), String(ranged.reduce((s, r) => s + r.requests, 0)), ''],
    ['download + stream-copy split, before any chunk', split.seconds.toFixed(2), (split.bytes / MB).toFixed(1), String(split.requests), ''],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  for (const cells of rows) console.log(cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
  console.log('\nthe split then uploads every piece again and each chunk task downloads its piece: the file crosses the network three times.\n');
} finally {
  await rm(dir, { recursive: true, force: true });
}
