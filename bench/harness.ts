import { appendFile } from 'node:fs/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client-web';
import { startLocalDeployments } from '../scripts/local-deployments.ts';

const WARM_UP_MS = 1_000;

export interface DeploymentOptions {
  jurisdiction?: string;
  /** Overrides of the Workers' vars, e.g. rate limits raised out of the benchmark's way. */
  vars?: Record<string, string>;
  /** Seed the demo users and courses (bench/web measures the demo's pages). */
  demo?: boolean;
}

export interface Deployment {
  url: string;
  /** What the Workers read: the platform's settings for the jurisdiction plus the overrides. */
  settings: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * One jurisdiction's deployment as `npm run dev` runs it, with fresh temporary state; its output
 * shows with BENCH_VERBOSE=1. Nothing outlives the benchmark, Ctrl-C included.
 */
export async function startDeployment({ jurisdiction = 'us', vars = {}, demo = false }: DeploymentOptions = {}): Promise<Deployment> {
  const deployment = await startLocalDeployments({
    jurisdictions: [jurisdiction],
    namePrefix: `kce_bench_${process.pid}_`,
    demo,
    vars,
    log: process.env.BENCH_VERBOSE ? (line) => console.error(line) : undefined,
  });
  return { url: deployment.urls[jurisdiction]!, settings: deployment.settings[jurisdiction]!, stop: deployment.stop };
}

/** The deployment's ClickHouse for a benchmark's bulk work: long statements, kept alive by progress headers. */
export function benchClickHouse(settings: Record<string, string>): ClickHouseClient {
  return createClient({
    url: settings.CLICKHOUSE_URL,
    username: settings.CLICKHOUSE_USER,
    password: settings.CLICKHOUSE_PASSWORD,
    database: settings.CLICKHOUSE_DATABASE,
    request_timeout: 600_000,
    clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
  });
}

export interface Load {
  concurrency: number;
  durationMs: number;
}

/** Requests are the 2xx answers; latencies (ms) and the rate are theirs. Everything else is an error. */
export interface Measurement {
  name: string;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Status and body (or network error) of the first failed request. */
  firstError?: string;
}

/**
 * `concurrency` clients, each sending the next request once it has read the previous answer, for
 * `durationMs` after an unrecorded warm-up (connections open, the Worker's isolate is hot).
 */
export async function measure(name: string, { concurrency, durationMs }: Load, request: () => Promise<Response>): Promise<Measurement> {
  await runClients(concurrency, WARM_UP_MS, request, () => {});
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await runClients(concurrency, durationMs, request, (latency, failure) => {
    if (failure === undefined) return void latencies.push(latency);
    errors++;
    firstError ??= failure;
  });
  return summarize(name, latencies, { seconds: (performance.now() - started) / 1000, errors, firstError });
}

/** The hello-world route of the api Worker under `load`: the same run's floor for every api request. */
export function measureHelloWorld(url: string, load: Load): Promise<Measurement> {
  return measure('GET /api/health/live (hello world)', load, () => fetch(`${url}/api/health/live`));
}

/** A sample that is one timed run (a transcode, a projection): its percentiles are its time. */
export function oneSample(name: string, milliseconds: number): Measurement {
  return summarize(name, [milliseconds], { seconds: milliseconds / 1000 });
}

/** Each sample must be what its row claims: an answer from the other cache path (x-cache) throws, which counts as an error. */
export const expectCache = (expected: 'hit' | 'miss') => (response: Response) => {
  if (response.headers.get('x-cache') !== expected) throw new Error(`expected a cache ${expected}, got x-cache: ${response.headers.get('x-cache')}`);
  return response;
};

/** A Measurement from samples taken another way than `measure` (one transcode, a few notifications); `seconds` the time they took. */
export function summarize(name: string, latencies: readonly number[], { seconds, errors = 0, firstError }: { seconds: number; errors?: number; firstError?: string }): Measurement {
  const sorted = latencies.toSorted((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1] ?? Number.NaN;
  return {
    name,
    requests: sorted.length,
    errors,
    rps: sorted.length / seconds,
    p50: percentile(50),
    p95: percentile(95),
    p99: percentile(99),
    max: sorted.at(-1) ?? Number.NaN,
    firstError,
  };
}

async function runClients(
  concurrency: number,
  durationMs: number,
  request: () => Promise<Response>,
  record: (latencyMs: number, failure: string | undefined) => void,
): Promise<void> {
  const deadline = performance.now() + durationMs;
  const client = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      const failure = await request().then(
        async (response) => {
          const body = await response.text();
          return response.ok ? undefined : `${response.status} ${body.slice(0, 500)}`;
        },
        (error: unknown) => String(error),
      );
      record(performance.now() - sent, failure);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
}

export function printTable(rows: readonly Measurement[]): void {
  const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(1));
  const table = [
    ['', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
    ...rows.map((row) => [row.name, String(row.requests), row.rps.toFixed(1), ms(row.p50), ms(row.p95), ms(row.p99), ms(row.max), String(row.errors)]),
  ];
  printCells(table);
  for (const row of rows) if (row.firstError) console.log(`first error of ${row.name}: ${row.firstError}`);
}

/** Aligned columns: the first `leftColumns` (the names) left, the rest (the numbers) right. The first row is the header. */
export function printCells(table: ReadonlyArray<readonly string[]>, leftColumns = 1): void {
  const widths = table[0]!.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  for (const cells of table) {
    console.log(cells.map((cell, column) => (column < leftColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
  }
}

/** The flows of the original design, in its order, then its API's "payment processing" and its next service, recommendations: `npm run bench` prints one row or more for each. */
export const FLOWS = ['login', 'browse', 'search', 'upload', 'transcode', 'time to playable', 'watch', 'track analytics', 'view reports', 'notify', 'pay', 'recommend'] as const;
export type Flow = (typeof FLOWS)[number];

/** One row of `npm run bench`'s table: what a flow's samples measured, beside the same run's baseline. */
export interface FlowRow {
  /** The design's budget, or the aim the benchmark states; '—' when there is neither. */
  budget: string;
  measured: Measurement;
  /** The same run's floor: the Worker's hello-world route, a raw storage PUT, the single-process transcode. */
  baseline?: Measurement;
  /**
   * The flow's rate when it is not requests per second (MB/s, events/s, times real time), of the row
   * and of its baseline (its requests per second when absent); null where samples taken one at a
   * time have no rate.
   */
  rate?: { unit: string; measured: number; baseline?: number } | null;
  /** Computed from measurements of its parts, not measured itself. */
  projected?: boolean;
}
export interface FlowResult extends FlowRow {
  flow: Flow;
}

/** With BENCH_RESULTS_FILE set (by `npm run bench`), appends the rows as JSON lines; alone, a benchmark only prints. */
export async function recordResults(flow: Flow, rows: readonly FlowRow[]): Promise<void> {
  const file = process.env.BENCH_RESULTS_FILE;
  if (file) await appendFile(file, rows.map((row) => `${JSON.stringify({ flow, ...row } satisfies FlowResult)}\n`).join(''));
}
