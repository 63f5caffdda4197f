import { describe, expect, it } from 'vitest';
import { AppError } from '../../workers/lib/errors.ts';
import { loggedPath, mediaFile, publishedJobOf } from '../../workers/api/videos/media-paths.ts';

const video = '0b8a1c2e-1111-4222-8333-944455556666';
const job = '7c1d2e3f-aaaa-4bbb-8ccc-ddddeeeeffff';
const file = (rest: string) => mediaFile(['T0k3n', video, job, ...rest.split('/')]);

describe('media paths', () => {
  it('name a file of the token’s video and job, and nothing else', () => {
    expect(file('master.m3u8').key).toBe(`media/${video}/${job}/master.m3u8`);
    expect(file('720p/segment_00001.m4s').key).toBe(`media/${video}/${job}/720p/segment_00001.m4s`);
    expect(file('720p%2Dhd/init.mp4').key).toBe(`media/${video}/${job}/720p-hd/init.mp4`);
  });

  it('refuse traversal however it is encoded, decoding each segment exactly once', () => {
    const hostile = [
      '..%2f..%2f..%2f',
      '..%2F..%2Fraw%2Fsource.mp4',
      '..%252f..%252fraw',
      '..%5c..%5craw',
      '%2e%2e/raw',
      '.%2E/x',
      '..',
      '.',
      '.hidden',
      'master.m3u8%00',
      '%00',
      '%ff',
      '%E0%A4%A',
      '%c0%ae%c0%ae/raw',
      '%C0%AF',
      'a%20b.m3u8',
      '',
      'a/b/c/d.m4s',
      'a'.repeat(129),
    ];
    for (const rest of hostile) {
      expect(() => file(rest), rest).toThrowError(AppError);
      expect(() => file(rest), rest).toThrowError(/does not name a published file/);
    }
    expect(() => mediaFile(['T', `${video}%2f..`, job, 'master.m3u8'])).toThrowError(AppError);
    expect(() => mediaFile(['T', video, '..%2f..%2f..%2f'])).toThrowError(AppError);
    expect(() => mediaFile(['', video, job, 'master.m3u8'])).toThrowError(AppError);
  });

  it('read the published job from an output prefix', () => {
    expect(publishedJobOf(`media/${video}/${job}/`)).toBe(job);
    expect(() => publishedJobOf(`media/${video}/`)).toThrowError();
  });

  it('keep tokens out of the request log', () => {
    expect(loggedPath(`/media/1000-abcdef/${video}/${job}/master.m3u8`)).toBe(`/media/[token]/${video}/${job}/master.m3u8`);
    expect(loggedPath('/api/courses')).toBe('/api/courses');
  });
});
