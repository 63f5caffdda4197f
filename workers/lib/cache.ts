import { Redis } from '@upstash/redis/cloudflare';
import type { z } from 'zod';
import type { CacheSettings } from './config.ts';

/** Upstash Redis over REST: cache, rate limits and short locks. */
export function openCache(settings: z.output<typeof CacheSettings>): Redis {
  return new Redis({
    url: settings.REDIS_REST_URL,
    token: settings.REDIS_REST_TOKEN,
    enableTelemetry: false,
    retry: { retries: 2, backoff: (attempt) => 50 * 2 ** attempt },
  });
}
