import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Client } from '@neondatabase/serverless';
import type { NeonConfig } from '@neondatabase/serverless';
import WebSocket from 'ws';
import { startNeonProxy } from './neon-proxy.ts';
import { servePGlite } from './pglite-server.ts';

export interface LocalPostgres {
  /** Host and port of the local Neon WebSocket proxy, for `neonConfig.wsProxy`. */
  wsProxy: string;
  /** A connection string per requested database. */
  urls: Record<string, string>;
  stop(): Promise<void>;
  /**
   * Outage drill: the Workers reach every database through the proxy, so closing it (and dropping its
   * sessions) takes the databases away from them; PGlite or the server keeps running, with its data.
   */
  kill(): Promise<void>;
  /** Opens the proxy again on the same address. */
  restart(): Promise<void>;
}

export interface PostgresOptions {
  /** A Postgres server on this machine to create the databases on; without it each database is an embedded PGlite. */
  databaseUrl?: string;
  /** Where embedded databases persist, one folder per database; in memory when absent. */
  dataDir?: string;
  databases: string[];
  /** Drop the databases again on stop (tests on a shared server leave nothing behind). */
  temporary?: boolean;
}

/**
 * The `@neondatabase/serverless` settings that send its connections through a local proxy in plain
 * `ws:` without Neon's TLS and pipelining shortcuts, which only Neon's own proxy understands.
 * workerd has a global WebSocket; Node gets the one from `ws`.
 */
export function neonSettingsFor(wsProxy: string): Partial<NeonConfig> {
  return {
    webSocketConstructor: WebSocket,
    wsProxy: (host, port) => `${wsProxy}/v1?address=${host}:${port}`,
    useSecureWebSocket: false,
    pipelineTLS: false,
    pipelineConnect: false,
  };
}

export async function startPostgres(options: PostgresOptions): Promise<LocalPostgres> {
  const proxy = await startNeonProxy();
  const stops: Array<() => Promise<void>> = [proxy.stop];
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= runInOrder(stops));
  try {
    const { databaseUrl } = options;
    const urls = databaseUrl
      ? await createDatabases(databaseUrl, options.databases, proxy.wsProxy)
      : await serveEmbedded(options.databases, options.dataDir, stops);
    if (databaseUrl && options.temporary) {
      stops.unshift(async () => {
        // The drop goes through the proxy, which a drill may have left closed.
        await proxy.restart();
        await dropDatabases(databaseUrl, options.databases, proxy.wsProxy);
      });
    }
    return { wsProxy: proxy.wsProxy, urls, stop, kill: proxy.kill, restart: proxy.restart };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function runInOrder(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops) await stop();
}

async function connectToServer(databaseUrl: string, wsProxy: string): Promise<Client> {
  const client = new Client(databaseUrl);
  Object.assign(client.neonConfig, neonSettingsFor(wsProxy));
  await client.connect().catch((cause: unknown) => {
    const { host } = new URL(databaseUrl);
    throw new Error(`cannot reach the Postgres server at ${host} through the local Neon proxy; is it running, on this machine (127.0.0.1, localhost or ::1)?`, { cause });
  });
  return client;
}

async function dropDatabases(databaseUrl: string, databases: string[], wsProxy: string): Promise<void> {
  const client = await connectToServer(databaseUrl, wsProxy);
  try {
    for (const name of databases) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function createDatabases(databaseUrl: string, databases: string[], wsProxy: string): Promise<Record<string, string>> {
  const client = await connectToServer(databaseUrl, wsProxy);
  try {
    for (const name of databases) {
      const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
  return Object.fromEntries(databases.map((name) => [name, withDatabase(databaseUrl, name)]));
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/**
 * One PGlite per database, each on its own port: a PGlite instance is a single database, and it
 * accepts any user and database name in the startup message, so the URLs say what the client
 * actually gets (user postgres, database postgres).
 */
async function serveEmbedded(databases: string[], dataDir: string | undefined, stops: Array<() => Promise<void>>): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const name of databases) {
    const directory = dataDir ? join(dataDir, name) : undefined;
    if (directory) await mkdir(directory, { recursive: true });
    const db = await PGlite.create(directory);
    const server = await servePGlite(db, { host: '127.0.0.1', port: 0 }).catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    stops.push(async () => {
      await server.stop();
      await db.close();
    });
    urls[name] = `postgres://postgres@${server.address}/postgres`;
  }
  return urls;
}
