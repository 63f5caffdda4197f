import { decodeJwt, errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60;
const ISSUER = 'knowledgecity-edge';

export const Role = z.enum(['learner', 'instructor', 'admin']);
export type Role = z.infer<typeof Role>;

/** What an access token asserts; `jurisdiction` tells a deployment whose user this is. */
export const AccessClaims = z.object({
  sub: z.uuid(),
  sid: z.uuid(),
  role: Role,
  jurisdiction: z.string().regex(/^[a-z]{2}$/),
});
export type AccessClaims = z.infer<typeof AccessClaims>;

const encoder = new TextEncoder();

export function signAccessToken(claims: AccessClaims, secret: string): Promise<string> {
  const { sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_SECONDS}s`)
    .sign(encoder.encode(secret));
}

/**
 * The jurisdiction a token claims, read before its signature: another jurisdiction signs with its
 * own key, and the answer (421 with that jurisdiction's URL) grants nothing.
 */
export function claimedJurisdiction(token: string): string | undefined {
  try {
    const claim = decodeJwt(token).jurisdiction;
    return typeof claim === 'string' ? claim : undefined;
  } catch {
    return undefined;
  }
}

/** Only HS256 with our key, issuer and an unexpired `exp`: anything else is refused. */
export async function verifyAccessToken(token: string, secret: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['exp', 'sub'] });
    return AccessClaims.parse(payload);
  } catch (error) {
    const expired = error instanceof errors.JWTExpired;
    throw new AppError(
      expired ? 'token_expired' : 'invalid_token',
      expired ? 'The access token has expired: refresh it.' : 'The access token is not valid.',
    );
  }
}

/** An opaque random refresh token; only its SHA-256 is stored. */
export function newRefreshToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export async function hashRefreshToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
