import { Pool, neonConfig } from '@neondatabase/serverless';
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless';
import type { z } from 'zod';
import type { DatabaseSettings } from './config.ts';
import { log } from './log.ts';

export interface Database {
  db: NeonDatabase;
  ping(): Promise<void>;
  /** Workers cannot keep sockets across requests: close the pool when the request is done. */
  close(): Promise<void>;
}

/** Neon's serverless driver; locally it reaches a plain PostgreSQL through the WebSocket proxy. */
export function openDatabase(settings: z.output<typeof DatabaseSettings>): Database {
  const proxy = settings.NEON_WS_PROXY;
  if (proxy) {
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  const pool = new Pool({ connectionString: settings.DATABASE_URL, connectionTimeoutMillis: 5_000 });
  // The server closes sessions once the pool has ended them: only a drop before that is news.
  let ended = false;
  pool.on('error', (error: Error) => ended || log('warn', 'idle database connection dropped', { error: error.message }));
  return {
    db: drizzle({ client: pool }),
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => {
      ended = true;
      return pool.end();
    },
  };
}
