import { beforeAll, describe, expect, it } from 'vitest';
import type { CourseDetail } from '../../workers/api/catalog/schemas.ts';
import { publishedCourse, unique } from './catalog-fixtures.ts';
import { call, register, signedInAs, uniqueEmail, PASSWORD, type SignedIn } from './client.ts';
import { servedRoutes } from './routes.ts';

/**
 * Every route × every kind of caller, with the status each must get. A route the app serves that
 * is missing here fails the test, and so does a row for a route the app no longer serves.
 */
const CALLERS = ['anonymous', 'learner', 'otherLearner', 'instructor', 'otherInstructor', 'admin', 'foreign', 'revoked'] as const;
type Caller = (typeof CALLERS)[number];
type Expected = Record<Caller, number>;

interface Fixtures {
  tokens: Record<Caller, string | undefined>;
  instructor: SignedIn;
  /** Published: `learner` is enrolled; its second lesson (not a preview) has `video` attached, not ready. */
  course: CourseDetail;
  lockedLessonId: string;
  /** A draft of the instructor's, with one lesson. */
  draft: CourseDetail;
  /** Published, for enrolling and leaving. */
  open: CourseDetail;
  /** A single-PUT upload never sent, and a multipart one, both for `course`. */
  video: string;
  multipartVideo: string;
  roleTarget: string;
  roleTargetEmail: string;
}

interface Request {
  path: string;
  method?: string;
  json?: unknown;
  headers?: Record<string, string>;
}

const everyone = (status: number): Expected => Object.fromEntries(CALLERS.map((caller) => [caller, status])) as Expected;
/** Any valid token of this jurisdiction gets `status`. */
const signedIn = (status: number): Expected => ({ ...everyone(status), anonymous: 401, foreign: 421, revoked: 401 });
/** Open to anyone, but a token that is sent must be valid. */
const optionalSignIn = (status: number): Expected => ({ ...everyone(status), foreign: 421, revoked: 401 });
/** Only the course's instructor and admins. */
const courseOwner = (status: number): Expected => ({ ...signedIn(403), instructor: status, admin: status });
const instructors = (status: number): Expected => ({ ...courseOwner(status), otherInstructor: status });
/** Reports of the course: admins, its instructor; another instructor is refused that course. */
const reports = courseOwner;
/** Watching the locked lesson: enrolled learners, the instructor and admins get past the check (the video is not ready: 409). */
const watchers: Expected = { ...signedIn(403), anonymous: 401, learner: 409, instructor: 409, admin: 409 };

const now = () => new Date().toISOString();
const analyticsQuery = (f: Fixtures) => `courseId=${f.course.id}`;

