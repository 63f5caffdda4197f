import { describe, expect, it } from 'vitest';
import { queueKind, retryDelaySeconds } from '../../workers/lib/queue.ts';

describe('queueKind', () => {
  it.each([
    ['kce-us-video-jobs', 'video-jobs'],
    ['kce-sa-analytics-events-dlq', 'analytics-events-dlq'],
    ['kce-local-content-sync', 'content-sync'],
    ['kce-us-unknown', undefined],
    ['video-jobs', undefined],
  ])('%s is %s', (name, kind) => {
    expect(queueKind(name)).toBe(kind);
  });
});

describe('retryDelaySeconds', () => {
  it('doubles from 5 s and stops at one hour', () => {
    expect([1, 2, 3, 4].map(retryDelaySeconds)).toEqual([5, 10, 20, 40]);
    expect(retryDelaySeconds(30)).toBe(3_600);
  });
});
