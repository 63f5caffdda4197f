import { describe, expect, it } from 'vitest';
import { AppError, asAppError } from '../../workers/lib/errors.ts';

describe('failures that are not refusals', () => {
  it('are a 503 to try again when a dependency did not answer, wherever in the cause chain', () => {
    const webSocketFailure = { [Symbol.toStringTag]: 'ErrorEvent' };
    for (const failure of [
      new Error('Failed query: select 1', { cause: webSocketFailure }),
      new Error('ERR redis at 127.0.0.1:6380 is unreachable (connect ECONNREFUSED 127.0.0.1:6380)'),
      new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9000') }),
      new Error('Network connection lost.'),
    ]) {
      const answer = asAppError(failure);
      expect(answer.code, failure.message).toBe('service_unavailable');
      expect(answer.status).toBe(503);
      expect(answer.details).toEqual({ retryAfter: 5 });
    }
  });

  it('are a 500 without internals otherwise, and refusals stay what they are', () => {
    const bug = asAppError(new Error('Failed query: insert …', { cause: new Error('duplicate key value violates unique constraint "courses_slug_key"') }));
    expect([bug.code, bug.status]).toEqual(['internal_error', 500]);
    expect(bug.message).not.toContain('duplicate');
    const refusal = new AppError('slug_taken', 'taken');
    expect(asAppError(refusal)).toBe(refusal);
  });
});
