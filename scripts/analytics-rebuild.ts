/**
 * `npm run analytics:rebuild -- --from 2026-11-01 --to 2026-11-30`: recomputes one jurisdiction's
 * daily aggregates for those days (both included) from its `events`, for days whose aggregates missed
 * a batch when ClickHouse died in the middle of an insert (README, "Analytics"). It reads the analytics
 * Worker's settings from the environment (JURISDICTION, CLICKHOUSE_*), as `analytics:replay` does,
 * and can run any number of times. Run it for days no longer receiving events, or with the consumer
 * paused: an event inserted while a table is rebuilt may count twice there.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { rebuildAggregates } from '../workers/analytics/aggregates.ts';
import { openClickHouse } from '../workers/lib/clickhouse.ts';
import { ClickHouseSettings, JurisdictionIdSetting, readConfig } from '../workers/lib/config.ts';
import { continueTrace } from '../workers/lib/trace.ts';

const USAGE = 'usage: npm run analytics:rebuild -- --from YYYY-MM-DD --to YYYY-MM-DD';

const Days = z
  .object({
    from: z.iso.date({ error: '--from must be an ISO date (YYYY-MM-DD)' }),
    to: z.iso.date({ error: '--to must be an ISO date (YYYY-MM-DD)' }),
  })
  .refine((days) => days.from <= days.to, { error: '--from must not come after --to', when: (payload) => payload.issues.length === 0 });

const RebuildConfig = z.object({ ...JurisdictionIdSetting.shape, ...ClickHouseSettings.shape });

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let days: z.output<typeof Days>;
let config: z.output<typeof RebuildConfig>;
try {
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
  const parsed = Days.safeParse(values);
  if (!parsed.success) fail(parsed.error.issues.map((issue) => issue.message).join('\n'));
  days = parsed.data;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
try {
  config = readConfig(RebuildConfig, process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

const clickhouse = openClickHouse(config, continueTrace(null).traceparent);
try {
  console.log(`${config.JURISDICTION}: rebuilding the daily aggregates of ${days.from} to ${days.to} from events`);
  const steps = await rebuildAggregates(clickhouse, days, (step) =>
    console.log(`  ${step.table} ${step.from}..${step.to}: ${step.rowsBefore} rows before, ${step.rowsAfter} after`),
  );
  const tables = new Set(steps.map((step) => step.table));
  console.log(`${config.JURISDICTION}: ${tables.size} aggregates rebuilt (${[...tables].join(', ')})`);
} finally {
  await clickhouse.close();
}
