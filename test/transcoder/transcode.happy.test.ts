import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobAccepted, JobStatus, type TranscodeResult } from '../../contracts/transcoder.ts';
import { makeClip, startHarness, TRACEPARENT, type Harness } from './harness.ts';

const run = promisify(execFile);

/** Attributes of every `#EXT-X-STREAM-INF` line, with the URI on the line after it. */
function variantsOf(master: string) {
  const lines = master.split('\n');
  return lines.flatMap((line, i) => {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return [];
    const attributes = Object.fromEntries([...line.matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)].map(([, key, value]) => [key!, value!.replace(/"/g, '')]));
    return [{ ...attributes, uri: lines[i + 1]! }];
  });
}

/** The init and media segments a media playlist lists, relative to the job's output folder. */
function filesOf(playlist: string, path: string): string[] {
  const folder = path.slice(0, path.lastIndexOf('/') + 1);
  const inits = [...playlist.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)].map((match) => match[1]!);
  const segments = playlist.split('\n').filter((line) => line.endsWith('.m4s'));
  return [...inits, ...segments].map((file) => folder + file);
}

/** What ffprobe sees in a downloaded file. */
async function probe(bytes: Buffer) {
  const dir = await mkdtemp(join(tmpdir(), 'kce-probe-'));
  try {
    await writeFile(join(dir, 'file'), bytes);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', join(dir, 'file')]);
    return JSON.parse(stdout) as { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; channels?: number; sample_rate?: string; duration?: string }> };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('transcoder: a video becomes an HLS ladder with poster and storyboard', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ progressIntervalMs: 200 });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  /** The streams of the audio rendition's init segment and first segment. */
  async function audioStreams(prefix: string) {
    const playlist = (await harness.read(`${prefix}audio/index.m3u8`)).body.toString('utf8');
    const [init, first] = await Promise.all([/#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!, playlist.split('\n').find((line) => line.endsWith('.m4s'))!].map((file) => harness.read(`${prefix}audio/${file}`)));
    return (await probe(Buffer.concat([init!.body, first!.body]))).streams;
  }

  it('transcodes a 720p clip into 720p, 480p and 360p, reports progress and publishes everything', async () => {
    await harness.put('raw/lesson-720p.mp4', await makeClip({ width: 1280, height: 720, seconds: 6 }));
    const job = harness.jobFor('raw/lesson-720p.mp4');

    const response = await harness.post(job);
    expect(response.status).toBe(202);
    expect(JobAccepted.parse(await response.json())).toEqual({ jobId: job.jobId, state: 'accepted' });

    const final = await harness.waitForFinal(job.jobId);
    expect(final.type).toBe('ready');
    const result = (final as { result: TranscodeResult }).result;
    expect(result).toMatchObject({ prefix: job.output.prefix, master: 'master.m3u8', width: 1280, height: 720, poster: 'poster.jpg' });
    expect(result.durationSeconds).toBeCloseTo(6, 0);
    expect(result.renditions.map(({ name, width, height }) => [name, width, height])).toEqual([
      ['720p', 1280, 720],
      ['480p', 854, 480],
      ['360p', 640, 360],
    ]);

    // Every callback was signed (the receiver refuses others) and carried the caller's trace.
    expect(harness.deliveries.filter((d) => d.event.jobId === job.jobId).every((d) => d.status === 204 && d.traceparent === TRACEPARENT)).toBe(true);
    const events = harness.eventsOf(job.jobId);
    expect(events.at(-1)).toBe(final);
    const percents = events.flatMap((event) => (event.type === 'progress' ? [event.percent] : []));
    expect(percents.length).toBeGreaterThanOrEqual(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(percents).size).toBe(percents.length);

    // The master playlist names every rendition with BANDWIDTH, RESOLUTION and CODECS, and the one audio rendition they share.
    const master = await harness.read(`${job.output.prefix}master.m3u8`);
    expect(master.contentType).toBe('application/vnd.apple.mpegurl');
    const variants = variantsOf(master.body.toString('utf8'));
    expect(variants).toEqual(
      result.renditions.map((rendition) =>
        expect.objectContaining({
          BANDWIDTH: String(rendition.bandwidth),
          RESOLUTION: `${rendition.width}x${rendition.height}`,
          CODECS: rendition.codecs,
          AUDIO: 'audio',
          uri: rendition.playlist,
        }),
      ),
    );
    expect(master.body.toString('utf8')).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"\n');
    for (const rendition of result.renditions) {
      expect(rendition.codecs).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      expect(rendition.bandwidth).toBeGreaterThan(50_000);
    }

    // Each rendition: a VOD playlist of ~4 s fMP4 segments, cut at the same instants in every rendition.
    const segmentDurations: string[][] = [];
    for (const rendition of result.renditions) {
      const playlist = await harness.read(`${job.output.prefix}${rendition.playlist}`);
      expect(playlist.contentType).toBe('application/vnd.apple.mpegurl');
      const text = playlist.body.toString('utf8');
      expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
      expect(text).toContain('#EXT-X-ENDLIST');
      segmentDurations.push([...text.matchAll(/#EXTINF:([\d.]+)/g)].map((match) => match[1]!));
      const folder = `${job.output.prefix}${rendition.name}/`;
      const init = await harness.read(folder + /#EXT-X-MAP:URI="([^"]+)"/.exec(text)![1]!);
      expect(init.contentType).toBe('video/mp4');
      const firstSegment = await harness.read(folder + text.split('\n').find((line) => line.endsWith('.m4s'))!);
      expect(firstSegment.contentType).toBe('video/iso.segment');
      expect(firstSegment.body.length).toBeGreaterThan(1000);
      const streams = (await probe(Buffer.concat([init.body, firstSegment.body]))).streams;
      expect(streams).toEqual([expect.objectContaining({ codec_type: 'video', codec_name: 'h264', width: rendition.width, height: rendition.height })]);
    }
    expect(await audioStreams(job.output.prefix)).toEqual([expect.objectContaining({ codec_type: 'audio', codec_name: 'aac', channels: 2 })]);
    expect(segmentDurations[0]![0]).toBe('4.000000');
    expect(new Set(segmentDurations.map((durations) => durations.join()))).toHaveProperty('size', 1);

    const poster = await harness.read(`${job.output.prefix}${result.poster}`);
    expect(poster.contentType).toBe('image/jpeg');
    expect((await probe(poster.body)).streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 1280, height: 720 });
    const sprite = await harness.read(`${job.output.prefix}${result.storyboard.image}`);
    expect(sprite.contentType).toBe('image/jpeg');
    // 6 s at one thumbnail every 2 s: three 160x90 tiles side by side.
    expect((await probe(sprite.body)).streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 480, height: 90 });
    const vtt = await harness.read(`${job.output.prefix}${result.storyboard.vtt}`);
    expect(vtt.contentType).toBe('text/vtt');
    expect(vtt.body.toString('utf8')).toBe(
      'WEBVTT\n\n' +
        '00:00:00.000 --> 00:00:02.000\nstoryboard.jpg#xywh=0,0,160,90\n\n' +
        '00:00:02.000 --> 00:00:04.000\nstoryboard.jpg#xywh=160,0,160,90\n\n' +
        '00:00:04.000 --> 00:00:06.000\nstoryboard.jpg#xywh=320,0,160,90\n',
    );

    // For offline viewing: the middle rung (480p of this ladder) with the audio, one MP4, the whole length.
    const download = await harness.read(`${job.output.prefix}${result.download}`);
    expect(download.contentType).toBe('video/mp4');
    const downloaded = (await probe(download.body)).streams;
    expect(downloaded).toEqual([
      expect.objectContaining({ codec_type: 'video', codec_name: 'h264', width: 854, height: 480 }),
      expect.objectContaining({ codec_type: 'audio', codec_name: 'aac', channels: 2 }),
    ]);
    for (const stream of downloaded) expect(Number(stream.duration)).toBeCloseTo(6, 1);

    const status = JobStatus.parse(await (await fetch(`${harness.transcoder.url}/jobs/${job.jobId}`)).json());
    const { prefix, master: masterName, durationSeconds, width, height } = result;
    // The plan, every part done: one chunk (the clip is short), its lowest rung, then the others.
    const parts = [['360p'], ['720p', '480p']].map((renditions) => ({ chunk: 0, startSeconds: 0, endSeconds: durationSeconds, renditions, state: 'done' }));
    expect(status).toEqual({ jobId: job.jobId, state: 'done', percent: 100, parts, playable: expect.objectContaining({ prefix, master: masterName, durationSeconds, width, height }), result });
    expect(await readdir(harness.workDir)).toEqual([]);
  });

  it('publishes a video while it is encoded: playable after its first chunks, lowest rung first, growing playlists of stored segments only, VOD at the end', { timeout: 120_000 }, async () => {
    // 40 s: chunks of 4, 8, 16 and 12 s, so three chunk borders; the job runs well past its first chunk.
    await harness.put('raw/lecture.mp4', await makeClip({ width: 1280, height: 720, seconds: 40 }));
    const job = harness.jobFor('raw/lecture.mp4');
    await harness.post(job);
    const playable = await harness.waitForEvent(job.jobId, ['playable', 'ready', 'failed']);
    expect(playable.type).toBe('playable');

    // Playable on the lowest rung, encoded first for every chunk; the others join the master when
    // complete (a player keeps the master it loaded, so none is offered a rung that lags behind).
    expect((playable as { result: TranscodeResult }).result.renditions.map((rendition) => rendition.name)).toEqual(['360p']);
    // What a player finds at that moment: a master of that rung, and EVENT playlists (kept for 2 s
    // only) whose every segment and init segment is already stored.
    const keys = new Set(await harness.keysUnder(job.output.prefix));
    const master = await harness.read(`${job.output.prefix}master.m3u8`);
    expect(master.cacheControl).toBe('public, max-age=2');
    expect(variantsOf(master.body.toString('utf8')).map((variant) => variant.uri)).toEqual(['360p/index.m3u8']);
    const playlists = ['720p/index.m3u8', '480p/index.m3u8', '360p/index.m3u8', 'audio/index.m3u8'];
    for (const playlist of ['360p/index.m3u8', 'audio/index.m3u8']) {
      const growing = await harness.read(`${job.output.prefix}${playlist}`);
      const text = growing.body.toString('utf8');
      expect(growing.cacheControl).toBe('public, max-age=2');
      expect(text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
      expect(text).not.toContain('#EXT-X-ENDLIST');
      const files = filesOf(text, playlist);
      expect(files.length).toBeGreaterThanOrEqual(2);
      for (const file of files) expect(keys, file).toContain(`${job.output.prefix}${file}`);
    }
    expect(keys).not.toContain(`${job.output.prefix}download.mp4`);
    expect(JobStatus.parse(await (await fetch(`${harness.transcoder.url}/jobs/${job.jobId}`)).json())).toMatchObject({ state: 'running', playable: (playable as { result: unknown }).result });

    const final = await harness.waitForFinal(job.jobId);
    expect(final.type).toBe('ready');
    const events = harness.eventsOf(job.jobId);
    expect(events.findIndex((event) => event.type === 'playable')).toBeLessThan(events.indexOf(final));
    // Every percent before playable was short of 100: it came early, not at the end.
    const before = events.slice(0, events.indexOf(playable)).flatMap((event) => (event.type === 'progress' ? [event.percent] : []));
    expect(Math.max(0, ...before)).toBeLessThan(100);

    // At the end: VOD playlists kept for good (the edge's default), and nothing stored that no playlist lists.
    const stored = await harness.keysUnder(job.output.prefix);
    const listed = new Set(['master.m3u8', 'poster.jpg', 'storyboard.jpg', 'storyboard.vtt', 'download.mp4', ...playlists]);
    for (const playlist of playlists) {
      const complete = await harness.read(`${job.output.prefix}${playlist}`);
      expect(complete.cacheControl).toBeUndefined();
      expect(complete.body.toString('utf8')).toContain('#EXT-X-ENDLIST');
      for (const file of filesOf(complete.body.toString('utf8'), playlist)) listed.add(file);
    }
    expect((await harness.read(`${job.output.prefix}master.m3u8`)).cacheControl).toBeUndefined();
    expect(stored).toEqual([...listed].map((file) => `${job.output.prefix}${file}`).sort());
  });

  it('keeps a small portrait video at its own size and re-encodes its mono MP3 sound to stereo AAC', async () => {
    await harness.put('raw/phone.mov', await makeClip({ width: 240, height: 426, seconds: 3, audio: { codec: 'libmp3lame', channels: 1 } }));
    const job = harness.jobFor('raw/phone.mov');
    expect((await harness.post(job)).status).toBe(202);

    const final = await harness.waitForFinal(job.jobId);
    expect(final.type).toBe('ready');
    const result = (final as { result: TranscodeResult }).result;
    expect(result).toMatchObject({ width: 240, height: 426 });
    expect(result.renditions).toEqual([expect.objectContaining({ name: '240p', width: 240, height: 426, playlist: '240p/index.m3u8' })]);

    const playlist = (await harness.read(`${job.output.prefix}240p/index.m3u8`)).body.toString('utf8');
    const init = await harness.read(`${job.output.prefix}240p/${/#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!}`);
    expect((await probe(init.body)).streams).toEqual([expect.objectContaining({ codec_type: 'video', width: 240, height: 426 })]);
    expect(await audioStreams(job.output.prefix)).toEqual([expect.objectContaining({ codec_type: 'audio', codec_name: 'aac', channels: 2, sample_rate: '48000' })]);
    // A portrait storyboard: 90x160 tiles.
    expect((await probe((await harness.read(`${job.output.prefix}storyboard.jpg`)).body)).streams[0]).toMatchObject({ width: 180, height: 160 });
  });

  it('transcodes a silent video: the variants name no audio codec', async () => {
    await harness.put('raw/silent.mp4', await makeClip({ width: 640, height: 360, seconds: 2, audio: false }));
    const job = harness.jobFor('raw/silent.mp4');
    expect((await harness.post(job)).status).toBe(202);

    const final = await harness.waitForFinal(job.jobId);
    expect(final.type).toBe('ready');
    const { renditions } = (final as { result: TranscodeResult }).result;
    expect(renditions).toEqual([expect.objectContaining({ name: '360p', width: 640, height: 360, codecs: expect.stringMatching(/^avc1\.[0-9a-f]{6}$/) })]);
    const master = (await harness.read(`${job.output.prefix}master.m3u8`)).body.toString('utf8');
    expect(variantsOf(master)).toEqual([expect.objectContaining({ CODECS: renditions[0]!.codecs, RESOLUTION: '640x360' })]);
    expect(master).not.toContain('AUDIO');
    expect((await harness.keysUnder(job.output.prefix)).filter((key) => key.includes('/audio/'))).toEqual([]);
    expect((await probe((await harness.read(`${job.output.prefix}download.mp4`)).body)).streams).toEqual([expect.objectContaining({ codec_type: 'video', width: 640, height: 360 })]);
  });
});
