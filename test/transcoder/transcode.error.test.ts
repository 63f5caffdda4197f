import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/services/ports.ts';
import { JobStatus, type TranscodeJob } from '../../contracts/transcoder.ts';
import { listen, makeClip, startHarness, type Harness } from './harness.ts';

/** "Random" bytes that are the same in every run, so the test cannot pass or fail by chance. */
function noise(bytes: number): Buffer {
  const blocks = Array.from({ length: Math.ceil(bytes / 32) }, (_, i) => createHash('sha256').update(`noise ${i}`).digest());
  return Buffer.concat(blocks).subarray(0, bytes);
}

describe('transcoder: sources it refuses and storage that fails', () => {
  let harness: Harness;
  let clip: Buffer;

  beforeAll(async () => {
    harness = await startHarness();
    clip = await makeClip({ width: 640, height: 360, seconds: 4 });
    await harness.put('raw/clip.mp4', clip);
  });
  afterAll(async () => {
    await harness?.stop();
  });

  async function expectRefused(job: TranscodeJob, code: string, message: RegExp) {
    expect((await harness.post(job)).status).toBe(202);
    const final = await harness.waitForFinal(job.jobId);
    expect(final).toMatchObject({ type: 'failed', jobId: job.jobId, videoId: job.videoId, attempt: job.attempt, error: { code, retryable: false } });
    expect(final.type === 'failed' && final.error.message).toMatch(message);
    expect(harness.eventsOf(job.jobId).filter((event) => event.type !== 'progress')).toHaveLength(1);
    expect(await harness.keysUnder(job.output.prefix)).toEqual([]);
    const status = JobStatus.parse(await (await fetch(`${harness.transcoder.url}/jobs/${job.jobId}`)).json());
    expect(status).toMatchObject({ state: 'failed', error: { code, retryable: false } });
    expect(await readdir(harness.workDir)).toEqual([]);
  }

  it.each([
    ['a text file renamed .mp4', () => Buffer.from('These are my lecture notes, not a video.\n'.repeat(50)), 'not_a_video', /not a video/],
    ['random bytes', () => noise(256 * 1024), 'not_a_video', /not a video/],
    ['a PNG renamed .mp4', () => Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4ea0000000049454e44ae426082', 'hex'), 'not_a_video', /still image/],
    ['a truncated MP4', () => clip.subarray(0, 20_000), 'corrupt', /damaged/],
  ])('refuses %s', async (_, bytes, code, message) => {
    const key = `raw/${code}-${Math.random()}.mp4`;
    await harness.put(key, bytes());
    await expectRefused(harness.jobFor(key), code, message);
  });

  it('refuses an audio-only file', async () => {
    await harness.put('raw/podcast.mp4', await makeClip({ width: 0, height: 0, seconds: 2, picture: false }));
    await expectRefused(harness.jobFor('raw/podcast.mp4'), 'no_video_stream', /no picture/);
  });

  it('refuses a video longer than the limit, saying how long both are', async () => {
    const job = harness.jobFor('raw/clip.mp4', { limits: { maxDurationSeconds: 3, maxWidth: 3840, maxHeight: 2160 } });
    await expectRefused(job, 'too_long', /lasts 4 s; the longest accepted is 3 s/);
  });

  it('refuses a resolution over the limit, in either orientation', async () => {
    const job = harness.jobFor('raw/clip.mp4', { limits: { maxDurationSeconds: 60, maxWidth: 320, maxHeight: 640 } });
    await expectRefused(job, 'resolution_too_large', /640x360 pixels; the largest accepted is 640x320/);
  });

  it('fails without retry when the source is not in storage', async () => {
    await expectRefused(harness.jobFor('raw/never-uploaded.mp4'), 'source_missing', /no longer in storage/);
  });

  it('fails as retryable when storage stays unreachable', async () => {
    const closedPort = await freePort();
    const job = harness.jobFor('raw/clip.mp4');
    job.storage = { ...job.storage, endpoint: `http://127.0.0.1:${closedPort}` };
    expect((await harness.post(job)).status).toBe(202);
    const final = await harness.waitForFinal(job.jobId, 30_000);
    expect(final).toMatchObject({ type: 'failed', error: { code: 'storage_unavailable', retryable: true } });
    expect(await readdir(harness.workDir)).toEqual([]);
  });

  it('retries storage errors while publishing, and finishes', async () => {
    // In front of s3rver: the first PUT of every key is answered 503 SlowDown, as a busy S3 does.
    const refused = new Set<string>();
    const proxy = await listen((request, response) => {
      if (request.method === 'PUT' && !refused.has(request.url!)) {
        refused.add(request.url!);
        request.resume().on('end', () => {
          response.writeHead(503, { 'content-type': 'application/xml' }).end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        });
        return;
      }
      const upstream = forward(`${harness.s3.endpoint}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      });
      request.pipe(upstream);
    });
    try {
      const job = harness.jobFor('raw/clip.mp4');
      job.storage = { ...job.storage, endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
      expect((await harness.post(job)).status).toBe(202);
      const final = await harness.waitForFinal(job.jobId, 30_000);
      expect(final.type).toBe('ready');
      const keys = await harness.keysUnder(job.output.prefix);
      expect(keys).toContain(`${job.output.prefix}master.m3u8`);
      expect(keys.length).toBeGreaterThan(5);
      // Every stored key was refused once and then saved; so were the chunk parts' manifests, removed once published.
      const saved = [...refused].map((url) => decodeURIComponent(url.split('?')[0]!).replace(`/${job.output.bucket}/`, ''));
      const manifests = saved.filter((key) => key.startsWith(`${job.output.prefix}chunks/`));
      expect(manifests.length).toBeGreaterThanOrEqual(1);
      expect(keys.filter((key) => manifests.includes(key))).toEqual([]);
      expect([...keys, ...manifests].sort()).toEqual(saved.sort());
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
