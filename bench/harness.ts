import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OFFLINE_WRANGLER, wranglerDevArgs } from '../scripts/bundle-workers.ts';
import { startPlatform } from '../scripts/platform.ts';
import { freePort } from '../scripts/services/ports.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const HEALTH_TIMEOUT_MS = 150_000;
const WARM_UP_MS = 1_000;

export interface DeploymentOptions {
  jurisdiction?: string;
  /** Overrides of the Workers' vars, e.g. rate limits raised out of the benchmark's way. */
  vars?: Record<string, string>;
}

export interface Deployment {
  url: string;
  /** What the Workers read: the platform's settings for the jurisdiction plus the overrides. */
  settings: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * One jurisdiction's deployment as `npm run dev` runs it: fresh backing services (PGlite unless
 * DATABASE_URL, chdb unless CLICKHOUSE_URL) and one `wrangler dev` with all three Workers; its
 * output shows with BENCH_VERBOSE=1. Nothing outlives the benchmark, Ctrl-C included.
 */
export async function startDeployment({ jurisdiction = 'us', vars = {} }: DeploymentOptions = {}): Promise<Deployment> {
  const cleanups: Array<() => Promise<void>> = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
    })());
  // 130 is what a shell reports for Ctrl-C; a second Ctrl-C kills at once (the handler is gone).
  const interrupt = () => void stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const port = await freePort();
    const url = `http://localhost:${port}`;
    const persistTo = await mkdtemp(join(tmpdir(), 'kce-bench-wrangler-'));
    cleanups.push(() => rm(persistTo, { recursive: true, force: true }));
    const platform = await startPlatform({
      jurisdictions: [jurisdiction],
      baseUrls: { [jurisdiction]: url },
      databaseUrl: process.env.DATABASE_URL,
      clickhouseUrl: process.env.CLICKHOUSE_URL,
      namePrefix: `kce_bench_${process.pid}_`,
      temporary: true,
    });
    cleanups.push(platform.stop);
    const settings = { ...platform.settings[jurisdiction], ...vars };
    const args = wranglerDevArgs({ env: jurisdiction, port, inspectorPort: await freePort(), persistTo });
    // As in scripts/dev.ts: wrangler reads the declared secrets and var overrides from the environment.
    const wrangler = spawn('wrangler', args, { cwd: root, env: { ...process.env, ...OFFLINE_WRANGLER, ...settings }, stdio: ['ignore', 'pipe', 'pipe'] });
    const killWrangler = () => wrangler.kill('SIGTERM');
    process.once('exit', killWrangler);
    cleanups.push(async () => {
      process.off('exit', killWrangler);
      await stopChild(wrangler);
    });
    await waitForHealth(url, wrangler, recentOutput(wrangler));
    return { url, settings, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const exit = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exit;
}

/** The last lines the child printed, to explain a failed start; all of it with BENCH_VERBOSE=1. */
function recentOutput(child: ChildProcess): () => string {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(text);
      lines.push(...text.split('\n').filter((line) => line.trim()));
      lines.splice(0, lines.length - 20);
    });
  }
  return () => lines.join('\n');
}

/** Waits while the server is not up or answers 503 (a dependency still starting); any other answer is final. */
async function waitForHealth(url: string, wrangler: ChildProcess, output: () => string): Promise<void> {
  const deadline = performance.now() + HEALTH_TIMEOUT_MS;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (exited(wrangler)) throw new Error(`wrangler dev exited (${wrangler.exitCode ?? wrangler.signalCode}) while starting:\n${output()}`);
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) }).catch((error: unknown) => String(error));
    if (typeof response !== 'string') {
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
      if (response.status !== 503) throw new Error(`${url}/api/health answered ${last}\n${output()}`);
    } else last = response;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url}/api/health did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last}):\n${output()}`);
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
  const widths = table[0]!.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  for (const cells of table) {
    console.log(cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
  }
  for (const row of rows) if (row.firstError) console.log(`first error of ${row.name}: ${row.firstError}`);
}
