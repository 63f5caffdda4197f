import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client-web';

const migrationsDir = fileURLToPath(new URL('../db/clickhouse/migrations/', import.meta.url));

export interface ClickHouseTarget {
  url: string;
  username: string;
  password: string;
  database: string;
}

/**
 * Creates the jurisdiction's database and applies `migrations/NNNN_name.sql` in order, once each
 * (recorded in `schema_migrations`). Runs against the embedded engine and a real server alike.
 */
export async function migrateClickHouse(target: ClickHouseTarget): Promise<string[]> {
  const server = createClient({ url: target.url, username: target.username, password: target.password });
  const client = createClient({ ...target });
  try {
    await server.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(target.database)}` });
    await client.command({
      query: 'CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime64(3) DEFAULT now64(3)) ENGINE = MergeTree ORDER BY name',
    });
    const applied = new Set(
      (await (await client.query({ query: 'SELECT name FROM schema_migrations', format: 'JSONEachRow' })).json<{ name: string }>()).map((row) => row.name),
    );
    const pending = (await readdir(migrationsDir)).filter((file) => file.endsWith('.sql') && !applied.has(file)).sort();
    for (const file of pending) {
      const statements = (await readFile(migrationsDir + file, 'utf8')).split(/;\s*$/m).map((s) => s.trim()).filter(Boolean);
      for (const statement of statements) await client.command({ query: statement });
      await client.insert({ table: 'schema_migrations', values: [{ name: file }], format: 'JSONEachRow' });
    }
    return pending;
  } finally {
    await Promise.all([server.close(), client.close()]);
  }
}

/** Database names come from configuration, never from users; still, quote them. */
function quoteIdentifier(name: string): string {
  if (!/^\w+$/.test(name)) throw new Error(`not a ClickHouse database name: ${name}`);
  return `\`${name}\``;
}
