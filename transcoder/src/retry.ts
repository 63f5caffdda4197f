import { setTimeout as sleep } from 'node:timers/promises';

export interface Backoff {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs `task` until it succeeds, waiting twice as long after each failure (up to `maxDelayMs`).
 * Errors `isPermanent` accepts, and aborts, end the loop at once.
 */
export async function withRetries<T>(
  task: () => Promise<T>,
  backoff: Backoff,
  options: { signal?: AbortSignal; isPermanent?: (error: unknown) => boolean; onRetry?: (error: unknown, attempt: number) => void } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= backoff.attempts || options.signal?.aborted || options.isPermanent?.(error)) throw error;
      options.onRetry?.(error, attempt);
      await sleep(Math.min(backoff.firstDelayMs * 2 ** (attempt - 1), backoff.maxDelayMs), undefined, { signal: options.signal });
    }
  }
}
