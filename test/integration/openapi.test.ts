import { describe, expect, it } from 'vitest';
import { call } from './client.ts';

describe('the API document', () => {
  it('is served as OpenAPI 3.1 JSON, with the reference page beside it', async () => {
    const document = await call<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>('/api/openapi.json');
    expect(document.status).toBe(200);
    expect(document.body.openapi).toBe('3.1.0');
    expect(Object.keys(document.body.paths)).toContain('/api/courses/{idOrSlug}');
    expect(Object.keys(document.body.components.schemas)).toEqual(expect.arrayContaining(['ErrorEnvelope', 'CourseDetail', 'Playback']));
    const docs = await fetchText('/api/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(docs.text).toContain('/api/openapi.json');
  });
});

async function fetchText(path: string) {
  const { exports } = await import('cloudflare:workers');
  const response = await exports.default.fetch(`https://us.api.test${path}`);
  return { status: response.status, headers: response.headers, text: await response.text() };
}
