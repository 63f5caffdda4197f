import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../scripts/services/redis.ts';

let local: LocalRedis;
let redis: Redis;

beforeAll(async () => {
  local = await startRedis();
  redis = new Redis({ url: local.restUrl, token: local.restToken });
});

afterAll(async () => {
  await local?.stop();
  await local?.stop();
});

/** Fails instead of hanging when the adapter never answers. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
  ]);
}

describe('@upstash/redis through the local REST adapter', () => {
  it('sets with an expiry and reads back; a missing key is null', async () => {
    expect(await redis.set('course:1:title', 'Intro to SQL', { ex: 60 })).toBe('OK');
    expect(await redis.get('course:1:title')).toBe('Intro to SQL');
    const ttl = await redis.ttl('course:1:title');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await redis.get('course:missing')).toBeNull();
  });

  it('round-trips JSON values, which the client serializes', async () => {
    const progress = { lessonId: 'l-7', seconds: 93.5, done: false, tags: ['sql', 'intro'] };
    await redis.set('progress:u1', progress);
    expect(await redis.get('progress:u1')).toEqual(progress);
  });

  it('keeps Arabic text and emoji intact', async () => {
    const title = 'مقدمة في قواعد البيانات 📚✨ — naïve café';
    await redis.set('course:ar:title', title);
    expect(await redis.get<string>('course:ar:title')).toBe(title);
    await redis.hset('course:ar', { title, emoji: '🎓' });
    expect(await redis.hgetall('course:ar')).toEqual({ title, emoji: '🎓' });
  });

  it('increments and works with hashes', async () => {
    expect(await redis.incr('views:c1')).toBe(1);
    expect(await redis.incrby('views:c1', 41)).toBe(42);
    expect(await redis.hset('user:u1', { name: 'Layla', plan: 'pro' })).toBe(2);
    expect(await redis.hgetall('user:u1')).toEqual({ name: 'Layla', plan: 'pro' });
  });

  it('runs a pipeline and a MULTI/EXEC transaction', async () => {
    const results = await redis.pipeline().set('p:a', 'one').incr('p:n').get('p:a').lrange('p:missing', 0, -1).exec();
    expect(results).toEqual(['OK', 1, 'one', []]);

    const [pushed, length, items] = await redis.multi().rpush('queue:t', 'x', 'y').llen('queue:t').lrange('queue:t', 0, -1).exec();
    expect([pushed, length, items]).toEqual([2, 2, ['x', 'y']]);

    const kept = await redis.pipeline().set('p:s', 'text').incr('p:s').get('p:s').exec({ keepErrors: true });
    expect(kept[1]?.error).toMatch(/not an integer/);
    expect(kept[2]?.result).toBe('text');
  });

  it('evaluates Lua scripts, also by SHA', async () => {
    const result = await redis.eval('return {KEYS[1], ARGV[1], 7}', ['lua:key'], ['مرحبا']);
    expect(result).toEqual(['lua:key', 'مرحبا', 7]);

    const script = redis.createScript<number>('return redis.call("INCRBY", KEYS[1], ARGV[1])');
    expect(await script.exec(['lua:counter'], ['5'])).toBe(5);
    expect(await script.evalsha(['lua:counter'], ['5'])).toBe(10);
    await expect(redis.evalsha('0000000000000000000000000000000000000000', [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it('rejects a wrong-type command with the Redis error', async () => {
    await redis.set('plain:string', 'value');
    await expect(redis.lpush('plain:string', 'x')).rejects.toThrow(/WRONGTYPE/);
  });

  it('refuses a wrong token', async () => {
    const intruder = new Redis({ url: local.restUrl, token: 'not-the-token', retry: false });
    await expect(intruder.get('course:1:title')).rejects.toThrow(/Unauthorized/);
  });

  it('limits with a sliding window from @upstash/ratelimit', async () => {
    const limiter = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(3, '10 s'), prefix: 'test-ratelimit' });
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await limiter.limit('user:u1')).success);
    expect(outcomes).toEqual([true, true, true, false]);
    expect((await limiter.limit('user:u2')).success).toBe(true);
  });

  it('reports the outage while redis-server is down and recovers on the same URL', async () => {
    await local.killRedis();
    await expect(within(5_000, redis.get('course:1:title'))).rejects.toThrow(/unreachable/);
    await local.restartRedis();
    expect(await redis.set('after:restart', 'back')).toBe('OK');
    expect(await redis.get('after:restart')).toBe('back');
  });
});

describe('startRedis with a data directory', () => {
  it('keeps keys across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kce-redis-'));
    try {
      const first = await startRedis({ dataDir });
      await new Redis({ url: first.restUrl, token: first.restToken }).set('kept', 'yes');
      await first.stop();
      const second = await startRedis({ dataDir });
      try {
        expect(await new Redis({ url: second.restUrl, token: second.restToken }).get('kept')).toBe('yes');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
