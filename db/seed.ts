import { neonConfig, Pool } from '@neondatabase/serverless';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { neonSettingsFor } from '../scripts/services/postgres.ts';
import { createAccount } from '../workers/api/identity/accounts.ts';
import { directoryKey, normalizeEmail } from '../workers/api/identity/directory.ts';
import { users } from './schema.ts';

/** Local-only demo accounts: the password is public and the domain cannot receive mail. */
export const DEMO_PASSWORD = 'demo-password';
const DEMO_ROLES = ['admin', 'instructor', 'learner'] as const;

export function demoUsers(jurisdiction: string) {
  return DEMO_ROLES.map((role) => ({
    role,
    email: `${role}@${jurisdiction}.demo.test`,
    displayName: `Demo ${role[0]?.toUpperCase()}${role.slice(1)} (${jurisdiction.toUpperCase()})`,
    preferredLanguage: jurisdiction === 'sa' ? ('ar' as const) : ('en' as const),
  }));
}

/** Creates what is missing of the demo, through the same code the API uses; a second run changes nothing. */
export async function seedDemo(databaseUrl: string, wsProxy: string, jurisdiction: string): Promise<void> {
  Object.assign(neonConfig, neonSettingsFor(wsProxy));
  const pool = new Pool({ connectionString: databaseUrl });
  const db = drizzle({ client: pool });
  try {
    for (const demo of demoUsers(jurisdiction)) {
      const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.emailNormalized, normalizeEmail(demo.email)));
      if (!existing) await createAccount(db, { ...demo, password: DEMO_PASSWORD, jurisdiction });
    }
  } finally {
    await pool.end();
  }
}

/** The directory entries of the demo accounts, for `wrangler kv bulk put`. */
export async function demoDirectoryEntries(jurisdictions: readonly string[], platformKey: string) {
  const entries = [];
  for (const jurisdiction of jurisdictions) {
    for (const demo of demoUsers(jurisdiction)) entries.push({ key: await directoryKey(demo.email, platformKey), value: jurisdiction });
  }
  return entries;
}
