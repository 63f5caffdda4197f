import { Hono, type Context } from 'hono';
import { every } from 'hono/combine';
import { createMiddleware } from 'hono/factory';
import { describeRoute, resolver } from 'hono-openapi';
import type { z } from 'zod';
import type { DashboardQuery } from '../../lib/contracts.ts';
import { AppError } from '../../lib/errors.ts';
import { checkEvents, countryOf, deviceClass, enrich, EventsRequest, MAX_INGEST_BODY_BYTES, packEvents } from '../analytics/ingest.ts';
import { cachedReport, courseOwnership, readableCourses, ReportParams, VideoParam } from '../analytics/reports.ts';
import {
  BreakdownReport,
  DashboardReport,
  DropOffReport,
  EventBatch,
  FunnelReport,
  IngestResult,
  QualityReport,
  SummaryReport,
  TopReport,
  VideoView,
} from '../analytics/schemas.ts';
import type { ApiEnv } from '../context.ts';
import { clientAddress, countAttempt, slidingLimiter } from '../identity/rate-limits.ts';
import { optionalUser, requireRole, requireUser } from '../middleware/auth.ts';
import { documented } from '../openapi.ts';
import { limitBody, refusal, valid } from '../validation.ts';

type C = Context<ApiEnv>;

/** The body as JSON whatever its content type: `navigator.sendBeacon` posts a string as text/plain. */
async function jsonBody(c: C): Promise<unknown> {
  try {
    return JSON.parse(await c.req.text());
  } catch {
    throw new AppError('invalid_request', 'The body is not valid JSON.');
  }
}

/** Validates each event, enriches the valid ones with what the server knows, queues them for analytics. */
async function ingest(c: C, candidates: readonly unknown[]): Promise<IngestResult> {
  const { config } = c.var.services;
  const { viewer, trace } = c.var;
  const now = Date.now();
  const { accepted, rejected } = checkEvents(candidates, now);
  const origin = {
    userId: viewer?.sub ?? null,
    jurisdiction: config.JURISDICTION,
    country: countryOf(c.req.raw.cf?.country, c.req.header('cf-ipcountry')),
    device: deviceClass(c.req.header('user-agent')),
    receivedAt: now,
    traceId: trace.traceId,
  };
  for (const batch of packEvents(accepted.map((event) => enrich(event, origin)), trace.traceparent)) {
    await c.env.ANALYTICS_EVENTS.sendBatch(batch.map((body) => ({ body, contentType: 'json' as const })));
  }
  return { accepted: accepted.length, rejected };
}

/**
 * Before the body is read: anonymous senders are limited per address, signed-in ones per user
 * (whatever their addresses). The SPA sends one batch every 5 s per tab, far below either limit.
 */
const limitSenders = createMiddleware<ApiEnv>(async (c, next) => {
  const { config, cache } = c.var.services;
  const { viewer } = c.var;
  const [limiter, identifier, what] = viewer
    ? [slidingLimiter(cache(), 'analytics:user', config.RATE_LIMIT_ANALYTICS_USER), viewer.sub, 'analytics requests from this account']
    : [slidingLimiter(cache(), 'analytics:ip', config.RATE_LIMIT_ANALYTICS), clientAddress(c.req), 'anonymous analytics requests from this address'];
  await countAttempt(limiter, identifier, what, (p) => c.executionCtx.waitUntil(p));
  await next();
});

/** The body is read by hand (a beacon posts JSON as text/plain), so the document is given its schema here. */
function takes(body: z.ZodType) {
  const schema = resolver(body);
  return describeRoute({ requestBody: { required: true, content: { 'application/json': { schema }, 'text/plain': { schema } } } });
}

/** Ingestion is open to everyone; a sent token must be valid, and the senders are rate-limited. */
const ingestion = (summary: string, description: string) =>
  documented({ summary, description, tags: ['analytics'], access: 'optional', answers: { 202: IngestResult }, refuses: ['invalid_request', 'payload_too_large', 'rate_limited'] });

/** Reports: admins see their whole jurisdiction, instructors their own courses, learners nothing. */
const readsReports = every(requireUser, requireRole('admin', 'instructor'));

/**
 * A report over RPC, for the courses the caller may read, cached 60 s: `{ from, to, courseId }` and
 * the report's sections. A failing analytics Worker or ClickHouse is a 503.
 */
async function report<Sections extends Record<string, unknown>>(
  c: C,
  name: string,
  params: z.output<typeof ReportParams>,
  read: (query: DashboardQuery) => Promise<Sections>,
  covers: Record<string, string> = {},
) {
  const { database, cache } = c.var.services;
  const courses = await readableCourses(c.var.user, params.courseId, courseOwnership(database().db));
  const query: DashboardQuery = { v: 1, traceparent: c.var.trace.traceparent, from: params.from, to: params.to, courses };
  const { value, hit } = await cachedReport(
    cache(),
    name,
    { from: params.from, to: params.to, courses, ...covers },
    () =>
      read(query).catch((error: unknown) => {
        throw new AppError('analytics_unavailable', 'Analytics cannot be read right now. Try again shortly.', { cause: String(error) });
      }),
    (p) => c.executionCtx.waitUntil(p),
  );
  c.header('x-cache', hit ? 'hit' : 'miss');
  return c.json({ from: params.from, to: params.to, courseId: params.courseId ?? null, ...value });
}

