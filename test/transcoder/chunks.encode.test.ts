import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeInChunks, planChunks, writeRenditionPlaylists, type ChunkedEncode } from '../../transcoder/src/chunks.ts';
import { AUDIO_RENDITION, renditionPlaylist } from '../../transcoder/src/ffmpeg.ts';
import { ladderFor } from '../../transcoder/src/ladder.ts';
import { probeSource, type ProbedSource } from '../../transcoder/src/probe.ts';
import { storyboardFor } from '../../transcoder/src/storyboard.ts';
import { makeClip } from './harness.ts';

const run = promisify(execFile);
const SECONDS = 44;
const FRAME = 1 / 30;
/** AAC frames: 1024 samples at 48 kHz. */
const AUDIO_FRAME = 1024 / 48_000;

/** Decodes a playlist (or any input) to the end; ffmpeg's error output, which should be empty. */
async function decodeErrors(input: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', input, '-f', 'null', '-']);
  return stderr;
}

/**
 * The files a growing playlist lists (its init segment, then its segments), joined in that order as
 * a player appends them: ffmpeg 5.1 cannot open an fMP4 playlist without EXT-X-ENDLIST (it fails on
 * the first segment, even for playlists it wrote itself).
 */
async function listedFiles(playlist: string): Promise<string> {
  const folder = join(playlist, '..');
  const lines = (await readFile(playlist, 'utf8')).split('\n');
  const files = lines.flatMap((line) => /^#EXT-X-MAP:URI="([^"]+)"/.exec(line)?.slice(1) ?? (line && !line.startsWith('#') ? [line] : []));
  return `concat:${files.map((file) => join(folder, file)).join('|')}`;
}

/** Every packet of the input's stream (its only one by default), in presentation order. */
async function packets(input: string, stream = '0'): Promise<Array<{ pts: number; duration: number; key: boolean }>> {
  const args = ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,duration_time,flags', '-of', 'csv=p=0', input];
  const { stdout } = await run('ffprobe', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((line) => line.includes(','))
    .map((line) => {
      const [pts, duration, flags] = line.split(',');
      return { pts: Number(pts), duration: Number(duration), key: flags?.startsWith('K') === true };
    })
    .sort((a, b) => a.pts - b.pts);
}

/** Each step from one packet to the next, in seconds. */
const steps = (list: Array<{ pts: number }>) => list.slice(1).map((packet, i) => packet.pts - list[i]!.pts);

describe('chunked encoding: a multi-chunk source plays through every chunk border', () => {
  let dir: string;
  let input: string;
  let source: ProbedSource;
  let plan: (outDir: string) => Omit<ChunkedEncode, 'chunks'>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kce-chunks-'));
    input = join(dir, 'source.mp4');
    await writeFile(input, await makeClip({ width: 854, height: 480, seconds: SECONDS }));
    source = await probeSource(input, { maxDurationSeconds: 3600, maxWidth: 1920, maxHeight: 1080 }, new AbortController().signal);
    plan = (name) => ({
      input,
      outDir: join(dir, name, 'out'),
      chunksDir: join(dir, name, 'chunks'),
      source,
      ladder: ladderFor(source),
      pictures: { posterAtSeconds: 4, storyboard: storyboardFor(source) },
      concurrency: 2,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes every rendition from start to end, timestamps continuous across chunks, keyframes aligned', async () => {
    const chunks = planChunks(source.durationSeconds);
    expect(chunks.map((chunk) => chunk.endSeconds)).toEqual([4, 12, 28, 44]);
    const percents: number[] = [];
    const { outDir, ...rest } = plan('whole');
    await encodeInChunks({ ...rest, outDir, chunks, onProgress: (percent) => percents.push(percent) });
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);

    const ladder = ladderFor(source);
    expect(ladder.renditions.map((rendition) => rendition.name)).toEqual(['480p', '360p']);
    const keyframes: number[][] = [];
    for (const { name } of ladder.renditions) {
      const playlist = join(outDir, renditionPlaylist(name));
      const text = await readFile(playlist, 'utf8');
      // x264 writes the same init segment for every chunk of a constant-frame-rate source: one EXT-X-MAP.
      expect(text.match(/#EXT-X-MAP/g)).toHaveLength(1);
      expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
      expect(text).toContain('#EXT-X-ENDLIST');
      expect([...text.matchAll(/^segment_(\d+)\.m4s$/gm)].map((match) => Number(match[1]))).toEqual(Array.from({ length: SECONDS / 4 }, (_, i) => i));
      expect(await decodeErrors(playlist)).toBe('');

      const video = await packets(playlist);
      expect(video).toHaveLength(SECONDS * 30);
      expect(video[0]!.pts).toBeCloseTo(0, 3);
      for (const step of steps(video)) expect(step).toBeCloseTo(FRAME, 3);
      expect(video.at(-1)!.pts + video.at(-1)!.duration).toBeCloseTo(SECONDS, 3);
      keyframes.push(video.filter((packet) => packet.key).map((packet) => Math.round(packet.pts * 1000) / 1000));
    }
    expect(keyframes[0]).toEqual(Array.from({ length: SECONDS / 2 }, (_, i) => 2 * i));
    expect(keyframes[1]).toEqual(keyframes[0]);

    // The audio, encoded once: as long as the source's (counted the same way, packets end to end) and starting with the video.
    const audioPlaylist = join(outDir, renditionPlaylist(AUDIO_RENDITION));
    expect(await decodeErrors(audioPlaylist)).toBe('');
    const audio = await packets(audioPlaylist);
    for (const step of steps(audio)) expect(step).toBeCloseTo(AUDIO_FRAME, 4);
    const span = (list: Array<{ pts: number; duration: number }>) => list.at(-1)!.pts + list.at(-1)!.duration - list[0]!.pts;
    expect(Math.abs(span(audio) - span(await packets(input, 'a')))).toBeLessThanOrEqual(AUDIO_FRAME);
    expect(Math.abs(audio[0]!.pts)).toBeLessThanOrEqual(AUDIO_FRAME);
  });

  it('writes an EVENT playlist of the leading chunks done so far, which plays what exists', async () => {
    const chunks = planChunks(source.durationSeconds);
    const { outDir, chunksDir, ...rest } = plan('partial');
    // Chunks 0, 1 and 3 done, 2 still running: the playlist stops before the hole.
    await encodeInChunks({ ...rest, outDir, chunksDir, chunks: [chunks[0]!, chunks[1]!, chunks[3]!] });
    const ladder = ladderFor(source);
    await writeRenditionPlaylists({ outDir, chunksDir }, ladder, chunks, new Map(ladder.renditions.map((rendition) => [rendition.name, new Set([0, 1, 3])])));

    const playlist = join(outDir, renditionPlaylist('360p'));
    const text = await readFile(playlist, 'utf8');
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    expect([...text.matchAll(/^segment_(\d+)\.m4s$/gm)].map((match) => Number(match[1]))).toEqual([0, 1, 2]);
    const files = await listedFiles(playlist);
    expect(await decodeErrors(files)).toBe('');
    const video = await packets(files);
    expect(video).toHaveLength(12 * 30);
    for (const step of steps(video)) expect(step).toBeCloseTo(FRAME, 3);
  });

  // Sources that break naive seeking or timestamp handling, cut into two chunks (0-4 s, 4-10 s; the half-second one is one chunk).
  const testsrc = ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '10'];
  it.each([
    ['odd-sized (321x181, FFV1)', 'odd.mkv', ['-f', 'lavfi', '-i', 'testsrc2=size=321x181:rate=30', '-t', '10', '-c:v', 'ffv1']],
    ['a phone video turned 90°', 'rotated.mp4', [...testsrc, '-c:v', 'libx264', '-preset', 'ultrafast', '-metadata:s:v:0', 'rotate=90', '-c:a', 'aac']],
    ['variable frame rate', 'vfr.mp4', [...testsrc, '-vf', "select='not(mod(n,3))+eq(mod(n,7),1)'", '-vsync', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac']],
    ['10-bit HEVC', 'hevc.mp4', [...testsrc, '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-tag:v', 'hvc1', '-x265-params', 'log-level=error', '-c:a', 'aac']],
    ['VP9 and Opus in WebM', 'vp9.webm', [...testsrc, '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus']],
    ['MPEG-TS whose clock starts at 1.4 s', 'clock.ts', [...testsrc, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac']],
    ['half a second long', 'short.mp4', [...testsrc.slice(0, -2), '-t', '0.5', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac']],
  ])('encodes %s in chunks that decode and join without a gap', async (_, file, args) => {
    const path = join(dir, file);
    await run('ffmpeg', ['-v', 'error', ...args, path]);
    const hostile = await probeSource(path, { maxDurationSeconds: 3600, maxWidth: 1920, maxHeight: 1080 }, new AbortController().signal);
    const { outDir, ...rest } = plan(`${file}-encoded`);
    const ladder = ladderFor(hostile);
    await encodeInChunks({ ...rest, input: path, outDir, source: hostile, ladder, pictures: { posterAtSeconds: 0, storyboard: storyboardFor(hostile) }, chunks: planChunks(hostile.durationSeconds) });

    // The source's frames on the timeline the transcoder uses: 0 at the start of the file.
    const start = Number((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', path])).stdout);
    const original = (await packets(path, 'v:0')).map((packet) => ({ ...packet, pts: packet.pts - start }));
    const frame = Math.max(...steps(original), FRAME);
    for (const { name } of ladder.renditions) {
      const playlist = join(outDir, renditionPlaylist(name));
      expect(await decodeErrors(playlist)).toBe('');
      const video = await packets(playlist);
      for (const step of steps(video)) expect(step).toBeGreaterThan(0);
      for (const step of steps(video)) expect(step).toBeLessThanOrEqual(frame + 0.001);
      expect(Math.abs(video[0]!.pts - original[0]!.pts)).toBeLessThanOrEqual(frame);
      expect(Math.abs(video.at(-1)!.pts + video.at(-1)!.duration - original.at(-1)!.pts - original.at(-1)!.duration)).toBeLessThanOrEqual(frame);
    }
    if (ladder.audio) expect(await decodeErrors(join(outDir, renditionPlaylist(AUDIO_RENDITION)))).toBe('');
  });
});
