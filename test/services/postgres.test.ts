import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool, neonConfig } from '@neondatabase/serverless';
import { count, eq, inArray, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNeonProxy } from '../../scripts/services/neon-proxy.ts';
import type { NeonProxy } from '../../scripts/services/neon-proxy.ts';
import { neonSettingsFor, startPostgres } from '../../scripts/services/postgres.ts';
import type { LocalPostgres, PostgresOptions } from '../../scripts/services/postgres.ts';

const lessons = pgTable('lessons', {
  id: serial('id').primaryKey(),
  title: text('title').notNull(),
  position: integer('position').notNull(),
});

const createLessons = sql`CREATE TABLE lessons (id serial PRIMARY KEY, title text NOT NULL, position integer NOT NULL)`;

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const runId = `${process.pid}_${Date.now()}`;

const backends: Array<{ backend: string; options: Omit<PostgresOptions, 'databases'> }> = [
  { backend: 'embedded PGlite', options: {} },
  { backend: `the server at ${serverUrl}`, options: { databaseUrl: serverUrl } },
];

describe.each(backends)('Postgres through the Neon driver: $backend', ({ options }) => {
  const catalog = `kc_test_${runId}_catalog`;
  const analytics = `kc_test_${runId}_analytics`;
  let postgres: LocalPostgres;
  let catalogPool: Pool;
  let analyticsPool: Pool;

  beforeAll(async () => {
    postgres = await startPostgres({ ...options, databases: [catalog, analytics] });
    Object.assign(neonConfig, neonSettingsFor(postgres.wsProxy));
    catalogPool = new Pool({ connectionString: postgres.urls[catalog] });
    analyticsPool = new Pool({ connectionString: postgres.urls[analytics] });
    await drizzle({ client: catalogPool }).execute(createLessons);
    await drizzle({ client: analyticsPool }).execute(createLessons);
  });

  afterAll(async () => {
    await catalogPool?.end();
    await analyticsPool?.end();
    await postgres?.stop();
    if (options.databaseUrl) await dropDatabases(options.databaseUrl, [catalog, analytics]);
  });

  it('inserts and selects rows with drizzle', async () => {
    const db = drizzle({ client: catalogPool });
    const [inserted] = await db.insert(lessons).values({ title: 'Intro to SQL', position: 1 }).returning();
    const found = await db.select().from(lessons).where(eq(lessons.id, inserted!.id));
    expect(found).toEqual([{ id: inserted!.id, title: 'Intro to SQL', position: 1 }]);
  });

  it('rolls back a transaction that throws', async () => {
    const db = drizzle({ client: catalogPool });
    const before = await db.select({ n: count() }).from(lessons);
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(lessons).values({ title: 'Never published', position: 99 });
        throw new Error('publish failed');
      }),
    ).rejects.toThrow('publish failed');
    expect(await db.select({ n: count() }).from(lessons)).toEqual(before);
    expect(await db.select().from(lessons).where(eq(lessons.title, 'Never published'))).toEqual([]);
  });

  it('binds parameters instead of splicing them into the SQL', async () => {
    const hostile = "x'); DROP TABLE lessons; --";
    const { rows } = await catalogPool.query('SELECT $1::text AS title, $2::int + 1 AS next', [hostile, 41]);
    expect(rows).toEqual([{ title: hostile, next: 42 }]);
    const db = drizzle({ client: catalogPool });
    await db.insert(lessons).values({ title: hostile, position: 2 });
    expect(await db.select({ title: lessons.title }).from(lessons).where(eq(lessons.title, hostile))).toEqual([{ title: hostile }]);
  });

  it('answers 20 concurrent queries over several pooled connections', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => catalogPool.query(`SELECT $1::int * ${i} AS product`, [3])),
    );
    expect(answers.map((answer) => answer.rows[0].product)).toEqual(Array.from({ length: 20 }, (_, i) => 3 * i));
    expect(catalogPool.totalCount).toBeGreaterThan(1);
  });

  it('keeps the databases apart', async () => {
    await drizzle({ client: analyticsPool }).insert(lessons).values({ title: 'Only in analytics', position: 1 });
    const inCatalog = await drizzle({ client: catalogPool }).select().from(lessons).where(eq(lessons.title, 'Only in analytics'));
    const inAnalytics = await drizzle({ client: analyticsPool }).select().from(lessons).where(eq(lessons.title, 'Only in analytics'));
    expect(inCatalog).toEqual([]);
    expect(inAnalytics).toHaveLength(1);
  });

  // A drill for `npm run proof`; last here, as it cuts the pools' connections.
  it('is unreachable after a kill, and reachable again at the same address with its data after a restart', async () => {
    const db = drizzle({ client: catalogPool });
    await db.insert(lessons).values({ title: 'Before the outage', position: 7 });
    // As the Workers' pool does: an idle connection dropped is reported, not thrown. The kill drops both databases'.
    const dropped: Error[] = [];
    for (const pool of [catalogPool, analyticsPool]) pool.on('error', (error: Error) => dropped.push(error));

    await postgres.kill();
    await vi.waitFor(() => expect(dropped).not.toEqual([]));
    const started = performance.now();
    await expect(catalogPool.query('SELECT 1')).rejects.toThrow();
    expect(await newConnection(postgres.urls[catalog]!)).toBe('ECONNREFUSED');
    expect(performance.now() - started).toBeLessThan(2_000);

    await postgres.restart();
    await db.insert(lessons).values({ title: 'After the outage', position: 8 });
    const titles = await db.select({ title: lessons.title }).from(lessons).where(inArray(lessons.title, ['Before the outage', 'After the outage'])).orderBy(lessons.position);
    expect(titles).toEqual([{ title: 'Before the outage' }, { title: 'After the outage' }]);
  });
});

