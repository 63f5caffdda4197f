import type { Redis } from '@upstash/redis/cloudflare';
import { and, eq, isNull } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { refreshTokens, sessions, users } from '../../../db/schema.ts';
import { AppError, accountGone, notFound, unavailable } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import { DECOY_HASH, hashPassword, verifyPassword } from '../../lib/password.ts';
import type { z } from 'zod';
import { normalizeEmail } from './directory.ts';
import type { Profile as ProfileSchema } from './schemas.ts';
import { publishRevocations } from './revocations.ts';
import { hashRefreshToken, newRefreshToken, REFRESH_TOKEN_SECONDS, type Role } from './tokens.ts';

export type User = typeof users.$inferSelect;

export type Profile = z.infer<typeof ProfileSchema>;

export function profileOf(user: User): Profile {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    preferredLanguage: user.preferredLanguage,
    role: user.role,
    jurisdiction: user.jurisdiction,
    createdAt: user.createdAt.toISOString(),
  };
}

export interface NewAccount {
  email: string;
  password: string;
  displayName: string;
  preferredLanguage: 'en' | 'ar';
  jurisdiction: string;
  role?: Role;
}

const UNIQUE_VIOLATION = '23505';

export async function createAccount(db: NeonDatabase, account: NewAccount): Promise<User> {
  const password = await hashPassword(account.password);
  try {
    const [user] = await db
      .insert(users)
      .values({
        email: account.email.trim(),
        emailNormalized: normalizeEmail(account.email),
        displayName: account.displayName,
        preferredLanguage: account.preferredLanguage,
        role: account.role ?? 'learner',
        jurisdiction: account.jurisdiction,
        passwordAlgorithm: password.algorithm,
        passwordIterations: password.iterations,
        passwordSalt: password.salt,
        passwordHash: password.hash,
      })
      .returning();
    if (!user) throw new Error('insert returned no row');
    return user;
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code === UNIQUE_VIOLATION || (error as { code?: string }).code === UNIQUE_VIOLATION) {
      throw new AppError('email_taken', 'An account with this email already exists. Sign in instead.');
    }
    throw error;
  }
}

function storedHash(user: User) {
  return { algorithm: user.passwordAlgorithm, iterations: user.passwordIterations, salt: user.passwordSalt, hash: user.passwordHash };
}

/** The same answer, and about the same time, whether the email is unknown or the password wrong. */
export async function authenticate(db: NeonDatabase, email: string, password: string): Promise<User | undefined> {
  const user = await findUserByEmail(db, email);
  const matches = await verifyPassword(password, user ? storedHash(user) : DECOY_HASH);
  return user && matches ? user : undefined;
}

export async function findUserByEmail(db: NeonDatabase, email: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.emailNormalized, normalizeEmail(email))).limit(1);
  return user;
}

export async function findUser(db: NeonDatabase, id: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return user;
}

export interface IssuedSession {
  sessionId: string;
  refreshToken: string;
}

async function issueRefreshToken(db: Pick<NeonDatabase, 'insert'>, sessionId: string): Promise<string> {
  const refreshToken = newRefreshToken();
  await db.insert(refreshTokens).values({
    tokenHash: await hashRefreshToken(refreshToken),
    sessionId,
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_SECONDS * 1000),
  });
  return refreshToken;
}

export async function startSession(db: NeonDatabase, userId: string, userAgent: string | undefined): Promise<IssuedSession> {
  return db.transaction(async (tx) => {
    const [session] = await tx.insert(sessions).values({ userId, userAgent: userAgent?.slice(0, 512) }).returning({ id: sessions.id });
    if (!session) throw new Error('insert returned no row');
    return { sessionId: session.id, refreshToken: await issueRefreshToken(tx, session.id) };
  });
}

const invalidRefresh = () => new AppError('invalid_refresh_token', 'The session has ended or is not valid: sign in again.');

/**
 * Rotates a refresh token: the presented one is spent and a new one issued in the same session.
 * A token that was already spent means it was stolen or replayed: the whole session is revoked.
 */
export async function rotateSession(db: NeonDatabase, cache: Redis, refreshToken: string): Promise<IssuedSession & { user: User }> {
  const tokenHash = await hashRefreshToken(refreshToken);
  const [found] = await db
    .select({ token: refreshTokens, session: sessions, user: users })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .limit(1);
  if (!found || found.session.revokedAt || found.token.expiresAt.getTime() < Date.now()) throw invalidRefresh();
  const sessionId = found.session.id;
  const rotated = await db.transaction(async (tx) => {
    const [spent] = await tx
      .update(refreshTokens)
      .set({ rotatedAt: new Date() })
      .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.rotatedAt)))
      .returning({ tokenHash: refreshTokens.tokenHash });
    return spent ? issueRefreshToken(tx, sessionId) : undefined;
  });
  if (!rotated) {
    await revokeSession(db, cache, sessionId, 'refresh_token_reused');
    log('warn', 'refresh token reused: session revoked', { sessionId, userId: found.user.id });
    throw new AppError('refresh_token_reused', 'This sign-in was used from somewhere else, so it has been ended everywhere. Sign in again.');
  }
  return { sessionId, refreshToken: rotated, user: found.user };
}

