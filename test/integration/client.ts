import { env, exports } from 'cloudflare:workers';
import { checkAgainstDocument } from './routes.ts';
import type { JurisdictionId } from '../../contracts/jurisdictions.ts';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  /** The refresh cookie the answer set, if any. */
  refreshCookie: string | undefined;
}

export interface Call {
  method?: string;
  json?: unknown;
  body?: string;
  token?: string;
  refresh?: string;
  /** The client address the edge reports; random by default so tests do not share rate limits. */
  ip?: string;
  headers?: Record<string, string>;
  jurisdiction?: JurisdictionId;
}

export async function call<T = Record<string, unknown>>(path: string, options: Call = {}): Promise<Answer<T>> {
  const headers = new Headers(options.headers);
  headers.set('cf-connecting-ip', options.ip ?? `10.${rand()}.${rand()}.${rand()}`);
  if (options.json !== undefined) headers.set('content-type', 'application/json');
  if (options.token) headers.set('authorization', `Bearer ${options.token}`);
  if (options.refresh) headers.set('cookie', `kce_refresh=${options.refresh}`);
  const init = {
    method: options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
  };
  const jurisdiction = options.jurisdiction ?? 'us';
  const url = `https://${jurisdiction}.api.test${path}`;
  const response = await (jurisdiction === 'us' ? exports.default : apiIn(jurisdiction)).fetch(url, init);
  const text = await response.text();
  const refreshCookie = /kce_refresh=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
  const body: unknown = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {};
  checkAgainstDocument(init.method, new URL(url).pathname, response.status, body);
  return { status: response.status, body: body as T, headers: response.headers, refreshCookie };
}

/** Another deployment's api Worker, running beside the one under test. */
export function apiIn(jurisdiction: Exclude<JurisdictionId, 'us'>): Fetcher {
  const binding: `API_${typeof jurisdiction}` = `API_${jurisdiction}`;
  return env[binding];
}

function rand(): number {
  return Math.floor(Math.random() * 250) + 1;
}

export interface SignedIn {
  user: { id: string; email: string; role: string; jurisdiction: string; displayName: string; preferredLanguage: string };
  accessToken: string;
  expiresIn: number;
}

export const PASSWORD = 'correct horse battery';

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}@Example.test`;
}

export async function register(overrides: Record<string, unknown> = {}, jurisdiction: JurisdictionId = 'us') {
  const answer = await call<SignedIn>('/api/auth/register', {
    jurisdiction,
    json: { email: uniqueEmail(), password: PASSWORD, displayName: 'Test Learner', preferredLanguage: 'en', jurisdiction, ...overrides },
  });
  if (answer.status !== 201) throw new Error(`registration failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/** A fresh account of the given role in a jurisdiction, signed in. */
export async function signedInAs(role: 'learner' | 'instructor' | 'admin', jurisdiction: JurisdictionId = 'us'): Promise<SignedIn> {
  const { body } = await register({}, jurisdiction);
  if (role === 'learner') return body;
  const { makeRole } = await import('./backing.ts');
  await makeRole(body.user.id, role, jurisdiction);
  const login = await call<SignedIn>('/api/auth/login', { jurisdiction, json: { email: body.user.email, password: PASSWORD } });
  return login.body;
}

/** Polls until `check` returns something, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Sends until one is refused with 429, at most `2 × limit + 1` times, and returns every status. A
 * sliding window weighs the previous window by what is left of it, so a burst across a window border
 * may pass a few more than the limit (never fewer): a test checks the first `limit` passed and a
 * refusal came.
 */
export async function sendUntilLimited(limit: number, send: () => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  while (statuses.length <= 2 * limit && statuses.at(-1) !== 429) statuses.push(await send());
  return statuses;
}
