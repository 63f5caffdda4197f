import type { ValidationTargets } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { validator } from 'hono-openapi';
import type { z } from 'zod';
import { AppError, invalidFields } from '../lib/errors.ts';

/**
 * The schema behind each `valid()` middleware, so tests can read every route's inputs off the app's
 * routes (the authorization matrix and the schema fuzzer).
 */
export const routeSchemas = new WeakMap<object, { target: keyof ValidationTargets; schema: z.ZodType }>();

/** A failed check as zod and Standard Schema report it. */
type Issue = { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] | undefined };

/** Failed checks as our 400 `invalid_request`, naming each offending field (`whole` names the input itself). */
export function refusal(issues: readonly Issue[], whole: string): AppError {
  return invalidFields(
    issues.map((issue) => ({ field: (issue.path ?? []).map((key) => String(typeof key === 'object' ? key.key : key)).join('.') || whole, message: issue.message })),
  );
}

/** Validation whose failure is our 400 `invalid_request`; the schema is also the route's input in the OpenAPI document. */
export function valid<Target extends keyof ValidationTargets, Schema extends z.ZodType>(target: Target, schema: Schema) {
  const middleware = validator(target, schema, (result) => {
    if (!result.success) throw refusal(result.error, target);
  });
  routeSchemas.set(middleware, { target, schema });
  return middleware;
}

/** Bodies past the limit are refused before they are read into memory. */
export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`);
    },
  });
}
