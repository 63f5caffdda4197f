import { Ratelimit } from '@upstash/ratelimit';
import type { Redis } from '@upstash/redis/cloudflare';
import { AppError } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import type { RateLimitSetting } from '../../lib/config.ts';

/** Sliding windows in this jurisdiction's Redis (see the README, "Identity", for what each one stops). */
export interface AuthLimits {
  loginPerIp: Ratelimit;
  /**
   * Keyed on the account AND the address: a guesser elsewhere spends only their own budget, so the
   * owner at their own address can still sign in.
   */
  loginFailuresPerAccountAndIp: Ratelimit;
  /** Wrong current passwords at a password change, per user: a stolen access token cannot guess it. */
  passwordFailuresPerUser: Ratelimit;
  registerPerIp: Ratelimit;
  /** Look-ups in the global directory (`locate`, and `register`'s cross-jurisdiction check). */
  directoryPerIp: Ratelimit;
}

/** A sliding window under its own key prefix; a Redis that cannot answer in 1 s lets the attempt through. */
export function slidingLimiter(redis: Redis, prefix: string, { limit, windowSeconds }: RateLimitSetting): Ratelimit {
  return new Ratelimit({ redis, prefix: `rl:${prefix}`, limiter: Ratelimit.slidingWindow(limit, `${windowSeconds} s`), ephemeralCache: false, timeout: 1_000 });
}

export function authLimits(
  redis: Redis,
  settings: { login: RateLimitSetting; loginFailures: RateLimitSetting; register: RateLimitSetting; locate: RateLimitSetting },
): AuthLimits {
  return {
    loginPerIp: slidingLimiter(redis, 'login:ip', settings.login),
    loginFailuresPerAccountAndIp: slidingLimiter(redis, 'login:account-ip', settings.loginFailures),
    passwordFailuresPerUser: slidingLimiter(redis, 'password:user', settings.loginFailures),
    registerPerIp: slidingLimiter(redis, 'register:ip', settings.register),
    directoryPerIp: slidingLimiter(redis, 'directory:ip', settings.locate),
  };
}

/** The client's address as the edge reports it. */
export function clientAddress(headers: { header(name: string): string | undefined }): string {
  return headers.header('cf-connecting-ip') ?? 'unknown';
}

function refuse(reset: number, what: string): never {
  const retryAfter = Math.max(1, Math.ceil((reset - Date.now()) / 1000));
  throw new AppError('rate_limited', `Too many ${what}. Try again in ${retryAfter} s.`, { retryAfter });
}

/**
 * Counts one attempt. If Redis cannot answer within the limiter's timeout the attempt is let
 * through (and logged): an outage of the cache must not lock everybody out.
 */
export async function countAttempt(limiter: Ratelimit, identifier: string, what: string, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  const result = await limiter.limit(identifier);
  waitUntil(result.pending);
  if (result.reason === 'timeout') log('warn', 'rate limit unavailable; letting the attempt through', { what });
  if (!result.success) refuse(result.reset, what);
}

/** Counts one failure without refusing the request that failed: the next attempt meets `checkBudget`. */
export async function countFailure(limiter: Ratelimit, identifier: string, what: string, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  await countAttempt(limiter, identifier, what, waitUntil).catch((error: unknown) => {
    if (!(error instanceof AppError && error.status === 429)) throw error;
  });
}

/** Refuses when the budget is already spent, without spending any of it. */
export async function checkBudget(limiter: Ratelimit, identifier: string, what: string): Promise<void> {
  const { remaining, reset } = await limiter.getRemaining(identifier).catch((error: unknown) => {
    log('warn', 'rate limit unavailable; letting the attempt through', { what, error: String(error) });
    return { remaining: 1, reset: 0 };
  });
  if (remaining <= 0) refuse(reset, what);
}
