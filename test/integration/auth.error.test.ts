import { describe, expect, it } from 'vitest';
import { countUsers } from './backing.ts';
import { call, PASSWORD, register, sendUntilLimited, signedInAs, uniqueEmail } from './client.ts';

interface Refusal {
  error: { code: string; message: string; fields?: Array<{ field: string; message: string }> };
}

const valid = () => ({ email: uniqueEmail('bad'), password: PASSWORD, displayName: 'Valid Name', jurisdiction: 'us' });

describe('bad input is refused clearly and writes nothing', () => {
  const cases: Array<[string, { json?: unknown; body?: string; headers?: Record<string, string> }, number, string, string?]> = [
    ['missing fields', { json: { email: uniqueEmail() } }, 400, 'invalid_request', 'password'],
    ['wrong types', { json: { ...valid(), password: 12345678, displayName: ['x'] } }, 400, 'invalid_request', 'displayName'],
    ['an unknown language', { json: { ...valid(), preferredLanguage: 'fr' } }, 400, 'invalid_request', 'preferredLanguage'],
    ['a too-short password', { json: { ...valid(), password: 'short' } }, 400, 'invalid_request', 'password'],
    ['invalid JSON', { body: '{"email": "a@b.test",', headers: { 'content-type': 'application/json' } }, 400, 'invalid_request'],
    ['a body that is not an object', { json: ['not', 'an', 'object'] }, 400, 'invalid_request'],
    ['an oversized body', { json: { ...valid(), displayName: 'x'.repeat(20_000) } }, 413, 'payload_too_large'],
    ['a fullwidth @ in the email', { json: { ...valid(), email: 'user＠example.test' } }, 400, 'invalid_request', 'email'],
    ['a Cyrillic look-alike email', { json: { ...valid(), email: 'аdmin@example.test' } }, 400, 'invalid_request', 'email'],
    ['a zero-width space in the email', { json: { ...valid(), email: 'ad\u200Bmin@example.test' } }, 400, 'invalid_request', 'email'],
    ['a NUL byte in the email', { json: { ...valid(), email: 'admin\u0000@example.test' } }, 400, 'invalid_request', 'email'],
    ['an over-long email', { json: { ...valid(), email: `${'a'.repeat(250)}@example.test` } }, 400, 'invalid_request', 'email'],
    ['a right-to-left override in the name', { json: { ...valid(), displayName: 'admin\u202Egnp.exe' } }, 400, 'invalid_request', 'displayName'],
  ];

  it.each(cases)('register with %s', async (_, request, status, code, field) => {
    const before = await countUsers();
    const answer = await call<Refusal>('/api/auth/register', { method: 'POST', ...request });
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message.length).toBeGreaterThan(10);
    if (field) expect(answer.body.error.fields?.map((f) => f.field)).toContain(field);
    expect(await countUsers()).toBe(before);
  });

  it('accepts Arabic names and keeps them intact', async () => {
    const { body } = await register({ displayName: 'عبد الله بن محمد' });
    expect(body.user.displayName).toBe('عبد الله بن محمد');
  });

  it('refuses an empty profile change', async () => {
    const { body } = await register();
    const empty = await call<Refusal>('/api/me', { method: 'PATCH', token: body.accessToken, json: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('invalid_request');
  });

  it('refuses a malformed user id to an admin, and the route itself to a learner', async () => {
    const admin = await signedInAs('admin');
    const badId = await call<Refusal>('/api/users/not-a-uuid/role', { method: 'PUT', token: admin.accessToken, json: { role: 'admin' } });
    expect(badId.status).toBe(400);
    expect(badId.body.error.code).toBe('invalid_request');
    expect(badId.body.error.fields?.map((f) => f.field)).toContain('id');
    const learner = await signedInAs('learner');
    const forbidden = await call<Refusal>(`/api/users/${learner.user.id}/role`, { method: 'PUT', token: learner.accessToken, json: { role: 'admin' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
  });
});

describe('rate limits', () => {
  it('locks an account at an address after the configured failures, says when to retry, and lifts after the window', async () => {
    const { body } = await register();
    const email = body.user.email;
    const ip = '203.0.113.78';
    const failures = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      failures.push((await call<Refusal>('/api/auth/login', { ip, json: { email, password: 'wrong password' } })).status);
    }
    expect(failures).toEqual([401, 401, 401]);
    const locked = await call<Refusal>('/api/auth/login', { ip, json: { email, password: PASSWORD } });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(15);
    await new Promise((resolve) => setTimeout(resolve, 15_200));
    expect((await call('/api/auth/login', { ip, json: { email, password: PASSWORD } })).status).toBe(200);
  });

  it('limits sign-in attempts per address, whatever the accounts', async () => {
    const ip = '203.0.113.77';
    const statuses = await sendUntilLimited(10, async () => (await call('/api/auth/login', { ip, json: { email: uniqueEmail('spray'), password: 'guess' } })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.at(-1)).toBe(429);
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const { body } = await register();
    const wrong = await call<Refusal>('/api/auth/login', { json: { email: body.user.email, password: 'not it' } });
    const unknown = await call<Refusal>('/api/auth/login', { json: { email: uniqueEmail('ghost'), password: 'not it' } });
    expect(wrong.status).toBe(unknown.status);
    expect(wrong.body.error.code).toBe(unknown.body.error.code);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
  });
});
