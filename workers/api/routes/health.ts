import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { checkDependency, type DependencyHealth } from '../../lib/health.ts';
import type { ApiEnv } from '../context.ts';
import { Health, Liveness, type Dependency } from '../health/schemas.ts';
import { documented } from '../openapi.ts';

const CHECK_TIMEOUT_MS = 2_000;

/** Each dependency checked for real: a query, a command, a request. */
export const health = new Hono<ApiEnv>()
  /** Liveness: the Worker answers, nothing else is touched (also the benchmarks' baseline route). */
  .get('/live', documented({ summary: 'Liveness: the Worker answers, touching nothing else', tags: ['health'], access: 'public', answers: { 200: Liveness } }), (c) =>
    c.json({ status: 'live', jurisdiction: c.var.services.config.JURISDICTION }),
  )
  .get(
    '/',
    documented({
      summary: 'Readiness: each dependency checked for real, each within 2 s',
      description: 'Answers 503, with the same body, when any dependency is down; `down` names them.',
      tags: ['health'],
      access: 'public',
      answers: { 200: Health, 503: Health },
    }),
    async (c) => {
      const { services, trace } = c.var;
      const rpc = { v: 1 as const, traceparent: trace.traceparent };
      const viaService = (answer: () => Promise<DependencyHealth>) => async () => {
        const result = await answer();
        if (!result.ok) throw new Error(result.error ?? 'unavailable');
      };
      const checks = {
        database: () => services.database().ping(),
        cache: () => services.cache().ping(),
        storage: () => services.storage().s3.send(new HeadBucketCommand({ Bucket: services.storage().bucket })),
        analytics: viaService(() => c.env.ANALYTICS.health(rpc)),
        transcoder: viaService(() => c.env.MEDIA.transcoderHealth(rpc)),
      } satisfies Record<Dependency, () => Promise<unknown>>;
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => [name, await checkDependency(check, CHECK_TIMEOUT_MS)] as const),
      );
      const dependencies = Object.fromEntries(results);
      const down = results.filter(([, result]) => !result.ok).map(([name]) => name);
      return c.json(
        { status: down.length === 0 ? 'ok' : 'degraded', jurisdiction: services.config.JURISDICTION, down, dependencies },
        down.length === 0 ? 200 : 503,
      );
    },
  );
