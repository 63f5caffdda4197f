import { createMiddleware } from 'hono/factory';
import { AppError } from '../../lib/errors.ts';
import type { ApiEnv, ApiServices } from '../context.ts';
import { isRevoked } from '../identity/revocations.ts';
import { claimedJurisdiction, verifyAccessToken, type AccessClaims, type Role } from '../identity/tokens.ts';

/** Another jurisdiction's user: refused with that jurisdiction's API base URL, so the SPA can go there. */
export function wrongJurisdiction(jurisdiction: string, urls: Record<string, string>): AppError {
  const apiBaseUrl = urls[jurisdiction];
  return new AppError(
    'wrong_jurisdiction',
    apiBaseUrl
      ? `This account lives in the "${jurisdiction}" jurisdiction: use ${apiBaseUrl}.`
      : `This account lives in the "${jurisdiction}" jurisdiction, which this deployment does not know.`,
    { jurisdiction, apiBaseUrl: apiBaseUrl ?? null },
  );
}

function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
}

/** A token of this jurisdiction, signed with its key, unexpired, whose session has not been revoked. */
async function verifiedUser(token: string, { config, cache, database }: ApiServices): Promise<AccessClaims> {
  const claimed = claimedJurisdiction(token);
  if (claimed && claimed !== config.JURISDICTION) throw wrongJurisdiction(claimed, config.JURISDICTION_URLS);
  const claims = await verifyAccessToken(token, config.JWT_SECRET);
  if (await isRevoked(cache(), () => database().db, claims.sid)) {
    throw new AppError('session_revoked', 'This sign-in has ended (signed out, or the password or role changed): sign in again.');
  }
  return claims;
}

/** A valid access token of a live session of this jurisdiction, or 401 / 421. */
export const requireUser = createMiddleware<ApiEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('authorization'));
  if (!token) throw new AppError('unauthenticated', 'Sign in first: this needs an access token (Authorization: Bearer …).');
  c.set('user', await verifiedUser(token, c.var.services));
  await next();
});

/** Routes open to everyone that say more to a signed-in user; a token that is sent must be valid. */
export const optionalUser = createMiddleware<ApiEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('authorization'));
  c.set('viewer', token ? await verifiedUser(token, c.var.services) : undefined);
  await next();
});

export function requireRole(...roles: Role[]) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    if (!roles.includes(c.var.user.role)) {
      throw new AppError('forbidden', `This needs the ${roles.join(' or ')} role.`);
    }
    await next();
  });
}
