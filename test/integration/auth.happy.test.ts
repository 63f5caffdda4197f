import { describe, expect, it } from 'vitest';
import { profileKey } from '../../workers/api/identity/accounts.ts';
import { backing } from './backing.ts';
import { call, PASSWORD, register, uniqueEmail, type SignedIn } from './client.ts';

describe('accounts: happy paths', () => {
  it('registers, returning a profile, an access token and a locked-down refresh cookie', async () => {
    const email = uniqueEmail('reg');
    const answer = await register({ email, displayName: 'نورة العتيبي', preferredLanguage: 'ar' });
    expect(answer.body.user).toMatchObject({ email, displayName: 'نورة العتيبي', preferredLanguage: 'ar', role: 'learner', jurisdiction: 'us' });
    expect(answer.body.expiresIn).toBe(900);
    const cookie = answer.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/kce_refresh=[\w-]{40,};/);
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/api/auth']) expect(cookie).toContain(flag);
  });

  it('signs in with the email in any case, and the token reads the profile', async () => {
    const { body } = await register();
    const login = await call<SignedIn>('/api/auth/login', { json: { email: body.user.email.toUpperCase(), password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(body.user.id);
    const me = await call('/api/me', { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: body.user.id, role: 'learner' });
  });

  it('keeps emails unique per jurisdiction, case-insensitively', async () => {
    const { body } = await register();
    const again = await call('/api/auth/register', {
      json: { email: body.user.email.toUpperCase(), password: PASSWORD, displayName: 'Twin', jurisdiction: 'us' },
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'email_taken' } });
  });

  it('caches the profile in Redis for 10 minutes and drops it on every change', async () => {
    const { body } = await register();
    const cache = backing('us').cache();
    expect(await cache.get(profileKey(body.user.id))).toBeNull();
    await call('/api/me', { token: body.accessToken });
    expect(await cache.get(profileKey(body.user.id))).toMatchObject({ id: body.user.id, displayName: 'Test Learner' });
    const ttl = await cache.ttl(profileKey(body.user.id));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);

    const changed = await call('/api/me', { method: 'PATCH', token: body.accessToken, json: { displayName: 'Renamed', preferredLanguage: 'ar' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ displayName: 'Renamed', preferredLanguage: 'ar' });
    expect(await cache.get(profileKey(body.user.id))).toBeNull();
    expect((await call('/api/me', { token: body.accessToken })).body).toMatchObject({ displayName: 'Renamed' });
  });

  it('rotates the refresh token on every refresh', async () => {
    const first = await register();
    const refreshed = await call<SignedIn>('/api/auth/refresh', { method: 'POST', refresh: first.refreshCookie });
    expect(refreshed.status).toBe(200);
    expect(refreshed.refreshCookie).toBeDefined();
    expect(refreshed.refreshCookie).not.toBe(first.refreshCookie);
    expect((await call('/api/me', { token: refreshed.body.accessToken })).status).toBe(200);
    const again = await call('/api/auth/refresh', { method: 'POST', refresh: refreshed.refreshCookie });
    expect(again.status).toBe(200);
  });

  it('revokes the whole session family when a rotated refresh token comes back', async () => {
    const first = await register();
    const second = await call('/api/auth/refresh', { method: 'POST', refresh: first.refreshCookie });
    const replay = await call('/api/auth/refresh', { method: 'POST', refresh: first.refreshCookie });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ error: { code: 'refresh_token_reused' } });
    const legitimate = await call('/api/auth/refresh', { method: 'POST', refresh: second.refreshCookie });
    expect(legitimate.status).toBe(401);
  });

  it('logs out: the refresh token no longer works', async () => {
    const { refreshCookie } = await register();
    const logout = await call('/api/auth/logout', { method: 'POST', refresh: refreshCookie });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/kce_refresh=;.*Max-Age=0/);
    const refresh = await call('/api/auth/refresh', { method: 'POST', refresh: refreshCookie });
    expect(refresh.status).toBe(401);
    expect(refresh.body).toMatchObject({ error: { code: 'invalid_refresh_token' } });
  });

  it('changes the password: other sessions end, the old password stops working, this device stays in', async () => {
    const { body, refreshCookie } = await register();
    const elsewhere = await call<SignedIn>('/api/auth/login', { json: { email: body.user.email, password: PASSWORD } });
    const changed = await call<SignedIn>('/api/me/password', { token: body.accessToken, json: { currentPassword: PASSWORD, newPassword: 'a brand new secret' } });
    expect(changed.status).toBe(200);
    expect(changed.refreshCookie).toBeDefined();
    for (const old of [refreshCookie, elsewhere.refreshCookie]) {
      expect((await call('/api/auth/refresh', { method: 'POST', refresh: old })).status).toBe(401);
    }
    expect((await call('/api/auth/refresh', { method: 'POST', refresh: changed.refreshCookie })).status).toBe(200);
    expect((await call('/api/auth/login', { json: { email: body.user.email, password: PASSWORD } })).status).toBe(401);
    expect((await call('/api/auth/login', { json: { email: body.user.email, password: 'a brand new secret' } })).status).toBe(200);
  });

  it('refuses a password change with the wrong current password, changing nothing', async () => {
    const { body } = await register();
    const refused = await call('/api/me/password', { token: body.accessToken, json: { currentPassword: 'wrong one', newPassword: 'another secret' } });
    expect(refused.status).toBe(401);
    expect((await call('/api/auth/login', { json: { email: body.user.email, password: PASSWORD } })).status).toBe(200);
  });

  it('finds a user’s home jurisdiction in the directory, without revealing unknown emails', async () => {
    const { body } = await register({}, 'sa');
    const fromUs = await call('/api/auth/locate', { json: { email: body.user.email } });
    expect(fromUs.body).toEqual({ jurisdiction: 'sa', apiBaseUrl: 'https://sa.api.test' });
    const unknown = await call('/api/auth/locate', { json: { email: uniqueEmail('nobody') } });
    expect(unknown.body).toEqual({ jurisdiction: 'us', apiBaseUrl: 'https://us.api.test' });
  });
});
