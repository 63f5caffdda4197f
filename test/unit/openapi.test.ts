import { compileErrors, validate } from '@readme/openapi-parser';
import { generateSpecs } from 'hono-openapi';
import { describe, expect, it } from 'vitest';
import { app } from '../../workers/api/app.ts';
import { DOCUMENT } from '../../workers/api/openapi.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const documented = await generateSpecs(app, DOCUMENT);

/** `/api/courses/:id` as OpenAPI writes it: `/api/courses/{id}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, '{$1}');

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(documented.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(documented));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('describes every route the api Worker serves, each with a summary, its success and its refusals', () => {
    const served = [...new Set(app.routes.filter((route) => METHODS.includes(route.method)).map((route) => `${route.method} ${openApiPath(route.path)}`))];
    const missing: string[] = [];
    for (const key of served) {
      if (key === 'GET /api/openapi.json' || key === 'GET /api/docs') continue;
      const [method = '', path = ''] = key.split(' ');
      const operation = documented.paths[path]?.[method.toLowerCase() as 'get'];
      if (!operation?.summary) {
        missing.push(key);
        continue;
      }
      const statuses = Object.keys(operation.responses ?? {}).map(Number);
      expect(statuses.some((status) => status < 400), `${key} documents no success`).toBe(true);
      expect(statuses.some((status) => status >= 400), `${key} documents no refusal`).toBe(true);
    }
    expect(missing, 'routes missing from the document').toEqual([]);
    expect(served.length).toBeGreaterThan(40);
  });
});
