import type { ValidationTargets } from 'hono';
import type { z } from 'zod';
import { app } from '../../workers/api/app.ts';
import { routeSchemas } from '../../workers/api/validation.ts';

export interface Route {
  /** `GET /api/courses/:idOrSlug`: how the authorization matrix names it. */
  key: string;
  method: string;
  path: string;
  schemas: Partial<Record<keyof ValidationTargets, z.ZodType>>;
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
    routes.set(key, route);
  }
  return [...routes.values()];
}
