import { Hono, type Context } from 'hono';
import { AppError, asAppError, errorEnvelope } from '../lib/errors.ts';
import { log } from '../lib/log.ts';
import { continueTrace } from '../lib/trace.ts';
import type { ApiEnv } from './context.ts';
import { services, traced } from './middleware/request.ts';
import { health } from './routes/health.ts';

/** The one place an error becomes a response: `{ error: { code, message, traceId } }`. */
function renderError(c: Context<ApiEnv>, error: unknown) {
  const trace = c.get('trace') ?? continueTrace(null);
  const appError = asAppError(error);
  if (appError.status >= 500) {
    const cause = error instanceof Error ? error : new Error(String(error));
    log('error', cause.message, { traceId: trace.traceId, code: appError.code, stack: cause.stack });
  }
  return c.json(errorEnvelope(appError, trace.traceId), appError.status);
}

export const app = new Hono<ApiEnv>()
  .basePath('/api')
  .use(traced)
  .use(services)
  .route('/health', health)
  .notFound((c) => renderError(c, new AppError('not_found', 404, `There is no ${c.req.method} ${c.req.path}.`)))
  .onError((error, c) => renderError(c, error));
