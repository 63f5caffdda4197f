import { env } from 'cloudflare:workers';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { backing, findUserByEmail, makeRole } from './backing.ts';
import { call, PASSWORD, register, uniqueEmail, type SignedIn } from './client.ts';

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
