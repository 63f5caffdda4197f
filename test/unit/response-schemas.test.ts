import type { ClickHouseClient } from '@clickhouse/client-web';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { dashboards } from '../../workers/analytics/dashboards.ts';
import { checkEvents } from '../../workers/api/analytics/ingest.ts';
import { BreakdownReport, DashboardReport, DropOffReport, FunnelReport, IngestResult, SummaryReport, TopReport } from '../../workers/api/analytics/schemas.ts';
import type { ApiEnv } from '../../workers/api/context.ts';
import { Health, Liveness } from '../../workers/api/health/schemas.ts';
import type { User } from '../../workers/api/identity/accounts.ts';
import { SignedIn } from '../../workers/api/identity/schemas.ts';
import { signedIn } from '../../workers/api/identity/signed-in.ts';
import { health } from '../../workers/api/routes/health.ts';
import type { DashboardQuery } from '../../workers/lib/contracts.ts';

// The OpenAPI document's answers, held against what the code really produces (as JSON).
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const COURSE = crypto.randomUUID();
const VIDEO = crypto.randomUUID();
const NIL = '00000000-0000-0000-0000-000000000000';
const query: DashboardQuery = { v: 1, traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, from: '2026-03-01', to: '2026-03-07', courses: 'all' };
const scope = { from: query.from, to: query.to, courseId: null };

/** ClickHouse answering each report's statement (named by the end of its query id) with these rows. */
function clickhouse(rows: Record<string, unknown[]>): ClickHouseClient {
  const client = {
    query: ({ query_id }: { query_id: string }) => Promise.resolve({ json: () => Promise.resolve(rows[query_id.split('-').slice(2).join('-')] ?? []) }),
  };
  return client as unknown as ClickHouseClient;
}

const ROWS = {
  activity: [
    { kind: 'total', courseId: NIL, videoId: NIL, plays: 5, enrollments: 2, heartbeats: 30, completions: 1 },
    { kind: 'course', courseId: COURSE, videoId: NIL, plays: 5, enrollments: 2, heartbeats: 30, completions: 1 },
    { kind: 'video', courseId: NIL, videoId: VIDEO, plays: 5, enrollments: 0, heartbeats: 30, completions: 1 },
  ],
  learners: [
    { total: 1, day: '1970-01-01', learners: 3 },
    { total: 0, day: '2026-03-02', learners: 3 },
  ],
  viewings: [
    { step: 0, viewings: 1, completed: 0 },
    { step: 20, viewings: 2, completed: 2 },
  ],
  'viewings-of-video': [{ step: 7, viewings: 1, completed: 0 }],
  audience: [
    { dimension: 'country', key: 'US', learners: 3, events: 12, plays: 5, heartbeats: 30 },
    { dimension: 'device', key: 'desktop', learners: 3, events: 12, plays: 5, heartbeats: 30 },
  ],
};

describe('the analytics answers', () => {
  for (const [name, rows] of [
    ['with activity', ROWS],
    ['without any', {}],
  ] as const) {
    it(`match their schemas, ${name}`, async () => {
      const reports = dashboards(clickhouse(rows), query);
      DashboardReport.parse(json({ ...scope, ...(await reports.dashboard()) }));
      SummaryReport.parse(json({ ...scope, summary: await reports.summary() }));
      TopReport.parse(json({ ...scope, top: await reports.top() }));
      FunnelReport.parse(json({ ...scope, funnel: await reports.funnel() }));
      BreakdownReport.parse(json({ ...scope, breakdown: await reports.breakdown() }));
      DropOffReport.parse(json({ ...scope, courseId: COURSE, dropOff: await reports.dropOff(VIDEO) }));
    });
  }

  it('an ingest result matches IngestResult', () => {
    const { accepted, rejected } = checkEvents([{ event_id: crypto.randomUUID(), type: 'page_view', ts: new Date().toISOString() }, { type: 'teleport' }], Date.now());
    expect(IngestResult.parse(json({ accepted: accepted.length, rejected }))).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
  });
});

describe('the identity answers', () => {
  it('a signed-in answer matches SignedIn', async () => {
    const user = {
      id: crypto.randomUUID(),
      email: 'Ada@example.com',
      displayName: 'Ada',
      preferredLanguage: 'en',
      role: 'learner',
      jurisdiction: 'us',
      createdAt: new Date(),
    } as User;
    const app = new Hono<ApiEnv>()
      .use(async (c, next) => {
        c.set('services', { config: { JWT_SECRET: 's'.repeat(32) } } as ApiEnv['Variables']['services']);
        await next();
      })
      .post('/', async (c) => c.json(await signedIn(c, user, { sessionId: crypto.randomUUID(), refreshToken: 'r' })));
    const response = await app.request('/', { method: 'POST' });
    expect(SignedIn.parse(await response.json()).user.createdAt).toBe(user.createdAt.toISOString());
  });
});

describe('the health answers', () => {
  const up = () => Promise.resolve({ ok: true, ms: 3 });
  const app = (cacheDown: boolean) =>
    new Hono<ApiEnv>()
      .use(async (c, next) => {
        c.set('trace', { traceId: 'a'.repeat(32), traceparent: query.traceparent } as ApiEnv['Variables']['trace']);
        c.set('services', {
          config: { JURISDICTION: 'us' },
          database: () => ({ ping: () => Promise.resolve() }),
          cache: () => ({ ping: () => (cacheDown ? Promise.reject(new Error('connection refused')) : Promise.resolve('PONG')) }),
          storage: () => ({ s3: { send: () => Promise.resolve({}) }, bucket: 'media' }),
        } as unknown as ApiEnv['Variables']['services']);
        await next();
      })
      .route('/', health);
  const env = { ANALYTICS: { health: up }, MEDIA: { transcoderHealth: up } };

  it('liveness matches Liveness', async () => {
    expect(Liveness.parse(await (await app(false).request('/live', {}, env)).json())).toEqual({ status: 'live', jurisdiction: 'us' });
  });

  it('readiness matches Health, up (200) and degraded (503)', async () => {
    const ok = await app(false).request('/', {}, env);
    expect(ok.status).toBe(200);
    expect(Health.parse(await ok.json()).status).toBe('ok');
    const degraded = await app(true).request('/', {}, env);
    expect(degraded.status).toBe(503);
    expect(Health.parse(await degraded.json())).toMatchObject({ status: 'degraded', down: ['cache'] });
  });
});
