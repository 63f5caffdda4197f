import { describe, expect, it } from 'vitest';
import { AppError } from '../../workers/lib/errors.ts';
import { outcome, unwrap } from '../../workers/lib/rpc.ts';

describe('RPC outcomes', () => {
  it('carry a refusal across as a value and raise it again as the same AppError', async () => {
    const answer = await outcome(() => Promise.reject(new AppError('cache_unavailable', 'Try again shortly.', { retryAfter: 1 })));
    expect(structuredClone(answer)).toEqual({ ok: false, error: { code: 'cache_unavailable', message: 'Try again shortly.', details: { retryAfter: 1 } } });
    const raised = (() => {
      try {
        unwrap(structuredClone(answer));
      } catch (error) {
        return error;
      }
    })();
    expect(raised).toBeInstanceOf(AppError);
    expect(raised).toMatchObject({ code: 'cache_unavailable', status: 503, message: 'Try again shortly.', details: { retryAfter: 1 } });
  });

  it('pass a value through, and throw anything that is not a refusal', async () => {
    expect(unwrap(await outcome(async () => 42))).toBe(42);
    await expect(outcome(() => Promise.reject(new TypeError('a bug')))).rejects.toThrowError(TypeError);
  });
});
