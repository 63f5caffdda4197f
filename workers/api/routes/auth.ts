import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import { AppError } from '../../lib/errors.ts';
import type { ApiEnv } from '../context.ts';
import { authenticate, createAccount, revokeSessionByToken, rotateSession, startSession } from '../identity/accounts.ts';
import { normalizeEmail } from '../identity/directory.ts';
import { checkBudget, clientAddress, countAttempt, countFailure } from '../identity/rate-limits.ts';
import { AccountHome, Credentials, Locate, Registration, SignedIn } from '../identity/schemas.ts';
import { REFRESH_COOKIE, signedIn } from '../identity/signed-in.ts';
import { wrongJurisdiction } from '../middleware/auth.ts';
import { documented } from '../openapi.ts';
import { limitBody, valid } from '../validation.ts';

/** Every directory look-up an anonymous caller can cause is counted: each one can tell where an email lives. */
function countLookup(c: Context<ApiEnv>): Promise<void> {
  return countAttempt(c.var.services.authLimits().directoryPerIp, clientAddress(c.req), 'account look-ups from this address', (p) => c.executionCtx.waitUntil(p));
}

function refreshCookie(c: Context<ApiEnv>): string {
  const token = getCookie(c, REFRESH_COOKIE);
  if (!token) throw new AppError('invalid_refresh_token', 'There is no session to refresh: sign in.');
  return token;
}

export const auth = new Hono<ApiEnv>()
  .use(limitBody(8 * 1024))
  .post(
    '/register',
    documented({
      summary: 'Create an account in this jurisdiction and sign it in',
      description:
        'Sets the refresh token as the `kce_refresh` cookie (httpOnly, Secure, SameSite=Strict, path /api/auth). An email whose account lives in another jurisdiction is refused with `email_taken`, naming that `jurisdiction` and its `apiBaseUrl`; a `jurisdiction` other than this deployment’s with `wrong_jurisdiction`, likewise.',
      tags: ['auth'],
      access: 'public',
      answers: { 201: SignedIn },
      refuses: ['invalid_request', 'payload_too_large', 'wrong_jurisdiction', 'rate_limited', 'email_taken'],
    }),
    valid('json', Registration),
    async (c) => {
      const input = c.req.valid('json');
      const { config, database, directory, authLimits } = c.var.services;
      if (input.jurisdiction !== config.JURISDICTION) throw wrongJurisdiction(input.jurisdiction, config.JURISDICTION_URLS);
      await countAttempt(authLimits().registerPerIp, clientAddress(c.req), 'sign-ups from this address', (p) => c.executionCtx.waitUntil(p));
      await countLookup(c);
      const home = await directory().homeOf(input.email);
      if (home && home !== config.JURISDICTION) {
        throw new AppError('email_taken', `This email already has an account in the "${home}" jurisdiction. Sign in there.`, {
          jurisdiction: home,
          apiBaseUrl: config.JURISDICTION_URLS[home] ?? null,
        });
      }
      const { db } = database();
      const user = await createAccount(db, { ...input, jurisdiction: config.JURISDICTION });
      await directory().record(input.email, config.JURISDICTION);
      const session = await startSession(db, user.id, c.req.header('user-agent'));
      return c.json(await signedIn(c, user, session), 201);
    },
  )
  .post(
    '/login',
    documented({
      summary: 'Sign in with email and password',
      description:
        'Sets the refresh token as the `kce_refresh` cookie (httpOnly, Secure, SameSite=Strict, path /api/auth). Sign-ins are limited per address, and failed ones per account and address (`rate_limited`, with `retryAfter` and a `Retry-After` header).',
      tags: ['auth'],
      access: 'public',
      answers: { 200: SignedIn },
      refuses: ['invalid_request', 'payload_too_large', 'rate_limited', 'invalid_credentials'],
    }),
    valid('json', Credentials),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const { config, database, directory, authLimits } = c.var.services;
      const limits = authLimits();
      const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
      await countAttempt(limits.loginPerIp, clientAddress(c.req), 'sign-in attempts from this address', waitUntil);
      const accountAtAddress = `${normalizeEmail(email)}|${clientAddress(c.req)}`;
      const what = 'failed sign-ins for this account from this address';
      await checkBudget(limits.loginFailuresPerAccountAndIp, accountAtAddress, what);
      const { db } = database();
      const user = await authenticate(db, email, password);
      if (!user) {
        await countFailure(limits.loginFailuresPerAccountAndIp, accountAtAddress, what, waitUntil);
        throw new AppError('invalid_credentials', 'The email or password is incorrect.');
      }
      // Heal the directory if an earlier write was lost.
      if ((await directory().homeOf(email)) !== config.JURISDICTION) await directory().record(email, config.JURISDICTION);
      return c.json(await signedIn(c, user, await startSession(db, user.id, c.req.header('user-agent'))));
    },
  )
  .post(
    '/refresh',
    documented({
      summary: 'A new access token for the session of the refresh cookie',
      description:
        'Takes the `kce_refresh` cookie, spends it and sets a new one. A refresh token used twice ends its session everywhere (`refresh_token_reused`); on every 401 the cookie is cleared.',
      tags: ['auth'],
      access: 'public',
      answers: { 200: SignedIn },
      refuses: ['payload_too_large', 'invalid_refresh_token', 'refresh_token_reused', 'revocation_unavailable'],
    }),
    async (c) => {
      const token = refreshCookie(c);
      try {
        const { database, cache } = c.var.services;
        const rotated = await rotateSession(database().db, cache(), token);
        return c.json(await signedIn(c, rotated.user, rotated));
      } catch (error) {
        if (error instanceof AppError && error.status === 401) deleteCookie(c, REFRESH_COOKIE, { path: '/api/auth', secure: true });
        throw error;
      }
    },
  )
  .post(
    '/logout',
    documented({
      summary: 'End the session of the refresh cookie, and clear the cookie',
      description: 'Answers 204 whether or not a `kce_refresh` cookie was sent, or its session still lived.',
      tags: ['auth'],
      access: 'public',
      answers: { 204: null },
      refuses: ['payload_too_large', 'revocation_unavailable'],
    }),
    async (c) => {
      const token = getCookie(c, REFRESH_COOKIE);
      const { database, cache } = c.var.services;
      if (token) await revokeSessionByToken(database().db, cache(), token);
      deleteCookie(c, REFRESH_COOKIE, { path: '/api/auth', secure: true });
      return c.body(null, 204);
    },
  )
  .post(
    '/locate',
    documented({
      summary: 'The jurisdiction where an email’s account lives (this one for an unknown email)',
      tags: ['auth'],
      access: 'public',
      answers: { 200: AccountHome },
      refuses: ['invalid_request', 'payload_too_large', 'rate_limited'],
    }),
    valid('json', Locate),
    async (c) => {
      const { config, directory } = c.var.services;
      await countLookup(c);
      // Unknown emails get this deployment; the answer still tells a `us` account from no account at
      // `sa`, which is why look-ups are counted so tightly (README, "Identity").
      const jurisdiction = (await directory().homeOf(c.req.valid('json').email)) ?? config.JURISDICTION;
      return c.json({ jurisdiction, apiBaseUrl: config.JURISDICTION_URLS[jurisdiction] ?? null });
    },
  );
