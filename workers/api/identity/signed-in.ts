import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { ApiEnv } from '../context.ts';
import { profileOf, type IssuedSession, type User } from './accounts.ts';
import type { SignedIn } from './schemas.ts';
import { ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_SECONDS, signAccessToken } from './tokens.ts';

export const REFRESH_COOKIE = 'kce_refresh';

/** The access token in the body; the refresh token only in an httpOnly cookie scoped to /api/auth. */
export async function signedIn(c: Context<ApiEnv>, user: User, session: IssuedSession): Promise<SignedIn> {
  const { config } = c.var.services;
  setCookie(c, REFRESH_COOKIE, session.refreshToken, {
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    path: '/api/auth',
    maxAge: REFRESH_TOKEN_SECONDS,
  });
  const accessToken = await signAccessToken(
    { sub: user.id, sid: session.sessionId, role: user.role, jurisdiction: user.jurisdiction },
    config.JWT_SECRET,
  );
  return { user: profileOf(user), accessToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_SECONDS };
}
