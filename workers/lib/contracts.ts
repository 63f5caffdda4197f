import { z } from 'zod';

/**
 * Contracts between services: every RPC input and queue body is versioned and carries the W3C
 * `traceparent` of the request that caused it. Producer and consumer import the same schema.
 */
const Traced = z.object({
  v: z.literal(1),
  traceparent: z.string().regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/),
});

/** RPC `analytics.health` and `media.transcoderHealth`: a real check of the dependency behind them. */
export const HealthCheck = Traced;
export type HealthCheck = z.infer<typeof HealthCheck>;
