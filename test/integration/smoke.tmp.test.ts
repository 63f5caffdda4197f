import { expect, it } from 'vitest';
import { call, register } from './client.ts';
it('registers', async () => {
  const r = await register();
  console.log(r.status, JSON.stringify(r.body), r.headers.get('set-cookie'));
  const me = await call('/api/me', { token: r.body.accessToken });
  console.log(me.status, JSON.stringify(me.body));
  expect(me.status).toBe(200);
});
