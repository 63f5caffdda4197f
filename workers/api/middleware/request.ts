import { createMiddleware } from 'hono/factory';
import { openCache } from '../../lib/cache.ts';
import { readConfig } from '../../lib/config.ts';
import { openDatabase, type Database } from '../../lib/db.ts';
import { log } from '../../lib/log.ts';
import { openStorage } from '../../lib/storage.ts';
import { continueTrace } from '../../lib/trace.ts';
import { ApiConfig, type ApiEnv, type ApiServices } from '../context.ts';
import { openDirectory } from '../identity/directory.ts';
import { authLimits } from '../identity/rate-limits.ts';
import { loggedPath } from '../videos/media-paths.ts';
import { gatewayFor } from '../payments/providers.ts';

/** Trace id in, `x-trace-id` out, and one JSON log line per request. */
export const traced = createMiddleware<ApiEnv>(async (c, next) => {
  const trace = continueTrace(c.req.header('traceparent'));
  c.set('trace', trace);
  const started = Date.now();
  await next();
  c.header('x-trace-id', trace.traceId);
  log('info', 'request', {
    traceId: trace.traceId,
    method: c.req.method,
    route: c.req.routePath,
    path: loggedPath(c.req.path),
    status: c.res.status,
    ms: Date.now() - started,
  });
});

/** Validates the configuration, then offers the backing services, each opened on first use. */
export const services = createMiddleware<ApiEnv>(async (c, next) => {
  const config = readConfig(ApiConfig, c.env);
  let database: Database | undefined;
  const once = <T>(open: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= open());
  };
  const cache = once(() => openCache(config));
  const api: ApiServices = {
    config,
    database: () => (database ??= openDatabase(config)),
    cache,
    storage: once(() => openStorage(config)),
    directory: once(() => openDirectory(c.env.DIRECTORY, config.DIRECTORY_KEY)),
    authLimits: once(() =>
      authLimits(cache(), {
        login: config.RATE_LIMIT_LOGIN,
        loginFailures: config.RATE_LIMIT_LOGIN_FAILURES,
        register: config.RATE_LIMIT_REGISTER,
        locate: config.RATE_LIMIT_LOCATE,
      }),
    ),
    payments: once(() => gatewayFor(config)),
  };
  c.set('services', api);
  try {
    await next();
  } finally {
    if (database) c.executionCtx.waitUntil(database.close());
  }
});
