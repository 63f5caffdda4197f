import type { ClickHouseClient } from '@clickhouse/client-web';

/**
 * Rebuilding the daily aggregates from `events`, for days whose aggregates missed a batch (ClickHouse
 * died between committing `events` and the views of the same insert; README, "Analytics").
 *
 * The aggregation is each materialized view's own SELECT, read from `system.tables`, so there is one
 * definition of every aggregate: the migration's. The views in question are those fed by `events`.
 */
export interface DayRange {
  /** ISO dates, both included. */
  from: string;
  to: string;
}

export interface RebuiltDays {
  table: string;
  from: string;
  to: string;
  /** Rows of those days before and after (parts not merged yet count each). */
  rowsBefore: number;
  rowsAfter: number;
}

interface Aggregate {
  view: string;
  table: string;
  select: string;
  columns: string[];
}

const quote = (identifier: string) => `\`${identifier.replace(/[\\`]/g, '\\$&')}\``;

/** The views that `events` feeds, each with the table it writes to, its SELECT and its columns. */
async function aggregatesOfEvents(clickhouse: ClickHouseClient): Promise<Aggregate[]> {
  const views = await rows<{ view: string; select: string; create: string }>(
    clickhouse,
    `SELECT name AS view, as_select AS select, create_table_query AS create
     FROM system.tables
     WHERE database = currentDatabase()
       AND name IN (SELECT arrayJoin(dependencies_table) FROM system.tables WHERE database = currentDatabase() AND name = 'events')
     ORDER BY name`,
  );
  return Promise.all(
    views.map(async ({ view, select, create }) => {
      const target = /^CREATE MATERIALIZED VIEW \S+ TO (?:`?\w+`?\.)?`?(\w+)`?/.exec(create)?.[1];
      if (!target) throw new Error(`${view} is not a materialized view writing TO a table`);
      const columns = await rows<{ name: string }>(
        clickhouse,
        'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {view:String} ORDER BY position',
        { view },
      );
      return { view, table: target, select, columns: columns.map((column) => column.name) };
    }),
  );
}

/** The range cut at month boundaries: one step per partition of the aggregates. */
export function monthsOf({ from, to }: DayRange): DayRange[] {
  const steps: DayRange[] = [];
  for (let start = from; start <= to; ) {
    const first = new Date(`${start}T00:00:00Z`);
    const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
    const end = last < to ? last : to;
    steps.push({ from: start, to: end });
    start = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
  }
  return steps;
}

/**
 * For each aggregate and each month of the range: deletes those days' rows (a mutation, waited for)
 * and inserts them again from `events` through the view's SELECT. Events inserted while a step runs
 * may count twice in that step's days (between its delete and its read of `events`): run it for days
 * that no longer receive events, or with the consumer paused.
 */
export async function rebuildAggregates(
  clickhouse: ClickHouseClient,
  range: DayRange,
  progress: (step: RebuiltDays) => void = () => {},
): Promise<RebuiltDays[]> {
  const done: RebuiltDays[] = [];
  for (const aggregate of await aggregatesOfEvents(clickhouse)) {
    const table = quote(aggregate.table);
    const columns = aggregate.columns.map(quote).join(', ');
    for (const days of monthsOf(range)) {
      const params = { from: days.from, to: days.to };
      const count = async () =>
        (await rows<{ n: number }>(clickhouse, `SELECT count() AS n FROM ${table} WHERE day BETWEEN {from:Date} AND {to:Date}`, params))[0]?.n ?? 0;
      const rowsBefore = await count();
      await clickhouse.command({
        query: `ALTER TABLE ${table} DELETE WHERE day BETWEEN {from:Date} AND {to:Date}`,
        query_params: params,
        clickhouse_settings: { mutations_sync: '2' },
      });
      await clickhouse.command({
        query: `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM (${aggregate.select}) WHERE day BETWEEN {from:Date} AND {to:Date}`,
        query_params: params,
      });
      const step = { table: aggregate.table, ...days, rowsBefore, rowsAfter: await count() };
      progress(step);
      done.push(step);
    }
  }
  return done;
}

async function rows<Row>(clickhouse: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<Row[]> {
  const result = await clickhouse.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return result.json<Row>();
}
