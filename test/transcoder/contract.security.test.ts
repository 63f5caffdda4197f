import { createHmac, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signEvent, TranscodeEvent, TranscodeJob, verifyEvent } from '../../contracts/transcoder.ts';

const secret = 'a-callback-secret-for-tests';
const now = 1_767_000_000;
const body = JSON.stringify({ v: 1, jobId: randomUUID(), videoId: randomUUID(), attempt: 1, type: 'progress', percent: 40 });

describe('callback signatures', () => {
  it('is a hex HMAC-SHA256 over "timestamp.body"', async () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(await signEvent(secret, now, body)).toBe(expected);
  });

  it('accepts an authentic, fresh callback', async () => {
    const signature = await signEvent(secret, now, body);
    expect(await verifyEvent(secret, String(now), body, signature, now + 10)).toBe(true);
    expect(await verifyEvent(secret, String(now), body, signature.toUpperCase(), now)).toBe(true);
  });

  it('refuses a tampered body, a tampered signature, another secret and another timestamp', async () => {
    const signature = await signEvent(secret, now, body);
    expect(await verifyEvent(secret, String(now), body.replace('40', '99'), signature, now)).toBe(false);
    expect(await verifyEvent(secret, String(now), body, `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`, now)).toBe(false);
    expect(await verifyEvent('another-secret-entirely', String(now), body, signature, now)).toBe(false);
    expect(await verifyEvent(secret, String(now + 1), body, signature, now)).toBe(false);
  });

  it('refuses a callback older or newer than the tolerance, even correctly signed', async () => {
    const old = now - 301;
    expect(await verifyEvent(secret, String(old), body, await signEvent(secret, old, body), now)).toBe(false);
    const future = now + 301;
    expect(await verifyEvent(secret, String(future), body, await signEvent(secret, future, body), now)).toBe(false);
    expect(await verifyEvent(secret, String(old), body, await signEvent(secret, old, body), now, 600)).toBe(true);
  });

  it.each([
    ['no timestamp', null, 'sig'],
    ['no signature', String(now), null],
    ['a timestamp that is not a number', 'yesterday', 'sig'],
    ['a signature that is not hex', String(now), 'z'.repeat(64)],
    ['a short signature', String(now), 'ab'],
  ])('refuses %s', async (_, timestamp, signature) => {
    const valid = await signEvent(secret, now, body);
    expect(await verifyEvent(secret, timestamp, body, signature === 'sig' ? valid : signature, now)).toBe(false);
  });
});

describe('contract schemas', () => {
  const job = {
    v: 1,
    jobId: randomUUID(),
    videoId: randomUUID(),
    attempt: 1,
    source: { bucket: 'kce-us', key: 'raw/v/source.mp4' },
    output: { bucket: 'kce-us', prefix: 'media/v/j/' },
    storage: { endpoint: 'https://storage.example', region: 'auto', accessKeyId: 'id', secretAccessKey: 'secret' },
    limits: { maxDurationSeconds: 7200, maxWidth: 3840, maxHeight: 2160 },
    callbackUrl: 'https://media.internal/transcoder/events',
  };

  it('accepts a complete job and refuses a wrong version, prefix or callback scheme', () => {
    expect(TranscodeJob.parse(job)).toEqual(job);
    expect(TranscodeJob.safeParse({ ...job, v: 2 }).success).toBe(false);
    expect(TranscodeJob.safeParse({ ...job, output: { bucket: 'kce-us', prefix: 'media/v/j' } }).success).toBe(false);
    expect(TranscodeJob.safeParse({ ...job, output: { bucket: 'kce-us', prefix: '/media/v/j/' } }).success).toBe(false);
    expect(TranscodeJob.safeParse({ ...job, callbackUrl: 'file:///etc/passwd' }).success).toBe(false);
  });

  it('tells events apart by type', () => {
    const base = { v: 1, jobId: job.jobId, videoId: job.videoId, attempt: 1 };
    expect(TranscodeEvent.safeParse({ ...base, type: 'failed', error: { code: 'too_long', message: 'Too long.', retryable: false } }).success).toBe(true);
    expect(TranscodeEvent.safeParse({ ...base, type: 'failed', error: { code: 'exploded', message: '?', retryable: false } }).success).toBe(false);
    expect(TranscodeEvent.safeParse({ ...base, type: 'ready' }).success).toBe(false);
  });
});
