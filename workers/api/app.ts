import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { Scalar } from '@scalar/hono-api-reference';
import { openAPIRouteHandler } from 'hono-openapi';
import { AppError, asAppError, errorEnvelope, notFound } from '../lib/errors.ts';
import { log } from '../lib/log.ts';
import { continueTrace } from '../lib/trace.ts';
import type { ApiEnv } from './context.ts';
import { services, traced } from './middleware/request.ts';
import { DOCUMENT } from './openapi.ts';
import { analytics } from './routes/analytics.ts';
import { captionsRoutes } from './routes/captions.ts';
import { auth } from './routes/auth.ts';
import { coursesRoutes } from './routes/courses.ts';
import { health } from './routes/health.ts';
import { lessonsRoutes, notificationsRoutes } from './routes/learning.ts';
import { me } from './routes/me.ts';
import { mediaRoutes } from './routes/media.ts';
import { coursePaymentRoutes, ordersRoutes, paymentsRoutes } from './routes/payments.ts';
import { searchRoutes } from './routes/search.ts';
import { usersRoutes } from './routes/users.ts';
import { courseVideoRoutes, videosRoutes } from './routes/videos.ts';
import { loggedPath } from './videos/media-paths.ts';

/** The one place an error becomes a response: `{ error: { code, message, traceId } }`. */
function renderError(c: Context<ApiEnv>, error: unknown) {
  const trace = c.get('trace') ?? continueTrace(null);
  // Hono's own refusals (a body that is not JSON, say) are bad requests in our envelope.
  const appError = error instanceof HTTPException && error.status < 500 ? new AppError('invalid_request', error.message) : asAppError(error);
  if (typeof appError.details?.retryAfter === 'number') c.header('Retry-After', String(appError.details.retryAfter));
  if (appError.status >= 500) {
    const cause = error instanceof Error ? error : new Error(String(error));
    log('error', cause.message, { traceId: trace.traceId, code: appError.code, cause: String(cause.cause ?? ''), stack: cause.stack });
  }
  return c.json(errorEnvelope(appError, trace.traceId), appError.status);
}

export const app = new Hono<ApiEnv>()
  .use(traced)
  .use(services)
  // Signed media, outside /api: the CDN caches it by path (the token is part of it).
  .route('/media', mediaRoutes)
  .basePath('/api')
  .route('/health', health)
  .route('/auth', auth)
  .route('/analytics', analytics)
  .route('/me', me)
  .route('/users', usersRoutes)
  .route('/courses', courseVideoRoutes)
  .route('/courses', coursesRoutes)
  .route('/courses', coursePaymentRoutes)
  .route('/orders', ordersRoutes)
  .route('/payments', paymentsRoutes)
  .route('/search', searchRoutes)
  .route('/videos', videosRoutes)
  .route('/videos', captionsRoutes)
  .route('/lessons', lessonsRoutes)
  .route('/notifications', notificationsRoutes)
  .get('/docs', Scalar({ url: '/api/openapi.json', pageTitle: 'KnowledgeCity Edge API' }))
  .notFound((c) => renderError(c, notFound(`${c.req.method} ${loggedPath(c.req.path)}`)))
  .onError((error, c) => renderError(c, error));

// The document describes the app it is served by, so it is added once the app exists (under its /api base path).
app.get('/openapi.json', openAPIRouteHandler(app, DOCUMENT));
