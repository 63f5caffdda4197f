import { createMiddleware } from 'hono/factory';
import { AppError } from '../../lib/errors.ts';
import type { ApiEnv } from '../context.ts';
import { claimedJurisdiction, verifyAccessToken, type Role } from '../identity/tokens.ts';

/** Another jurisdiction's user: refused with that jurisdiction's API base URL, so the SPA can go there. */
export function wrongJurisdiction(jurisdiction: string, urls: Record<string, string>): AppError {
  const apiBaseUrl = urls[jurisdiction];
  return new AppError(
    'wrong_jurisdiction',
    421,
    apiBaseUrl
      ? `This account lives in the "${jurisdiction}" jurisdiction: use ${apiBaseUrl}.`
      : `This account lives in the "${jurisdiction}" jurisdiction, which this deployment does not know.`,
    { jurisdiction, apiBaseUrl: apiBaseUrl ?? null },
  );
}

/** A valid access token of this jurisdiction, or 401 / 421. */
export const requireUser = createMiddleware<ApiEnv>(async (c, next) => {
  const { config } = c.var.services;
  const token = /^Bearer (\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (!token) throw new AppError('unauthenticated', 401, 'Sign in first: this needs an access token (Authorization: Bearer …).');
  const claimed = claimedJurisdiction(token);
  if (claimed && claimed !== config.JURISDICTION) throw wrongJurisdiction(claimed, config.JURISDICTION_URLS);
  c.set('user', await verifyAccessToken(token, config.JWT_SECRET));
  await next();
});

export function requireRole(...roles: Role[]) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    if (!roles.includes(c.var.user.role)) {
      throw new AppError('forbidden', 403, `This needs the ${roles.join(' or ')} role.`);
    }
    await next();
  });
}
