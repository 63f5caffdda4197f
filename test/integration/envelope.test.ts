import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../workers/api/app.ts';

interface ErrorBody {
  error: { code: string; message: string; traceId: string; settings?: string[] };
}

describe('every request carries a trace id', () => {
  it('continues the caller’s W3C traceparent and returns its trace id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await exports.default.fetch('https://us.api.test/api/health', {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.headers.get('x-trace-id')).toBe(traceId);
  });

  it('starts a new trace when the header is missing or malformed', async () => {
    const response = await exports.default.fetch('https://us.api.test/api/health', { headers: { traceparent: 'garbage' } });
    expect(response.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('the error envelope', () => {
  it('answers an unknown route with 404 not_found and the trace id', async () => {
    const response = await exports.default.fetch('https://us.api.test/api/no-such-thing', { method: 'DELETE' });
    const body = await response.json<ErrorBody>();
    expect(response.status).toBe(404);
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toContain('DELETE /api/no-such-thing');
    expect(body.error.traceId).toBe(response.headers.get('x-trace-id'));
  });

  it('answers every request with one clear 500 naming a missing setting', async () => {
    const broken = { ...env, DATABASE_URL: undefined };
    for (const path of ['/api/health', '/api/anything']) {
      const response = await app.request(path, {}, broken);
      const body = await response.json<ErrorBody>();
      expect(response.status).toBe(500);
      expect(body.error.code).toBe('invalid_configuration');
      expect(body.error.message).toContain('DATABASE_URL is missing');
      expect(body.error.settings).toEqual(['DATABASE_URL']);
    }
  });

  it('names every malformed setting at once', async () => {
    const broken = { ...env, S3_ENDPOINT: 'not a url', JURISDICTION: 'USA', JURISDICTION_URLS: '{oops' };
    const response = await app.request('/api/health', {}, broken);
    const body = await response.json<ErrorBody>();
    expect(response.status).toBe(500);
    expect(body.error.settings?.sort()).toEqual(['JURISDICTION', 'JURISDICTION_URLS', 'S3_ENDPOINT']);
  });
});
