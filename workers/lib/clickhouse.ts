import { createClient, type ClickHouseClient } from '@clickhouse/client-web';
import type { z } from 'zod';
import type { ClickHouseSettings } from './config.ts';

/** ClickHouse over its HTTP interface; values only ever travel as server-side query parameters. */
export function openClickHouse(settings: z.output<typeof ClickHouseSettings>, traceparent: string): ClickHouseClient {
  return createClient({
    url: settings.CLICKHOUSE_URL,
    username: settings.CLICKHOUSE_USER,
    password: settings.CLICKHOUSE_PASSWORD,
    database: settings.CLICKHOUSE_DATABASE,
    request_timeout: 30_000,
    // ClickHouse joins the caller's trace (it reads W3C traceparent on its HTTP interface).
    http_headers: { traceparent },
  });
}
