import createClient from 'openapi-fetch';
import { isErrorCode } from '../../../contracts/errors.ts';
import type { ClientErrorCode } from './error-messages.ts';
import type { paths } from './schema.ts';
import type { SignedIn } from './types.ts';

/**
 * The one way the SPA talks to the API: `client`, typed by the API's own OpenAPI document (paths,
 * parameters, bodies, answers), same origin, the access token in memory (never in storage), one
 * refresh through the HttpOnly cookie when it expires, and every failure as an `ApiError` carrying
 * the platform's `{ code, message, traceId }`.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ClientErrorCode;
  readonly traceId: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: ClientErrorCode, message: string, traceId?: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.traceId = traceId;
    this.details = details;
  }
}

let accessToken: string | undefined;
let refreshing: Promise<SignedIn | undefined> | undefined;
const listeners = new Set<(token: string | undefined) => void>();

export function currentAccessToken(): string | undefined {
  return accessToken;
}

export function setAccessToken(token: string | undefined): void {
  accessToken = token;
  for (const listener of listeners) listener(token);
}

/** The session layer hears of a token that could not be refreshed (signed out elsewhere, expired). */
export function onAccessTokenChange(listener: (token: string | undefined) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The transport under `client`: the Bearer token, and on a 401 one refresh and one retry. */
async function authorizedFetch(request: Request): Promise<Response> {
  // A page loaded while signed in restores its session through the cookie first: a request made
  // meanwhile waits for it, or it would be answered as an anonymous visitor's.
  if (!accessToken && refreshing) await refreshing.catch(() => undefined);
  // A body can be read once: the retry sends a copy.
  const retry = accessToken ? request.clone() : undefined;
  const response = await send(request);
  if (response.status === 401 && retry && accessToken && (await refreshSession().catch(() => undefined))) return send(retry);
  return response;
}

function send(request: Request): Promise<Response> {
  if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`);
  return fetch(request).catch((error: unknown) => {
    // A cancelled request (react-query's `signal`) stays an AbortError, which queries ignore.
    if (request.signal.aborted) throw error;
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection and try again.');
  });
}

export const client = createClient<paths>({ credentials: 'same-origin', fetch: authorizedFetch });

/**
 * Uses the refresh cookie. Concurrent callers share one request: the token rotates on every use,
 * and presenting a rotated one ends the whole session. Plain `fetch` underneath: the refresh's own
 * 401 must not start another refresh.
 */
export function refreshSession(): Promise<SignedIn | undefined> {
  refreshing ??= client
    .POST('/api/auth/refresh', { fetch: globalThis.fetch })
    .then(({ data }) => {
      setAccessToken(data?.accessToken);
      return data;
    })
    .finally(() => (refreshing = undefined));
  return refreshing;
}

/** What a `client` call resolves to when it succeeds. */
type Answer<Call> = Call extends { data: infer Data } ? Data : never;

/** The answer of a `client` call, or its refusal as an `ApiError`: `await unwrap(client.GET(…))`. */
export async function unwrap<Call extends { data?: unknown; error?: unknown; response: Response }>(call: Promise<Call>): Promise<Answer<Call>> {
  const { data, error, response } = await call;
  if (!response.ok) throw errorFrom(response, error);
  return data as Answer<Call>;
}

function errorFrom(response: Response, payload: unknown): ApiError {
  const traceId = response.headers.get('x-trace-id') ?? undefined;
  const error = (payload as { error?: { code?: string; message?: string; traceId?: string } } | undefined)?.error;
  if (!error?.code) return new ApiError(response.status, 'http_error', `The server answered ${response.status} ${response.statusText}.`, traceId);
  const { code, message, traceId: bodyTrace, ...details } = error;
  // A code this SPA does not know (a newer server) keeps its message under the generic code.
  return new ApiError(response.status, isErrorCode(code) ? code : 'http_error', message ?? code, bodyTrace ?? traceId, details);
}
