import type { Redis } from '@upstash/redis/cloudflare';
import { unavailable } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';

/**
 * The catalog cache (5 minutes, as the original design asks), with versioned keys: every entry is
 * stored under the current catalog generation, and any course write bumps the generation, so no
 * learner sees a stale course after an edit. Old generations simply expire.
 */
const TTL_SECONDS = 300;
const GENERATION = 'catalog:generation';
const LOCK_MS = 5_000;
const WAIT_STEP_MS = 25;
const WAIT_STEPS = 120;

/** One round trip: the generation and whatever is cached under it. */
const READ_SCRIPT = `local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('GET', ARGV[1] .. '@' .. g)}`;

export interface Cached<T> {
  value: T;
  hit: boolean;
}

/** Entries are wrapped, so a cached string or null is told apart from a miss and from JSON text. */
interface Entry<T> {
  value: T;
}
const decode = <T>(raw: unknown): T => (typeof raw === 'string' ? (JSON.parse(raw) as Entry<T>) : (raw as Entry<T>)).value;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Read-through with single flight: of many concurrent misses on one key, one takes a short Redis
 * lock and queries the database; the others wait for its result. If Redis is down, the database
 * answers directly.
 */
export async function cachedCatalog<T>(cache: Redis, key: string, load: () => Promise<T>): Promise<Cached<T>> {
  let entryKey: string;
  try {
    const [generation, raw] = await cache.eval<string[], [string, unknown]>(READ_SCRIPT, [GENERATION], [key]);
    if (raw !== null && raw !== undefined) return { value: decode<T>(raw), hit: true };
    entryKey = `${key}@${generation}`;
  } catch (error) {
    log('warn', 'catalog cache unavailable; reading the database', { key, error: String(error) });
    return { value: await load(), hit: false };
  }
  const lockKey = `lock:${entryKey}`;
  if ((await cache.set(lockKey, '1', { nx: true, px: LOCK_MS })) === 'OK') {
    try {
      const value = await load();
      await cache.set<Entry<T>>(entryKey, { value }, { ex: TTL_SECONDS });
      return { value, hit: false };
    } finally {
      await cache.del(lockKey);
    }
  }
  for (let step = 0; step < WAIT_STEPS; step++) {
    await sleep(WAIT_STEP_MS);
    const raw = await cache.get<Entry<T>>(entryKey);
    if (raw !== null) return { value: decode<T>(raw), hit: true };
  }
  return { value: await load(), hit: false };
}

/**
 * Runs a catalog write between two generation bumps: if the cache cannot be reached the write is
 * refused (nothing changed) rather than leaving stale pages for 5 minutes; the second bump covers
 * a read that cached the old state while the write ran.
 */
export async function changingCatalog<T>(cache: Redis, write: () => Promise<T>): Promise<T> {
  await cache.incr(GENERATION).catch((error: unknown) => {
    throw unavailable('cache_unavailable', 'The catalog', error);
  });
  const result = await write();
  await cache.incr(GENERATION).catch((error: unknown) => log('error', 'catalog generation not bumped after a write', { error: String(error) }));
  return result;
}