/** Revokes in PostgreSQL and in Redis together, or not at all (see `publishRevocations`). */
export async function revokeSession(db: NeonDatabase, cache: Redis, sessionId: string, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    const revoked = await tx
      .update(sessions)
      .set({ revokedAt: new Date(), revokedReason: reason })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    await publishRevocations(cache, revoked.map((session) => session.id));
  });
}

export async function revokeSessionByToken(db: NeonDatabase, cache: Redis, refreshToken: string): Promise<void> {
  const [token] = await db
    .select({ sessionId: refreshTokens.sessionId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, await hashRefreshToken(refreshToken)))
    .limit(1);
  if (token) await revokeSession(db, cache, token.sessionId, 'logout');
}

/**
 * Ends every live session of the user; returns their ids. Run it inside the transaction of the
 * change that calls for it: a Redis that cannot take the revocations rolls the change back.
 */
export async function revokeAllSessions(db: Pick<NeonDatabase, 'update'>, cache: Redis, userId: string, reason: string): Promise<string[]> {
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  const sessionIds = revoked.map((session) => session.id);
  await publishRevocations(cache, sessionIds);
  return sessionIds;
}

export function passwordMatches(user: User, password: string): Promise<boolean> {
  return verifyPassword(password, storedHash(user));
}

/** Sets a new password and ends every session; the caller has checked the current password. */
export async function changePassword(db: NeonDatabase, cache: Redis, user: User, newPassword: string): Promise<void> {
  const password = await hashPassword(newPassword);
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordAlgorithm: password.algorithm, passwordIterations: password.iterations, passwordSalt: password.salt, passwordHash: password.hash, updatedAt: new Date() })
      .where(eq(users.id, user.id));
    await revokeAllSessions(tx, cache, user.id, 'password_changed');
  });
}

export async function updateProfile(db: NeonDatabase, userId: string, changes: { displayName?: string; preferredLanguage?: 'en' | 'ar' }): Promise<User> {
  const [user] = await db.update(users).set({ ...changes, updatedAt: new Date() }).where(eq(users.id, userId)).returning();
  if (!user) throw accountGone();
  return user;
}

/** A role change revokes the user's sessions at once, so no token keeps the old role. */
export async function setRole(db: NeonDatabase, cache: Redis, userId: string, role: Role): Promise<User> {
  return db.transaction(async (tx) => {
    const [user] = await tx.update(users).set({ role, updatedAt: new Date() }).where(eq(users.id, userId)).returning();
    if (!user) throw notFound('such user in this jurisdiction');
    await revokeAllSessions(tx, cache, userId, 'role_changed');
    return user;
  });
}

/** The profile is cached in Redis for 10 minutes and dropped on every change to the user. */
const PROFILE_TTL_SECONDS = 600;
export const profileKey = (userId: string) => `profile:v1:${userId}`;

export async function cachedProfile(db: NeonDatabase, cache: Redis, userId: string): Promise<Profile> {
  const hit = await cache.get<Profile>(profileKey(userId)).catch((error: unknown) => {
    log('warn', 'profile cache unavailable; reading the database', { error: String(error) });
    return null;
  });
  if (hit) return hit;
  const user = await findUser(db, userId);
  if (!user) throw accountGone();
  const profile = profileOf(user);
  await cache.set(profileKey(userId), profile, { ex: PROFILE_TTL_SECONDS }).catch(() => undefined);
  return profile;
}

/**
 * Runs a change to a user with the cached profile dropped before and after it: if the cache cannot
 * be reached the change is refused (nothing written) rather than leaving a stale profile for 10
 * minutes; the second drop covers a read that re-cached the old profile while the write ran.
 */
export async function changingProfile<T>(cache: Redis, userId: string, write: () => Promise<T>): Promise<T> {
  await cache.del(profileKey(userId)).catch((error: unknown) => {
    throw unavailable('cache_unavailable', 'Your profile', error);
  });
  const result = await write();
  await cache.del(profileKey(userId)).catch((error: unknown) => log('error', 'profile cache not cleared after a change', { userId, error: String(error) }));
  return result;
}
