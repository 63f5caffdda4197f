import { sql } from 'drizzle-orm';
import { index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const role = pgEnum('role', ['learner', 'instructor', 'admin']);
export const language = pgEnum('language', ['en', 'ar']);

/** Accounts of this jurisdiction only: a deployment never writes another jurisdiction's users. */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** As typed at registration, for display. */
    email: text('email').notNull(),
    /** Trimmed, NFC, lower-case: uniqueness is case-insensitive. */
    emailNormalized: text('email_normalized').notNull(),
    displayName: text('display_name').notNull(),
    preferredLanguage: language('preferred_language').notNull().default('en'),
    role: role('role').notNull().default('learner'),
    jurisdiction: text('jurisdiction').notNull(),
    /** Algorithm, iterations and salt are kept with the hash so the cost can be raised later. */
    passwordAlgorithm: text('password_algorithm').notNull(),
    passwordIterations: integer('password_iterations').notNull(),
    passwordSalt: text('password_salt').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_normalized_key').on(t.emailNormalized)],
);

/** A sign-in on one device: the family of refresh tokens that rotate from it. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId).where(sql`${t.revokedAt} is null`)],
);

/** Refresh tokens, stored only as SHA-256 hashes; `rotatedAt` marks one that must never come back. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('refresh_tokens_session_id_idx').on(t.sessionId)],
);
