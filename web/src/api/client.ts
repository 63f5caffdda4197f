import { isErrorCode } from '../../../contracts/errors.ts';
import type { ClientErrorCode } from './error-messages.ts';
import type { Profile } from './types.ts';

/**
 * The one way the SPA talks to the API: same origin, JSON, the access token in memory (never in
 * storage), one refresh through the HttpOnly cookie when it expires, and every failure as an
 * `ApiError` carrying the platform's `{ code, message, traceId }`.
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

export interface SignedIn {
  user: Profile;
  accessToken: string;
  expiresIn: number;
}


/**
 * Uses the refresh cookie. Concurrent callers share one request: the token rotates on every use,
 * and presenting a rotated one ends the whole session.
 */
export function refreshSession(): Promise<SignedIn | undefined> {
  refreshing ??= fetch('/api/auth/refresh', { method: 'POST', credentials: 'same-origin' })
    .then(async (response) => {
      const signedIn = response.ok ? ((await response.json()) as SignedIn) : undefined;
      setAccessToken(signedIn?.accessToken);
      return signedIn;
    })
    .finally(() => (refreshing = undefined));
  return refreshing;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

export async function api<T>(path: string, { method = 'GET', body, signal }: RequestOptions = {}): Promise<T> {
  const send = () => {
    const headers: Record<string, string> = {};
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, credentials: 'same-origin' });
  };
  let response = await send().catch((error: unknown) => {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection and try again.');
  });
  if (response.status === 401 && accessToken && (await refreshSession().catch(() => undefined))) response = await send();
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw errorFrom(response, payload);
  return payload as T;
}

function errorFrom(response: Response, payload: unknown): ApiError {
  const traceId = response.headers.get('x-trace-id') ?? undefined;
  const error = (payload as { error?: { code?: string; message?: string; traceId?: string } } | undefined)?.error;
  if (!error?.code) return new ApiError(response.status, 'http_error', `The server answered ${response.status} ${response.statusText}.`, traceId);
  const { code, message, traceId: bodyTrace, ...details } = error;
  // A code this SPA does not know (a newer server) keeps its message under the generic code.
  return new ApiError(response.status, isErrorCode(code) ? code : 'http_error', message ?? code, bodyTrace ?? traceId, details);
}
