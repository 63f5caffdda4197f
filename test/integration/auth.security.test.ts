import { env } from 'cloudflare:workers';
import { SignJWT, UnsecuredJWT } from 'jose';
import { count, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { courses } from '../../db/schema.ts';
import { backing, findUserByEmail, makeRole, withDatabase } from './backing.ts';
import { call, PASSWORD, register, signedInAs, uniqueEmail, type SignedIn } from './client.ts';

const key = new TextEncoder().encode(env.JWT_SECRET);

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(atob(token.split('.')[1]!.replaceAll('-', '+').replaceAll('_', '/')));
}

async function signedWith(alg: string, claims: Record<string, unknown>, expires = '15m') {
  const { sub, ...rest } = claims;
  return new SignJWT(rest).setProtectedHeader({ alg }).setSubject(String(sub)).setIssuer('knowledgecity-edge').setIssuedAt().setExpirationTime(expires).sign(key);
}

describe('access tokens', () => {
  it('refuses a tampered token', async () => {
    const { body } = await register();
    const [header, , signature] = body.accessToken.split('.');
    const payload = btoa(JSON.stringify({ ...claimsOf(body.accessToken), role: 'admin' })).replaceAll('=', '').replaceAll('+', '-').replaceAll('/', '_');
    const answer = await call('/api/me', { token: `${header}.${payload}.${signature}` });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: 'invalid_token' } });
  });

  it('refuses an expired token, saying so', async () => {
    const { body } = await register();
    const expired = await signedWith('HS256', claimsOf(body.accessToken), '-1m');
    const answer = await call('/api/me', { token: expired });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: 'token_expired' } });
  });

  it('refuses other algorithms, even with the right key', async () => {
    const { body } = await register();
    const claims = claimsOf(body.accessToken);
    const hs512 = await signedWith('HS512', claims);
    const none = new UnsecuredJWT(claims).setIssuer('knowledgecity-edge').setExpirationTime('15m').encode();
    for (const token of [hs512, none]) {
      const answer = await call('/api/me', { token });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'invalid_token' } });
    }
    expect((await call('/api/me', { token: body.accessToken })).status).toBe(200);
  });

  it('asks for a token when there is none', async () => {
    const answer = await call('/api/me');
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: 'unauthenticated' } });
  });
});

describe('roles', () => {
  it('will not take a role at registration or in a profile change', async () => {
    const atSignUp = await call('/api/auth/register', {
      json: { email: uniqueEmail(), password: PASSWORD, displayName: 'Sneaky', jurisdiction: 'us', role: 'admin' },
    });
    expect(atSignUp.status).toBe(400);
    expect(atSignUp.body).toMatchObject({ error: { code: 'invalid_request' } });
    const { body } = await register();
    const inProfile = await call('/api/me', { method: 'PATCH', token: body.accessToken, json: { role: 'admin' } });
    expect(inProfile.status).toBe(400);
    expect((await call('/api/me', { token: body.accessToken })).body).toMatchObject({ role: 'learner' });
  });

  it('lets only admins grant roles', async () => {
    const learner = await register();
    const instructor = await register();
    await makeRole(instructor.body.user.id, 'instructor');
    const instructorToken = (await call<SignedIn>('/api/auth/login', { json: { email: instructor.body.user.email, password: PASSWORD } })).body.accessToken;
    for (const token of [learner.body.accessToken, instructorToken]) {
      const answer = await call(`/api/users/${learner.body.user.id}/role`, { method: 'PUT', token, json: { role: 'admin' } });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect((await findUserByEmail('us', learner.body.user.email))?.role).toBe('learner');
  });

  it('admins grant roles; the change takes effect and ends the user’s sessions', async () => {
    const admin = await register();
    await makeRole(admin.body.user.id, 'admin');
    const adminToken = (await call<SignedIn>('/api/auth/login', { json: { email: admin.body.user.email, password: PASSWORD } })).body.accessToken;
    const learner = await register();
    const granted = await call(`/api/users/${learner.body.user.id}/role`, { method: 'PUT', token: adminToken, json: { role: 'instructor' } });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ role: 'instructor' });
    expect((await call('/api/auth/refresh', { method: 'POST', refresh: learner.refreshCookie })).status).toBe(401);
    const again = await call<SignedIn>('/api/auth/login', { json: { email: learner.body.user.email, password: PASSWORD } });
    expect(again.body.user.role).toBe('instructor');
    const unknown = await call(`/api/users/${crypto.randomUUID()}/role`, { method: 'PUT', token: adminToken, json: { role: 'admin' } });
    expect(unknown.status).toBe(404);
  });
});

