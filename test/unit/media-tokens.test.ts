import { describe, expect, it } from 'vitest';
import { signMediaToken, verifyMediaToken } from '../../workers/api/videos/media-tokens.ts';
import { videoIdOfSourceKey } from '../../workers/media/pipeline.ts';

const secret = 'a-jurisdiction-jwt-secret-of-32-characters';
const video = '0b8a1c2e-1111-4222-8333-944455556666';
const job = '7c1d2e3f-aaaa-4bbb-8ccc-ddddeeeeffff';

describe('media tokens', () => {
  it('grant one job of one video until they expire', async () => {
    const token = await signMediaToken(secret, video, job, 1_000);
    expect(token).toMatch(/^1000-[0-9a-f]{64}$/);
    expect(await verifyMediaToken(secret, token, video, job, 999)).toBe(true);
    expect(await verifyMediaToken(secret, token, video, job, 1_000)).toBe(true);
    expect(await verifyMediaToken(secret, token, video, job, 1_001)).toBe(false);
    expect(await verifyMediaToken(secret, token, crypto.randomUUID(), job, 999)).toBe(false);
    expect(await verifyMediaToken(secret, token, video, crypto.randomUUID(), 999)).toBe(false);
    expect(await verifyMediaToken(`${secret}x`, token, video, job, 999)).toBe(false);
  });

  it('refuse a later expiry grafted onto a signature, and anything malformed', async () => {
    const token = await signMediaToken(secret, video, job, 1_000);
    expect(await verifyMediaToken(secret, token.replace(/^1000/, '9999'), video, job, 999)).toBe(false);
    for (const bad of ['', '1000', `1000-${'z'.repeat(64)}`, `1000-${'0'.repeat(63)}`, `-1-${'0'.repeat(64)}`]) {
      expect(await verifyMediaToken(secret, bad, video, job, 0)).toBe(false);
    }
  });
});

describe('R2 event keys', () => {
  it('name the video of a source upload and nothing else', () => {
    expect(videoIdOfSourceKey(`raw/${video}/source.mp4`)).toBe(video);
    expect(videoIdOfSourceKey(`media/${video}/job/master.m3u8`)).toBeUndefined();
    expect(videoIdOfSourceKey('raw/not-a-video/source.mp4')).toBeUndefined();
  });
});
