import { fileURLToPath } from 'node:url';
import { Pool, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { migrate } from 'drizzle-orm/neon-serverless/migrator';
import { neonSettingsFor } from './services/postgres.ts';

const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url));

/**
 * Applies the drizzle-kit migrations through the production driver (Neon serverless, here via the
 * local WebSocket proxy). Already applied ones are skipped, so it runs on every start.
 */
export async function migratePostgres(databaseUrl: string, wsProxy: string): Promise<void> {
  Object.assign(neonConfig, neonSettingsFor(wsProxy));
  const pool = new Pool({ connectionString: databaseUrl });
  try {
    await migrate(drizzle({ client: pool }), { migrationsFolder });
  } finally {
    await pool.end();
  }
}
