import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one error type every layer throws; `renderError` turns it into the error envelope. */
export class AppError extends Error {
  readonly code: string;
  readonly status: ContentfulStatusCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, status: ContentfulStatusCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; traceId: string } & Record<string, unknown>;
}

export function errorEnvelope(error: AppError, traceId: string): ErrorEnvelope {
  return { error: { code: error.code, message: error.message, traceId, ...error.details } };
}

/** Unknown failures are logged in full but answered without internals. */
export function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError('internal_error', 500, 'Something went wrong on our side. Quote the trace id when reporting it.');
}
