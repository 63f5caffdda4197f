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
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.ceil((p / 100) * latencies.length) - 1] ?? Number.NaN;
  return {
    name,
    requests: latencies.length,
    errors,
    rps: latencies.length / seconds,
    p50: percentile(50),
    p95: percentile(95),
    p99: percentile(99),
    max: latencies.at(-1) ?? Number.NaN,
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

/** Aligned columns: the first (the names) left, the rest (the numbers) right. The first row is the header. */
export function printCells(table: ReadonlyArray<readonly string[]>): void {
  const widths = table[0]!.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  for (const cells of table) {
    console.log(cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
  }
}