describe('jurisdictions', () => {
  it('refuses a us token at the sa deployment with 421, naming where to go', async () => {
    const { body } = await register();
    const answer = await call('/api/me', { token: body.accessToken, jurisdiction: 'sa' });
    expect(answer.status).toBe(421);
    expect(answer.body).toMatchObject({ error: { code: 'wrong_jurisdiction', jurisdiction: 'us', apiBaseUrl: 'https://us.api.test' } });
  });

  it('refuses to register a us account at the sa deployment, writing nothing there', async () => {
    const email = uniqueEmail('misrouted');
    const answer = await call('/api/auth/register', { jurisdiction: 'sa', json: { email, password: PASSWORD, displayName: 'Lost', jurisdiction: 'us' } });
    expect(answer.status).toBe(421);
    expect(answer.body).toMatchObject({ error: { code: 'wrong_jurisdiction', apiBaseUrl: 'https://us.api.test' } });
    expect(await findUserByEmail('sa', email)).toBeUndefined();
  });

  it('leaves no trace of a us user in the sa database or cache', async () => {
    const email = uniqueEmail('sovereign');
    const { body } = await register({ email });
    await call('/api/me', { token: body.accessToken });
    await call('/api/me', { token: body.accessToken, jurisdiction: 'sa' });
    expect(await findUserByEmail('us', email)).toBeDefined();
    expect(await findUserByEmail('sa', email)).toBeUndefined();
    const saCache = backing('sa').cache();
    expect(await saCache.keys(`*${body.user.id}*`)).toEqual([]);
    expect(await backing('us').cache().keys(`*${body.user.id}*`)).not.toEqual([]);
  });

  it('refuses an email that already lives in another jurisdiction', async () => {
    const { body } = await register({}, 'sa');
    const answer = await call('/api/auth/register', { json: { email: body.user.email, password: PASSWORD, displayName: 'Twin', jurisdiction: 'us' } });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ error: { code: 'email_taken', jurisdiction: 'sa' } });
    expect(await findUserByEmail('us', body.user.email)).toBeUndefined();
  });
});

interface Refusal {
  error: { code: string; message: string };
}

