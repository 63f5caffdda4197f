import type { Redis } from '@upstash/redis/cloudflare';
import { eq } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { sessions } from '../../../db/schema.ts';
import { unavailable } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import { ACCESS_TOKEN_SECONDS } from './tokens.ts';

/**
 * Revoked sessions, so an access token dies with its session rather than at its expiry. Redis holds
 * each revoked session id as long as a token of it can live (plus a minute for a token signed by a
 * refresh that raced the revocation); PostgreSQL (`sessions.revoked_at`) stays the record.
 */
const REVOKED_TTL_SECONDS = ACCESS_TOKEN_SECONDS + 60;
export const revokedKey = (sessionId: string) => `revoked:sid:${sessionId}`;

/**
 * Writes the revocations to Redis. Callers run it inside the transaction that revokes the sessions
 * in PostgreSQL: if Redis cannot take them the transaction rolls back and the request answers 503,
 * so a session is never revoked in the database while its tokens keep working unnoticed.
 */
export async function publishRevocations(cache: Redis, sessionIds: readonly string[]): Promise<void> {
  if (sessionIds.length === 0) return;
  const pipeline = cache.pipeline();
  for (const sessionId of sessionIds) pipeline.set(revokedKey(sessionId), 1, { ex: REVOKED_TTL_SECONDS });
  await pipeline.exec().catch((error: unknown) => {
    throw unavailable('revocation_unavailable', 'Sessions', error);
  });
}

/**
 * One Redis round trip per authenticated request. If Redis cannot answer, PostgreSQL does: an
 * outage of the cache neither lets a revoked token in nor locks everyone out.
 */
export async function isRevoked(cache: Redis, db: () => NeonDatabase, sessionId: string): Promise<boolean> {
  try {
    return (await cache.exists(revokedKey(sessionId))) > 0;
  } catch (error) {
    log('warn', 'revocations unavailable in Redis; reading the database', { error: String(error) });
  }
  const [session] = await db().select({ revokedAt: sessions.revokedAt }).from(sessions).where(eq(sessions.id, sessionId)).limit(1);
  return !session || session.revokedAt !== null;
}