const MATRIX: Record<string, { expect: Expected; request: (f: Fixtures) => Request | Promise<Request> }> = {
  'GET /media/:token/:videoId/:jobId/*': { expect: everyone(403), request: (f) => ({ path: `/media/1-${'0'.repeat(64)}/${f.video}/${crypto.randomUUID()}/master.m3u8` }) },
  'GET /api/health/live': { expect: everyone(200), request: () => ({ path: '/api/health/live' }) },
  'GET /api/health': { expect: everyone(200), request: () => ({ path: '/api/health' }) },
  'GET /api/openapi.json': { expect: everyone(200), request: () => ({ path: '/api/openapi.json' }) },
  'GET /api/docs': { expect: everyone(200), request: () => ({ path: '/api/docs' }) },
  'POST /api/auth/register': {
    expect: everyone(201),
    request: () => ({ path: '/api/auth/register', json: { email: uniqueEmail('matrix'), password: PASSWORD, displayName: 'Matrix', jurisdiction: 'us' } }),
  },
  'POST /api/auth/login': { expect: everyone(200), request: (f) => ({ path: '/api/auth/login', json: { email: f.instructor.user.email, password: PASSWORD } }) },
  'POST /api/auth/refresh': { expect: everyone(401), request: () => ({ path: '/api/auth/refresh', method: 'POST' }) },
  'POST /api/auth/logout': { expect: everyone(204), request: () => ({ path: '/api/auth/logout', method: 'POST' }) },
  'POST /api/auth/locate': { expect: everyone(200), request: () => ({ path: '/api/auth/locate', json: { email: uniqueEmail('locate') } }) },
  'GET /api/me': { expect: signedIn(200), request: () => ({ path: '/api/me' }) },
  'GET /api/me/learning': { expect: signedIn(200), request: () => ({ path: '/api/me/learning' }) },
  'PATCH /api/me': { expect: signedIn(200), request: () => ({ path: '/api/me', method: 'PATCH', json: { displayName: 'Matrix Caller' } }) },
  // Past authentication, the body is checked: 400 shows the caller got that far, and changes no password.
  'POST /api/me/password': { expect: signedIn(400), request: () => ({ path: '/api/me/password', json: { currentPassword: 'x', newPassword: 'short' } }) },
  'PUT /api/users/:id/role': { expect: { ...signedIn(403), admin: 200 }, request: (f) => ({ path: `/api/users/${f.roleTarget}/role`, method: 'PUT', json: { role: 'learner' } }) },
  'GET /api/courses': { expect: everyone(200), request: () => ({ path: '/api/courses' }) },
  // Recommendations: a course's neighbours are public; "for you" is the caller's own.
  'GET /api/courses/:id/related': { expect: everyone(200), request: (f) => ({ path: `/api/courses/${f.course.id}/related` }) },
  'GET /api/me/recommendations': { expect: signedIn(200), request: () => ({ path: '/api/me/recommendations' }) },
  'GET /api/courses/mine': { expect: instructors(200), request: () => ({ path: '/api/courses/mine' }) },
  'POST /api/courses': { expect: instructors(201), request: () => ({ path: '/api/courses', json: { title: `Matrix ${unique()}` } }) },
  'GET /api/courses/:idOrSlug': {
    // A draft exists only for its instructor and admins.
    expect: { ...optionalSignIn(404), instructor: 200, admin: 200 },
    request: (f) => ({ path: `/api/courses/${f.draft.id}` }),
  },
  'PATCH /api/courses/:id': { expect: courseOwner(200), request: (f) => ({ path: `/api/courses/${f.draft.id}`, method: 'PATCH', json: { summary: `Edited ${unique()}` } }) },
  'POST /api/courses/:id/publish': { expect: courseOwner(200), request: (f) => ({ path: `/api/courses/${f.open.id}/publish`, method: 'POST' }) },
  'POST /api/courses/:id/unpublish': { expect: courseOwner(200), request: (f) => ({ path: `/api/courses/${f.draft.id}/unpublish`, method: 'POST' }) },
  'POST /api/courses/:id/lessons': { expect: courseOwner(201), request: (f) => ({ path: `/api/courses/${f.draft.id}/lessons`, json: { title: 'Matrix lesson' } }) },
  'PATCH /api/courses/:id/lessons/:lessonId': {
    expect: courseOwner(200),
    request: (f) => ({ path: `/api/courses/${f.draft.id}/lessons/${f.draft.lessons[0]?.id}`, method: 'PATCH', json: { title: 'Renamed' } }),
  },
  'DELETE /api/courses/:id/lessons/:lessonId': {
    expect: courseOwner(204),
    request: async (f) => {
      const lesson = await call<{ id: string }>(`/api/courses/${f.draft.id}/lessons`, { token: f.instructor.accessToken, json: { title: 'To delete' } });
      return { path: `/api/courses/${f.draft.id}/lessons/${lesson.body.id}`, method: 'DELETE' };
    },
  },
  'PUT /api/courses/:id/lessons/order': {
    expect: courseOwner(200),
    request: async (f) => {
      const current = await call<CourseDetail>(`/api/courses/${f.draft.id}`, { token: f.instructor.accessToken });
      return { path: `/api/courses/${f.draft.id}/lessons/order`, method: 'PUT', json: { lessonIds: current.body.lessons.map((lesson) => lesson.id).reverse() } };
    },
  },
  'POST /api/courses/:id/enrollment': { expect: signedIn(201), request: (f) => ({ path: `/api/courses/${f.open.id}/enrollment`, method: 'POST' }) },
  'DELETE /api/courses/:id/enrollment': { expect: signedIn(204), request: (f) => ({ path: `/api/courses/${f.open.id}/enrollment`, method: 'DELETE' }) },
  'GET /api/courses/:id/video': { expect: watchers, request: (f) => ({ path: `/api/courses/${f.course.id}/video?lessonId=${f.lockedLessonId}` }) },
  'POST /api/videos/upload': {
    expect: courseOwner(201),
    request: (f) => ({ path: '/api/videos/upload', json: { courseId: f.course.id, filename: 'matrix.mp4', sizeBytes: 1_000, contentType: 'video/mp4' } }),
  },
  // The transcoder's callback: no user token opens it, only the shared key's signature.
  'POST /api/videos/transcoder-events': { expect: everyone(401), request: (f) => ({ path: '/api/videos/transcoder-events', json: { v: 1, type: 'progress', videoId: f.video } }) },
  'POST /api/videos/:id/parts': { expect: courseOwner(200), request: (f) => ({ path: `/api/videos/${f.multipartVideo}/parts`, json: { partNumbers: [1] } }) },
  'GET /api/videos/:id/parts': { expect: courseOwner(200), request: (f) => ({ path: `/api/videos/${f.multipartVideo}/parts` }) },
  // Authorised callers reach the storage check: nothing was uploaded.
  'POST /api/videos/:id/complete': { expect: courseOwner(409), request: (f) => ({ path: `/api/videos/${f.video}/complete`, json: {} }) },
  'DELETE /api/videos/:id/upload': {
    expect: courseOwner(204),
    request: async (f) => {
      const upload = await call<{ videoId: string }>('/api/videos/upload', {
        token: f.instructor.accessToken,
        json: { courseId: f.course.id, filename: 'cancel.mp4', sizeBytes: 1_000, contentType: 'video/mp4' },
      });
      return { path: `/api/videos/${upload.body.videoId}/upload`, method: 'DELETE' };
    },
  },
  // Authorised callers reach the state check: the video is ready, neither processing nor ended.
  'POST /api/videos/:id/cancel': { expect: courseOwner(409), request: (f) => ({ path: `/api/videos/${f.video}/cancel`, method: 'POST' }) },
  'POST /api/videos/:id/retry': { expect: courseOwner(409), request: (f) => ({ path: `/api/videos/${f.video}/retry`, method: 'POST' }) },
  'GET /api/videos/:id': { expect: courseOwner(200), request: (f) => ({ path: `/api/videos/${f.video}` }) },
  'GET /api/videos/:id/playback': { expect: watchers, request: (f) => ({ path: `/api/videos/${f.video}/playback` }) },
  'GET /api/videos/:id/captions': { expect: courseOwner(200), request: (f) => ({ path: `/api/videos/${f.video}/captions` }) },
  'PUT /api/videos/:id/captions/:language': { expect: courseOwner(201), request: (f) => ({ path: captionPath(f), method: 'PUT', json: CAPTIONS }) },
  'GET /api/videos/:id/captions/:language': { expect: courseOwner(200), request: async (f) => ({ path: await captionTrack(f) }) },
  'PATCH /api/videos/:id/captions/:language': { expect: courseOwner(200), request: async (f) => ({ path: await captionTrack(f), method: 'PATCH', json: { label: 'Renamed' } }) },
  'DELETE /api/videos/:id/captions/:language': { expect: courseOwner(204), request: async (f) => ({ path: await captionTrack(f), method: 'DELETE' }) },
  'GET /api/search': { expect: everyone(200), request: () => ({ path: '/api/search?q=matrix' }) },
  'PUT /api/lessons/:lessonId/progress': {
    expect: { ...signedIn(403), learner: 200 },
    request: (f) => ({ path: `/api/lessons/${f.lockedLessonId}/progress`, method: 'PUT', json: { positionSeconds: 5, durationSeconds: 100 } }),
  },
  'GET /api/notifications': { expect: signedIn(200), request: () => ({ path: '/api/notifications' }) },
  'POST /api/notifications/read': { expect: signedIn(200), request: () => ({ path: '/api/notifications/read', method: 'POST' }) },
  'POST /api/notifications/:id/read': { expect: signedIn(200), request: () => ({ path: `/api/notifications/${crypto.randomUUID()}/read`, method: 'POST' }) },
  'POST /api/analytics/events': {
    expect: optionalSignIn(202),
    request: () => ({ path: '/api/analytics/events', json: { events: [{ event_id: crypto.randomUUID(), type: 'page_view', ts: now() }] } }),
  },
  'POST /api/analytics/video-view': {
    expect: optionalSignIn(202),
    request: (f) => ({ path: '/api/analytics/video-view', json: { event_id: crypto.randomUUID(), ts: now(), video_id: f.video, course_id: f.course.id } }),
  },
  'GET /api/analytics/dashboard': { expect: reports(200), request: (f) => ({ path: `/api/analytics/dashboard?${analyticsQuery(f)}` }) },
  'GET /api/analytics/summary': { expect: reports(200), request: (f) => ({ path: `/api/analytics/summary?${analyticsQuery(f)}` }) },
  'GET /api/analytics/top': { expect: reports(200), request: (f) => ({ path: `/api/analytics/top?${analyticsQuery(f)}` }) },
  'GET /api/analytics/funnel': { expect: reports(200), request: (f) => ({ path: `/api/analytics/funnel?${analyticsQuery(f)}` }) },
  'GET /api/analytics/breakdown': { expect: reports(200), request: (f) => ({ path: `/api/analytics/breakdown?${analyticsQuery(f)}` }) },
  'GET /api/analytics/quality': { expect: reports(200), request: (f) => ({ path: `/api/analytics/quality?${analyticsQuery(f)}` }) },
  'GET /api/me/purchases': { expect: signedIn(200), request: () => ({ path: '/api/me/purchases' }) },
  'PUT /api/courses/:id/pricing': { expect: courseOwner(200), request: (f) => ({ path: `/api/courses/${f.draft.id}/pricing`, method: 'PUT', json: { isPaid: true, prices: { us: 1_999 } } }) },
  // A free course is not sold: every caller who gets past sign-in is told so.
  'POST /api/courses/:id/checkout': { expect: signedIn(409), request: (f) => ({ path: `/api/courses/${f.open.id}/checkout`, method: 'POST', headers: { 'idempotency-key': `matrix-${unique()}` } }) },
  'POST /api/courses/:id/grants': { expect: { ...signedIn(403), admin: 204 }, request: (f) => ({ path: `/api/courses/${f.open.id}/grants`, json: { email: f.roleTargetEmail } }) },
  'DELETE /api/courses/:id/grants/:userId': { expect: { ...signedIn(403), admin: 204 }, request: (f) => ({ path: `/api/courses/${f.open.id}/grants/${f.roleTarget}`, method: 'DELETE' }) },
  'GET /api/orders': { expect: { ...signedIn(403), admin: 200 }, request: () => ({ path: '/api/orders' }) },
  // Someone else's order, or none: the same 404 (an order's existence is not told to others).
  'GET /api/orders/:id': { expect: signedIn(404), request: () => ({ path: `/api/orders/${crypto.randomUUID()}` }) },
  'POST /api/orders/:id/refund': { expect: { ...signedIn(403), admin: 404 }, request: () => ({ path: `/api/orders/${crypto.randomUUID()}/refund`, method: 'POST' }) },
  'GET /api/payments/ledger': { expect: { ...instructors(200), admin: 200 }, request: () => ({ path: '/api/payments/ledger?by=course' }) },
  'GET /api/payments/:id/receipt': { expect: signedIn(404), request: () => ({ path: `/api/payments/${crypto.randomUUID()}/receipt` }) },
  // The provider's signature is the only credential: no user token opens it.
  'POST /api/payments/webhooks/:provider': { expect: everyone(401), request: () => ({ path: '/api/payments/webhooks/stripe', json: { id: 'evt_matrix', type: 'checkout.session.completed' } }) },
  'GET /api/analytics/videos/:videoId/drop-off': { expect: reports(200), request: (f) => ({ path: `/api/analytics/videos/${f.video}/drop-off?${analyticsQuery(f)}` }) },
};