/** An address of its own, so a test's rate limits meet no other test's. */
const address = () => `198.51.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;

const retryAfter = (answer: { headers: Headers }) => Number(answer.headers.get('retry-after'));

describe('the directory', () => {
  it('answers few look-ups per address (RATE_LIMIT_LOCATE, 10 per 600 s), on a budget of its own', async () => {
    const { body } = await register();
    const ip = address();
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await call('/api/auth/locate', { ip, json: { email: uniqueEmail('probe') } })).status);
    expect(statuses).toEqual(Array(10).fill(200));
    const refused = await call<Refusal>('/api/auth/locate', { ip, json: { email: body.user.email } });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    // Until the end of the limiter's current 600 s window, which may be near: a sliding window weighs the one before.
    expect(retryAfter(refused)).toBeGreaterThanOrEqual(1);
    expect(retryAfter(refused)).toBeLessThanOrEqual(600);
    // The look-ups spent none of the sign-in budget of that address.
    expect((await call('/api/auth/login', { ip, json: { email: body.user.email, password: PASSWORD } })).status).toBe(200);
  });

  it("counts a sign-up's cross-jurisdiction check as a look-up", async () => {
    const { body } = await register();
    const ip = address();
    for (let i = 0; i < 10; i++) {
      const twin = await call<Refusal>('/api/auth/register', {
        ip,
        jurisdiction: 'sa',
        json: { email: body.user.email, password: PASSWORD, displayName: 'Twin', jurisdiction: 'sa' },
      });
      expect(twin.status).toBe(409);
    }
    const refused = await call<Refusal>('/api/auth/locate', { ip, jurisdiction: 'sa', json: { email: uniqueEmail('probe') } });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
  });
});

describe('wrong passwords', () => {
  it('from rotating addresses do not lock the owner out; at one address they throttle that address only', async () => {
    const { body } = await register();
    const email = body.user.email;
    // RATE_LIMIT_LOGIN_FAILURES is 3 per 15 s in the tests (a wide window, as each guess hashes a password on a busy machine): five guesses, each from a new address.
    for (let i = 0; i < 5; i++) expect((await call('/api/auth/login', { json: { email, password: `guess ${i}` } })).status).toBe(401);
    const owner = address();
    expect((await call('/api/auth/login', { ip: owner, json: { email, password: PASSWORD } })).status).toBe(200);

    const guesser = address();
    for (let i = 0; i < 3; i++) expect((await call('/api/auth/login', { ip: guesser, json: { email, password: `guess ${i}` } })).status).toBe(401);
    const throttled = await call<Refusal>('/api/auth/login', { ip: guesser, json: { email, password: PASSWORD } });
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.code).toBe('rate_limited');
    expect((await call('/api/auth/login', { ip: owner, json: { email, password: PASSWORD } })).status).toBe(200);
  });

  it('at a password change are counted per user: once spent, 429 and nothing changes', async () => {
    const { body } = await register();
    const change = (currentPassword: string) =>
      call<Refusal>('/api/me/password', { token: body.accessToken, json: { currentPassword, newPassword: 'a brand new secret' } });
    for (let i = 0; i < 3; i++) {
      const wrong = await change(`guess ${i}`);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('invalid_credentials');
    }
    const limited = await change(PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(retryAfter(limited)).toBeGreaterThanOrEqual(1);
    expect((await call('/api/auth/login', { json: { email: body.user.email, password: PASSWORD } })).status).toBe(200);
    expect((await call('/api/me', { token: body.accessToken })).status).toBe(200);
  });
});

describe('revoked sessions', () => {
  function redis(action: 'kill' | 'restart') {
    return fetch(`${env.CONTROL_URL}/redis/us/${action}`, { method: 'POST' });
  }

  afterEach(async () => {
    await redis('restart');
  });

  /** 401 `session_revoked` where a user is required and where one is optional (a token that is sent must be valid). */
  async function expectRevoked(token: string) {
    for (const [path, init] of [
      ['/api/me', {}],
      ['/api/courses/no-such-course', {}],
      ['/api/analytics/events', { json: { events: [] } }],
    ] as const) {
      const answer = await call<Refusal>(path, { token, ...init });
      expect(answer.status, path).toBe(401);
      expect(answer.body.error.code, path).toBe('session_revoked');
    }
  }

  it('end at logout', async () => {
    const { body, refreshCookie } = await register();
    expect((await call('/api/me', { token: body.accessToken })).status).toBe(200);
    expect((await call('/api/auth/logout', { method: 'POST', refresh: refreshCookie })).status).toBe(204);
    await expectRevoked(body.accessToken);
  });

  it('end, every token of them, when a spent refresh token comes back', async () => {
    const first = await register();
    const second = await call<SignedIn>('/api/auth/refresh', { method: 'POST', refresh: first.refreshCookie });
    expect(second.status).toBe(200);
    expect((await call('/api/auth/refresh', { method: 'POST', refresh: first.refreshCookie })).status).toBe(401);
    await expectRevoked(first.body.accessToken);
    await expectRevoked(second.body.accessToken);
  });

  it('end when an admin changes the role: a demoted instructor creates nothing', async () => {
    const admin = await signedInAs('admin');
    const instructor = await signedInAs('instructor');
    const demoted = await call(`/api/users/${instructor.user.id}/role`, { method: 'PUT', token: admin.accessToken, json: { role: 'learner' } });
    expect(demoted.status).toBe(200);
    const created = await call<Refusal>('/api/courses', { token: instructor.accessToken, json: { title: 'Still teaching', slug: `still-${crypto.randomUUID().slice(0, 8)}` } });
    expect(created.status).toBe(401);
    expect(created.body.error.code).toBe('session_revoked');
    const owned = await withDatabase('us', async (db) => (await db.select({ n: count() }).from(courses).where(eq(courses.instructorId, instructor.user.id)))[0]?.n);
    expect(owned).toBe(0);
    await expectRevoked(instructor.accessToken);
  });

  it('end at a password change, except the new sign-in of the device that changed it', async () => {
    const { body } = await register();
    const elsewhere = await call<SignedIn>('/api/auth/login', { json: { email: body.user.email, password: PASSWORD } });
    const changed = await call<SignedIn>('/api/me/password', { token: body.accessToken, json: { currentPassword: PASSWORD, newPassword: 'a brand new secret' } });
    expect(changed.status).toBe(200);
    await expectRevoked(body.accessToken);
    await expectRevoked(elsewhere.body.accessToken);
    expect((await call('/api/me', { token: changed.body.accessToken })).status).toBe(200);
  });

  it('stay refused while Redis is down (the database answers), and live sessions keep working', async () => {
    const revoked = await register();
    await call('/api/auth/logout', { method: 'POST', refresh: revoked.refreshCookie });
    const live = await register();
    expect((await redis('kill')).status).toBe(204);
    await expectRevoked(revoked.body.accessToken);
    expect((await call('/api/me', { token: live.body.accessToken })).status).toBe(200);
  });

  it('are not ended while Redis cannot record it: logout answers 503 and changes nothing, then works', async () => {
    const { body, refreshCookie } = await register();
    expect((await redis('kill')).status).toBe(204);
    const refused = await call<Refusal>('/api/auth/logout', { method: 'POST', refresh: refreshCookie });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('revocation_unavailable');
    expect((await redis('restart')).status).toBe(204);
    expect((await call('/api/me', { token: body.accessToken })).status).toBe(200);
    expect((await call('/api/auth/logout', { method: 'POST', refresh: refreshCookie })).status).toBe(204);
    await expectRevoked(body.accessToken);
  });
});
