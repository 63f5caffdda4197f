/**
 * `npm run analytics:replay`: inserts one jurisdiction's dead-lettered analytics events (storage,
 * `analytics-dlq/`) back into ClickHouse, deleting each file once all of it is in. It reads the
 * analytics Worker's settings from the environment (JURISDICTION, CLICKHOUSE_*, S3_*) and can run any
 * number of times: events already stored are skipped. Exits 1 while any file has to stay.
 */
import { AnalyticsConfig } from '../workers/analytics/config.ts';
import { replayDeadLetters } from '../workers/analytics/dead-letters.ts';
import { openClickHouse } from '../workers/lib/clickhouse.ts';
import { readConfig } from '../workers/lib/config.ts';
import { openStorage } from '../workers/lib/storage.ts';
import { continueTrace } from '../workers/lib/trace.ts';

let config: AnalyticsConfig;
try {
  config = readConfig(AnalyticsConfig, process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
const clickhouse = openClickHouse(config, continueTrace(null).traceparent);
try {
  const report = await replayDeadLetters(openStorage(config), clickhouse);
  console.log(`${config.JURISDICTION}: ${report.events} dead-lettered events replayed; ${report.replayed.length} files done and deleted`);
  for (const { key, reason } of report.kept) console.log(`kept ${key}: ${reason}`);
  process.exitCode = report.kept.length > 0 ? 1 : 0;
} finally {
  await clickhouse.close();
}
