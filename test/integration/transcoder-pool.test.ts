import { describe, expect, it } from 'vitest';
import { routeToPool, transcoderFetch } from '../../workers/media/transcoder.ts';

/** A stand-in for the container namespace: routing is pure logic; the containers themselves need Docker and a Cloudflare account. */
function fakeContainers(instances: number) {
  const received: Array<{ instance: string; path: string; body: string }> = [];
  const env = {
    TRANSCODER_INSTANCES: String(instances),
    TRANSCODER: {
      getByName: (instance: string) => ({
        fetch: async (request: Request) => {
          received.push({ instance, path: new URL(request.url).pathname, body: await request.text() });
          return new Response('{}');
        },
      }),
    },
  } as unknown as MediaEnv;
  return { env, received };
}

const context = { containerId: 'c', className: 'Transcoder' };
const outbound = (path: string) => new Request(`http://pool.transcoder.internal${path}`, { method: 'POST', body: '{"task":1}' });

describe('the pool of transcoder containers', () => {
  it('routes a container’s chunk task to the instance it names, body and all', async () => {
    const { env, received } = fakeContainers(20);
    expect((await routeToPool(outbound('/19/tasks'), env, context)).status).toBe(200);
    expect(received).toEqual([{ instance: 'transcoder-19', path: '/tasks', body: '{"task":1}' }]);
  });

  it('refuses an instance past the pool and any other path, reaching no container', async () => {
    const { env, received } = fakeContainers(20);
    for (const path of ['/20/tasks', '/1/jobs', '/-1/tasks', '/1/tasks/../jobs', '/tasks', '/01x/tasks']) {
      const response = await routeToPool(outbound(path), env, context);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    expect(received).toEqual([]);
  });

  it('sends every call about a job to one instance, and spreads jobs over the pool', async () => {
    const { env, received } = fakeContainers(4);
    const call = transcoderFetch(env, undefined);
    const jobs = Array.from({ length: 40 }, () => crypto.randomUUID());
    for (const jobId of jobs) {
      await call('/jobs', { method: 'POST', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, jobId, body: jobId });
      await call(`/jobs/${jobId}`, { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, jobId });
    }
    const leaderOf = new Map(received.filter((r) => r.path === '/jobs').map((r) => [r.body, r.instance]));
    for (const jobId of jobs) expect(received.find((r) => r.path === `/jobs/${jobId}`)?.instance).toBe(leaderOf.get(jobId));
    expect(new Set(leaderOf.values()).size).toBe(4);
  });
});
