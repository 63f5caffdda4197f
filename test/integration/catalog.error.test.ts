import { describe, expect, it } from 'vitest';
import { call } from './client.ts';

const cursorOf = (value: unknown) => btoa(JSON.stringify(value)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
const DASHES = '-'.repeat(36);

describe('catalog: malformed input is a 4xx in the envelope, never a 5xx', () => {
  it('refuses cursors whose value or id would not survive the SQL casts', async () => {
    const cases = [
      ['newest', ['not a date', crypto.randomUUID()]],
      ['newest', ['2026-13-45T99:00:00Z', crypto.randomUUID()]],
      ['newest', [new Date().toISOString(), DASHES]],
      ['title', ['A title', DASHES]],
      ['title', [42, crypto.randomUUID()]],
      ['newest', [1e308, crypto.randomUUID()]],
      ['newest', [new Date().toISOString(), crypto.randomUUID(), 'extra']],
    ] as const;
    for (const [sort, value] of cases) {
      const answer = await call(`/api/courses?sort=${sort}&cursor=${cursorOf(value)}`);
      expect(answer.status, `${sort} ${JSON.stringify(value)}`).toBe(400);
      expect(answer.body).toMatchObject({ error: { code: 'invalid_cursor', traceId: expect.any(String) } });
    }
    // A relevance cursor must hold a number; the query it came from must be repeated.
    const relevance = await call(`/api/courses?q=edge&sort=relevance&cursor=${cursorOf(['1; drop table courses', crypto.randomUUID()])}`);
    expect(relevance.body).toMatchObject({ error: { code: 'invalid_cursor' } });
  });

  it('answers 404 for course references that cannot be an id or a slug (NUL, dashes, invalid escapes)', async () => {
    for (const ref of ['%00abc', 'abc%00', DASHES, '%E2%80%AE', 'a'.repeat(200), '%20spaced%20']) {
      const answer = await call(`/api/courses/${ref}`);
      expect(answer.status, ref).toBe(404);
      expect(answer.body).toMatchObject({ error: { code: 'not_found' } });
    }
    // No cache entry was made for them either: the same answer comes from the same check.
    expect((await call(`/api/courses/${DASHES}`)).headers.get('x-cache')).toBeNull();
  });
});