/** A report's place in the document: readers of reports only, refused when analytics cannot answer. */
const reporting = (summary: string, answer: z.ZodType) =>
  documented({
    summary,
    description:
      'Whole UTC days `from`..`to` (the last 30 by default, at most 366), over one course (`courseId`) or every course the caller may read: admins all of the jurisdiction, instructors their own. Cached for 60 s: the `x-cache` header says `hit` or `miss`.',
    tags: ['analytics'],
    access: 'signed-in',
    answers: { 200: answer },
    refuses: ['invalid_request', 'forbidden', 'analytics_unavailable'],
  });

export const analytics = new Hono<ApiEnv>()
  .post(
    '/events',
    ingestion(
      'Record a batch of analytics events',
      'Each event is checked on its own: the valid ones are queued for analytics, the others come back in `rejected` with the reason. A body that is not `{ events: [...] }` (1 to 500) is refused. Also takes the JSON as text/plain, as `navigator.sendBeacon` posts it.',
    ),
    takes(EventBatch),
    optionalUser,
    limitSenders,
    limitBody(MAX_INGEST_BODY_BYTES),
    async (c) => {
      const request = EventsRequest.safeParse(await jsonBody(c));
      if (!request.success) throw refusal(request.error.issues, 'body');
      return c.json(await ingest(c, request.data.events), 202);
    },
  )
  /** The original design's one-event shortcut. */
  .post(
    '/video-view',
    ingestion(
      'Record one video event (`video_play` unless it says otherwise)',
      'Refused (`invalid_request`) unless it is one valid video event; also takes the JSON as text/plain.',
    ),
    takes(VideoView),
    optionalUser,
    limitSenders,
    limitBody(16 * 1024),
    async (c) => {
      const event = await jsonBody(c);
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new AppError('invalid_request', 'The body must be one event object.');
      const type = 'type' in event ? event.type : 'video_play';
      if (typeof type !== 'string' || !type.startsWith('video_')) {
        throw new AppError('invalid_request', 'This takes video events only; send other events to POST /api/analytics/events.');
      }
      const result = await ingest(c, [{ ...event, type }]);
      if (result.rejected[0]) throw new AppError('invalid_request', `The event is not valid: ${result.rejected[0].reason}.`);
      return c.json(result, 202);
    },
  )
  .get('/dashboard', reporting('Everything the dashboard page shows', DashboardReport), readsReports, valid('query', ReportParams), (c) =>
    report(c, 'dashboard', c.req.valid('query'), async (query) => ({ ...(await c.env.ANALYTICS.dashboard(query)) })),
  )
  .get('/summary', reporting('The totals: learners, enrollments, plays, watch time, completion', SummaryReport), readsReports, valid('query', ReportParams), (c) =>
    report(c, 'summary', c.req.valid('query'), async (query) => ({ summary: await c.env.ANALYTICS.summary(query) })),
  )
  .get('/top', reporting('The 10 courses and 10 videos with the most plays', TopReport), readsReports, valid('query', ReportParams), (c) =>
    report(c, 'top', c.req.valid('query'), async (query) => ({ top: await c.env.ANALYTICS.top(query) })),
  )
  .get('/funnel', reporting('How far viewings got: played, 25 %, 50 %, 75 %, completed', FunnelReport), readsReports, valid('query', ReportParams), (c) =>
    report(c, 'funnel', c.req.valid('query'), async (query) => ({ funnel: await c.env.ANALYTICS.funnel(query) })),
  )
  .get('/breakdown', reporting('The audience by country and by device class', BreakdownReport), readsReports, valid('query', ReportParams), (c) =>
    report(c, 'breakdown', c.req.valid('query'), async (query) => ({ breakdown: await c.env.ANALYTICS.breakdown(query) })),
  )
  .get(
    '/quality',
    reporting('Playback quality: startup, rebuffering, failures, bitrate by day, country, device and rendition; completion of stalled viewings', QualityReport),
    readsReports,
    valid('query', ReportParams),
    (c) => report(c, 'quality', c.req.valid('query'), async (query) => ({ quality: await c.env.ANALYTICS.quality(query) })),
  )
  .get(
    '/videos/:videoId/drop-off',
    reporting('One video’s viewers still watching at each 5 % of its timeline', DropOffReport),
    readsReports,
    valid('param', VideoParam),
    valid('query', ReportParams),
    (c) => {
      const { videoId } = c.req.valid('param');
      return report(c, 'drop-off', c.req.valid('query'), async (query) => ({ dropOff: await c.env.ANALYTICS.dropOff({ ...query, videoId }) }), { videoId });
    },
  );