const CAPTIONS = { label: 'Matrix', content: 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n' };
/** A caption track path in a language of its own (`en-` and 8 letters), so each caller's request meets the same state. */
const captionPath = (f: Fixtures) => `/api/videos/${f.video}/captions/en-${crypto.randomUUID().replace(/-/g, '').slice(0, 8)}`;
/** A track the course's instructor has just uploaded. */
async function captionTrack(f: Fixtures): Promise<string> {
  const path = captionPath(f);
  expect((await call(path, { method: 'PUT', token: f.instructor.accessToken, json: CAPTIONS })).status).toBe(201);
  return path;
}

/** A learner whose session was ended (logout): the access token is still unexpired. */
async function revokedToken(): Promise<string> {
  const { body, refreshCookie } = await register();
  expect((await call('/api/auth/logout', { method: 'POST', refresh: refreshCookie })).status).toBe(204);
  return body.accessToken;
}

describe('authorization matrix: every route × every caller', () => {
  let f: Fixtures;

  beforeAll(async () => {
    const [learner, otherLearner, instructor, otherInstructor, admin, foreign, revoked, roleTarget] = await Promise.all([
      signedInAs('learner'),
      signedInAs('learner'),
      signedInAs('instructor'),
      signedInAs('instructor'),
      signedInAs('admin'),
      signedInAs('learner', 'sa'),
      revokedToken(),
      signedInAs('learner'),
    ]);
    const { course, lessons } = await publishedCourse(instructor);
    const { course: open } = await publishedCourse(instructor, {}, 1);
    const draft = await call<CourseDetail>('/api/courses', { token: instructor.accessToken, json: { title: `Draft ${unique()}` } });
    await call(`/api/courses/${draft.body.id}/lessons`, { token: instructor.accessToken, json: { title: 'Draft lesson' } });
    const upload = (multipart: boolean) =>
      call<{ videoId: string }>('/api/videos/upload', {
        token: instructor.accessToken,
        json: { courseId: course.id, filename: 'matrix.mp4', sizeBytes: multipart ? 6 * 1024 ** 2 : 1_000, contentType: 'video/mp4', multipart },
      });
    const [video, multipartVideo] = await Promise.all([upload(false), upload(true)]);
    const lockedLessonId = lessons[1]!.id;
    const attached = await call(`/api/courses/${course.id}/lessons/${lockedLessonId}`, { method: 'PATCH', token: instructor.accessToken, json: { videoId: video.body.videoId } });
    expect(attached.status, JSON.stringify(attached.body)).toBe(200);
    expect((await call(`/api/courses/${course.id}/enrollment`, { method: 'POST', token: learner.accessToken })).status).toBe(201);
    f = {
      tokens: {
        anonymous: undefined,
        learner: learner.accessToken,
        otherLearner: otherLearner.accessToken,
        instructor: instructor.accessToken,
        otherInstructor: otherInstructor.accessToken,
        admin: admin.accessToken,
        foreign: foreign.accessToken,
        revoked,
      },
      instructor,
      course,
      lockedLessonId,
      draft: (await call<CourseDetail>(`/api/courses/${draft.body.id}`, { token: instructor.accessToken })).body,
      open,
      video: video.body.videoId,
      multipartVideo: multipartVideo.body.videoId,
      roleTarget: roleTarget.user.id,
      roleTargetEmail: roleTarget.user.email,
    };
  }, 60_000);

  it('has a row for exactly the routes the app serves', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(servedRoutes().map((route) => route.key).sort());
  });

  it.each(Object.entries(MATRIX))('%s', async (key, row) => {
    const method = key.split(' ')[0]!;
    const answers: Partial<Record<Caller, number>> = {};
    for (const caller of CALLERS) {
      const request = await row.request(f);
      const answer = await call(request.path, { method: request.method ?? method, json: request.json, headers: request.headers, token: f.tokens[caller] });
      answers[caller] = answer.status;
      if (answer.status >= 400) expect(answer.body, `${caller}: ${JSON.stringify(answer.body)}`).toMatchObject({ error: { code: expect.any(String) } });
    }
    expect(answers).toEqual(row.expect);
  }, 60_000);
});
