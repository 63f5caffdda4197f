import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/api/index.ts';

describe('queue consumers', () => {
  it('never acknowledges a message nobody handled: each is retried towards the dead-letter queue', async () => {
    const batch = createMessageBatch('kce-us-content-sync', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: { v: 1 } },
      { id: 'm2', timestamp: new Date(), attempts: 3, body: { v: 1 } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['m1', 'm2']);
    expect(result.retryBatch.retry).toBe(false);
  });
});
