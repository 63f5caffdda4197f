import { env } from 'cloudflare:workers';
import { count, eq } from 'drizzle-orm';
import { inject } from 'vitest';
import type { JurisdictionId } from '../../contracts/jurisdictions.ts';
import { users } from '../../db/schema.ts';
import { openCache } from '../../workers/lib/cache.ts';
import { CacheSettings, DatabaseSettings, readConfig } from '../../workers/lib/config.ts';
import { openDatabase } from '../../workers/lib/db.ts';

/** Direct access to a jurisdiction's real database and cache, through the production clients. */
export function backing(jurisdiction: JurisdictionId = 'us') {
  const settings = jurisdiction === 'us' ? env : inject('settings')[jurisdiction];
  return {
    database: () => openDatabase(readConfig(DatabaseSettings, { ...settings })),
    cache: () => openCache(readConfig(CacheSettings, { ...settings })),
  };
}

export async function withDatabase<T>(jurisdiction: JurisdictionId, use: (db: ReturnType<typeof openDatabase>['db']) => Promise<T>): Promise<T> {
  const database = backing(jurisdiction).database();
  try {
    return await use(database.db);
  } finally {
    await database.close();
  }
}

export function countUsers(jurisdiction: JurisdictionId = 'us'): Promise<number> {
  return withDatabase(jurisdiction, async (db) => (await db.select({ n: count() }).from(users))[0]?.n ?? 0);
}

export function findUserByEmail(jurisdiction: JurisdictionId, email: string) {
  return withDatabase(jurisdiction, async (db) => (await db.select().from(users).where(eq(users.emailNormalized, email.toLowerCase())))[0]);
}

export function makeRole(userId: string, role: 'learner' | 'instructor' | 'admin', jurisdiction: JurisdictionId = 'us') {
  return withDatabase(jurisdiction, (db) => db.update(users).set({ role }).where(eq(users.id, userId)));
}