describe('embedded Postgres with a data directory', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kc-postgres-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps rows across restarts, creating the folders it needs', async () => {
    expect(await titlesAfterRestart({ dataDir: join(dataDir, 'not', 'yet', 'there'), databases: ['catalog'] }, 'Survives restarts')).toEqual([{ title: 'Survives restarts' }]);
  });
});

describe('stopping', () => {
  it('is safe twice', async () => {
    const postgres = await startPostgres({ databases: ['catalog'] });
    await postgres.stop();
    await expect(postgres.stop()).resolves.toBeUndefined();
  });
});

describe(`the server at ${serverUrl}`, () => {
  const catalog = `kc_test_${runId}_restart`;
  afterAll(() => dropDatabases(serverUrl, [catalog]));

  it('reuses a database that already exists', async () => {
    expect(await titlesAfterRestart({ databaseUrl: serverUrl, databases: [catalog] }, 'Still here')).toEqual([{ title: 'Still here' }]);
  });

  it('drops temporary databases on stop even while a drill keeps it unreachable', async () => {
    const temporary = `kc_test_${runId}_killed`;
    const postgres = await startPostgres({ databaseUrl: serverUrl, databases: [temporary], temporary: true });
    await postgres.kill();
    await postgres.stop();
    const left = await asAdmin(serverUrl, (admin) => admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [temporary]));
    expect(left.rowCount).toBe(0);
  });

  it('says clearly when the server cannot be reached', async () => {
    await expect(startPostgres({ databaseUrl: 'postgres://postgres@127.0.0.1:1/postgres', databases: ['x'] })).rejects.toThrow(
      'cannot reach the Postgres server at 127.0.0.1:1',
    );
  });
});

describe('the Neon proxy', () => {
  let proxy: NeonProxy;
  beforeAll(async () => {
    proxy = await startNeonProxy();
  });
  afterAll(() => proxy?.stop());

  it('refuses to relay to an address off this machine', async () => {
    expect(await handshakeStatus(`ws://${proxy.wsProxy}/v1?address=example.com:5432`)).toBe(403);
    expect(await handshakeStatus(`ws://${proxy.wsProxy}/v1?address=10.0.0.1:5432`)).toBe(403);
  });

  it('refuses browser pages, which always send an Origin', async () => {
    expect(await handshakeStatus(`ws://${proxy.wsProxy}/v1?address=127.0.0.1:5432`, { origin: 'https://example.com' })).toBe(403);
  });
});

/** The HTTP status the proxy answers a WebSocket handshake with; 101 when it accepts. */
function handshakeStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.on('upgrade', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', () => {});
  });
}

/** Writes a lesson, starts the launcher again with the same options and reads the lesson titles back. */
async function titlesAfterRestart(options: PostgresOptions, title: string): Promise<Array<{ title: string }>> {
  const [database] = options.databases;
  const first = await startPostgres(options);
  Object.assign(neonConfig, neonSettingsFor(first.wsProxy));
  const writer = new Pool({ connectionString: first.urls[database!] });
  try {
    await drizzle({ client: writer }).execute(createLessons);
    await drizzle({ client: writer }).insert(lessons).values({ title, position: 1 });
  } finally {
    await writer.end();
    await first.stop();
  }

  const second = await startPostgres(options);
  Object.assign(neonConfig, neonSettingsFor(second.wsProxy));
  const reader = new Pool({ connectionString: second.urls[database!] });
  try {
    return await drizzle({ client: reader }).select({ title: lessons.title }).from(lessons);
  } finally {
    await reader.end();
    await second.stop();
  }
}

/** What a new connection through the proxy the global Neon settings name meets: 'connected', or the error's code. */
function newConnection(url: string): Promise<string> {
  const client = new Client(url);
  return client.connect().then(
    async () => {
      await client.end();
      return 'connected';
    },
    // The driver rejects with the WebSocket's ErrorEvent, which carries the socket's error.
    (failure: { error?: NodeJS.ErrnoException }) => failure.error?.code ?? String(failure),
  );
}

async function dropDatabases(serverUrl: string, names: string[]): Promise<void> {
  await asAdmin(serverUrl, async (admin) => {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  });
}

/** Runs `work` on a connection to the server through a proxy of its own, apart from the launcher's under test. */
async function asAdmin<T>(serverUrl: string, work: (admin: Client) => Promise<T>): Promise<T> {
  const proxy = await startNeonProxy();
  const admin = new Client(serverUrl);
  Object.assign(admin.neonConfig, neonSettingsFor(proxy.wsProxy));
  try {
    await admin.connect();
    return await work(admin);
  } finally {
    await admin.end();
    await proxy.stop();
  }
}
