import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';

interface Health {
  status: 'ok' | 'degraded';
  jurisdiction: string;
  down: string[];
  dependencies: Record<string, { ok: boolean; ms: number; error?: string }>;
}

const DEPENDENCIES = ['analytics', 'cache', 'database', 'storage', 'transcoder'];

function redis(action: 'kill' | 'restart') {
  return fetch(`${env.CONTROL_URL}/redis/us/${action}`, { method: 'POST' });
}

describe('GET /api/health', () => {
  afterEach(async () => {
    await redis('restart');
  });

  it('checks every dependency for real and answers 200 when all are up', async () => {
    const response = await exports.default.fetch('https://us.api.test/api/health');
    const body = await response.json<Health>();
    expect(body.dependencies, JSON.stringify(body)).toBeDefined();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.jurisdiction).toBe('us');
    expect(body.down).toEqual([]);
    expect(Object.keys(body.dependencies).sort()).toEqual(DEPENDENCIES);
    for (const dependency of Object.values(body.dependencies)) {
      expect(dependency).toMatchObject({ ok: true, ms: expect.any(Number) });
    }
  });

  it('answers for its own jurisdiction in each deployment', async () => {
    const response = await env.API_sa.fetch('https://sa.api.test/api/health');
    const body = await response.json<Health>();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.jurisdiction).toBe('sa');
  });

  it('answers 503 naming the cache while redis-server is down, and 200 again once it is back', async () => {
    expect((await redis('kill')).status).toBe(204);
    const down = await exports.default.fetch('https://us.api.test/api/health');
    const downBody = await down.json<Health>();
    expect(down.status).toBe(503);
    expect(downBody.status).toBe('degraded');
    expect(downBody.down).toEqual(['cache']);
    expect(downBody.dependencies.cache).toMatchObject({ ok: false, error: expect.any(String) });
    expect(downBody.dependencies.database?.ok).toBe(true);

    expect((await redis('restart')).status).toBe(204);
    const up = await exports.default.fetch('https://us.api.test/api/health');
    expect(up.status).toBe(200);
  });
});
