import { ERROR_STATUS, type ErrorCode, type ErrorEnvelope, type FieldError } from '../../contracts/errors.ts';

export type { ErrorCode, ErrorEnvelope } from '../../contracts/errors.ts';

/** The one error type every layer throws; `renderError` turns it into the error envelope. Its status comes from the catalog. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: (typeof ERROR_STATUS)[ErrorCode];
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }
}

/** 404 for something named by the caller: `notFound('such lesson')` says "There is no such lesson." */
export const notFound = (what: string) => new AppError('not_found', `There is no ${what}.`);

/** A signed-in user whose row is gone (deleted since the token was issued). */
export const accountGone = () => new AppError('not_found', 'This account no longer exists.');

/** 400 naming each offending field. */
export const invalidFields = (fields: FieldError[]) =>
  new AppError('invalid_request', `The request is not valid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}.`, { fields });

/** 503 from a dependency that must record a change first: nothing was changed. */
export const unavailable = (code: 'cache_unavailable' | 'revocation_unavailable', what: string, error: unknown) =>
  new AppError(code, `${what} cannot be changed right now; nothing was changed. Try again shortly.`, { cause: String(error) });

export function errorEnvelope(error: AppError, traceId: string): ErrorEnvelope {
  return { error: { code: error.code, message: error.message, traceId, ...error.details } };
}

/**
 * A dependency that did not answer (connection refused, reset or lost; the database's WebSocket
 * failing shows as an ErrorEvent), anywhere in the cause chain: not a bug, and worth trying again.
 */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|unreachable|fetch failed|network connection lost|connection terminated|websocket|\[object ErrorEvent\]/i;
function unreachable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause !== undefined && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    if (UNREACHABLE.test(cause instanceof Error ? cause.message : String(cause))) return true;
  }
  return false;
}

/** Unknown failures are logged in full but answered without internals: a dependency that did not answer as 503, anything else as 500. */
export function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (unreachable(error)) return new AppError('service_unavailable', 'A service this request needs is not answering right now. Try again in a few seconds.', { retryAfter: 5 });
  return new AppError('internal_error', 'Something went wrong on our side. Quote the trace id when reporting it.');
}
