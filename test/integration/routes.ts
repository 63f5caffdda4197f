import type { ValidationTargets } from 'hono';
import type { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../../contracts/errors.ts';
import { app } from '../../workers/api/app.ts';
import { routePromises } from '../../workers/api/openapi.ts';
import { routeSchemas } from '../../workers/api/validation.ts';

export interface Route {
  /** `GET /api/courses/:idOrSlug`: how the authorization matrix names it. */
  key: string;
  method: string;
  path: string;
  schemas: Partial<Record<keyof ValidationTargets, z.ZodType>>;
  /** What its OpenAPI document promises (undefined: the document and docs page, which are not in it). */
  promises?: typeof routePromises extends WeakMap<object, infer P> ? P : never;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Every route the api Worker serves, read off the app itself, with the zod schemas of its inputs. */
export function servedRoutes(): Route[] {
  const routes = new Map<string, Route>();
  for (const { method, path, handler } of app.routes) {
    if (!METHODS.has(method)) continue;
    const key = `${method} ${path}`;
    const route = routes.get(key) ?? { key, method, path, schemas: {} };
    const validated = routeSchemas.get(handler);
    if (validated) route.schemas[validated.target] = validated.schema;
    route.promises ??= routePromises.get(handler);
    routes.set(key, route);
  }
  return [...routes.values()];
}

/** `/api/courses/:id/lessons/order` as a pattern for request paths (a parameter is one segment; `*`, the rest). */
function pattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/:[A-Za-z]+(\{[^}]*\})?/g, '[^/]+').replace(/\*$/, '.+')}$`);
}

let documented: { method: string; pattern: RegExp; route: Route }[] | undefined;

/**
 * Holds an answer to its route's OpenAPI promises: a documented status, a success body its schema
 * accepts, a refusal whose code the route lists. Literal segments win over parameters (`/mine` over `/:idOrSlug`).
 */
export function checkAgainstDocument(method: string, path: string, status: number, body: unknown): void {
  documented ??= servedRoutes()
    .filter((route) => route.promises)
    .map((route) => ({ method: route.method, pattern: pattern(route.path), route }))
    .sort((a, b) => (a.route.path.includes(':') ? 1 : 0) - (b.route.path.includes(':') ? 1 : 0));
  const match = documented.find((candidate) => candidate.method === method && candidate.pattern.test(path));
  if (!match?.route.promises) return;
  const { key, promises } = match.route;
  // A documented answer first (the health check's 503 is its report); any other 4xx/5xx is a refusal.
  if (status >= 400 && !(status in promises.answers)) {
    const code = (body as { error?: { code?: ErrorCode } }).error?.code;
    if (!code || !promises.refuses.has(code) || ERROR_STATUS[code] !== status) throw new Error(`${key} answered ${status} ${String(code)}, which its document does not list`);
    return;
  }
  const answer = promises.answers[status as keyof typeof promises.answers];
  if (answer === undefined) throw new Error(`${key} answered ${status}, which its document does not list`);
  if (answer !== null && answer !== 'file') {
    const parsed = answer.safeParse(body);
    if (!parsed.success) throw new Error(`${key} answered ${status} with a body its document does not describe: ${parsed.error.message}`);
  }
}
