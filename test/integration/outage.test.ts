import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { call, PASSWORD, register, type SignedIn } from './client.ts';

/** The platform's own drills (test/integration/global-setup.ts): the dependency stops answering, then comes back. */
function drill(service: 'postgres' | 's3', action: 'kill' | 'restart') {
  return fetch(`${env.CONTROL_URL}/${service}/${action}`, { method: 'POST' });
}

interface Refusal {
  error: { code: string; message: string };
}

describe('a dependency that stops answering', () => {
  afterEach(async () => {
    await drill('postgres', 'restart');
    await drill('s3', 'restart');
  });

  it('PostgreSQL: reads and sign-ins answer 503 service_unavailable with Retry-After, and work again once it is back', async () => {
    const { body } = await register();
    // A search nobody has made: not in the catalog cache, so it needs the database.
    const search = `/api/courses?q=outage${crypto.randomUUID().slice(0, 8)}`;
    expect((await drill('postgres', 'kill')).status).toBe(204);
    const refused = await call<Refusal>(search);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('service_unavailable');
    expect(refused.headers.get('retry-after')).toBe('5');
    const signIn = await call<Refusal>('/api/auth/login', { json: { email: body.user.email, password: PASSWORD } });
    expect(signIn.status).toBe(503);
    expect(signIn.body.error.code).toBe('service_unavailable');

    expect((await drill('postgres', 'restart')).status).toBe(204);
    expect((await call(search)).status).toBe(200);
    expect((await call<SignedIn>('/api/auth/login', { json: { email: body.user.email, password: PASSWORD } })).status).toBe(200);
  });

  it('S3: the health check names storage as down, and then as up again', async () => {
    expect((await drill('s3', 'kill')).status).toBe(204);
    const down = await call<{ status: string; down: string[] }>('/api/health');
    expect(down.status).toBe(503);
    expect(down.body.down).toEqual(['storage']);
    expect((await drill('s3', 'restart')).status).toBe(204);
    const up = await call<{ status: string; down: string[] }>('/api/health');
    expect(up.status).toBe(200);
    expect(up.body.down).toEqual([]);
  });
});
