import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { AppError, invalidFields } from '../lib/errors.ts';

/**
 * The schema behind each `valid()` middleware, so tests can read every route's inputs off the app's
 * routes (the authorization matrix and the schema fuzzer).
 */
export const routeSchemas = new WeakMap<object, { target: keyof ValidationTargets; schema: z.ZodType }>();

/** A zod failure as our 400 `invalid_request`, naming each offending field (`whole` names the input itself). */
export function refusal(error: z.core.$ZodError, whole: string): AppError {
  return invalidFields(error.issues.map((issue) => ({ field: issue.path.join('.') || whole, message: issue.message })));
}

/** Zod validation whose failure is our 400 `invalid_request`, naming each offending field. */
export function valid<Target extends keyof ValidationTargets, Schema extends z.ZodType>(target: Target, schema: Schema) {
  const middleware = zValidator(target, schema, (result) => {
    if (result.success) return;
    throw refusal(result.error, target);
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
