/**
 * Every refusal the API answers, by its machine-readable code, with its HTTP status: the one list
 * the Workers throw from (`AppError`), the OpenAPI document describes and the SPA switches on.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_cursor: 400,
  invalid_part_number: 400,
  invalid_parts: 400,
  invalid_video: 400,
  invalid_media_path: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  invalid_token: 401,
  token_expired: 401,
  invalid_refresh_token: 401,
  refresh_token_reused: 401,
  session_revoked: 401,
  invalid_signature: 401,
  payment_required: 402,
  forbidden: 403,
  not_enrolled: 403,
  invalid_media_token: 403,
  not_found: 404,
  email_taken: 409,
  slug_taken: 409,
  replica_read_only: 409,
  course_incomplete: 409,
  video_not_ready: 409,
  upload_complete: 409,
  upload_missing: 409,
  upload_size_mismatch: 409,
  upload_expired: 409,
  not_multipart: 409,
  not_processing: 409,
  not_retryable: 409,
  not_for_sale: 409,
  already_owned: 409,
  not_refundable: 409,
  idempotency_key_reused: 422,
  payload_too_large: 413,
  video_too_large: 413,
  range_not_satisfiable: 416,
  wrong_jurisdiction: 421,
  invalid_captions: 422,
  rate_limited: 429,
  internal_error: 500,
  payment_provider_error: 502,
  invalid_configuration: 500,
  cache_unavailable: 503,
  revocation_unavailable: 503,
  analytics_unavailable: 503,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_STATUS, code);
}

/** A field the request got wrong, as `invalid_request` lists them. */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of every refusal. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; traceId: string } & Record<string, unknown>;
}
