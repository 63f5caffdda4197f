import { execFileSync, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, hostname, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLOWS, printCells, type FlowResult, type Measurement } from './harness.ts';

/**
 * `npm run bench`: the benchmarks behind the original design's flows, one after another, each
 * against its own freshly started platform exactly as when run alone, then one table of every flow
 * beside its baseline from the same run, saved as bench/results/<date>-<host>.json.
 * Quick by default (short runs, the 1-minute source, the transcode projection without re-measuring
 * it); `--full` runs every benchmark with its own defaults (20- and 60-minute sources, chunk input,
 * the SPA). Variables set by the caller (BENCH_SECONDS, …) win over both.
 * `npm run bench -- --compare A B`: two saved runs side by side (file paths, or names in bench/results).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(root, 'bench/results');

interface Benchmark {
  script: string;
  /** What makes it quick; --full runs it with its own defaults. */
  quick: Record<string, string>;
  /** Feeds no flow's row (or takes long): --full only. */
  fullOnly?: boolean;
}
const BENCHMARKS: Benchmark[] = [
  { script: 'bench/auth.ts', quick: { BENCH_SECONDS: '5' } },
  { script: 'bench/catalog.ts', quick: { BENCH_SECONDS: '5' } },
  { script: 'bench/search.ts', quick: { BENCH_LESSONS: '200', BENCH_SAMPLES: '50' } },
  { script: 'bench/payments.ts', quick: { BENCH_ORDERS: '170', BENCH_REFUNDS: '10' } },
  { script: 'bench/recommend.ts', quick: { BENCH_LEARNERS: '5000', BENCH_COURSES: '200', BENCH_GROUPS: '10', BENCH_EVAL: '500', BENCH_SAMPLES: '50' } },
  { script: 'bench/media.ts', quick: { BENCH_SECONDS: '5', BENCH_VIDEOS: '5' } },
  // The dashboards keep their 10 million events: reports are only worth timing over a realistic volume.
  { script: 'bench/analytics.ts', quick: { BENCH_BATCHES: '20', BENCH_RUNS: '10', BENCH_SECONDS: '5' } },
  { script: 'bench/playable.ts', quick: { BENCH_MINUTES: '1', BENCH_READY_MINUTES: '1' } },
  // The quick run's single-against-chunked comes from bench/playable.ts; this adds the projection.
  { script: 'bench/transcode.ts', quick: { BENCH_MINUTES: '' } },
  { script: 'bench/chunk-input.ts', quick: {}, fullOnly: true },
  { script: 'bench/web.ts', quick: {}, fullOnly: true },
];

interface Run {
  script: string;
  exitCode: number;
  seconds: number;
  /** 1-minute load average before and after: the machine is shared, its other work shows here. */
  load: [number, number];
}

interface SavedRun {
  date: string;
  host: string;
  cores: number;
  cpu: string;
  memoryGiB: number;
  commit: string;
  node: string;
  mode: 'quick' | 'full';
  postgres: 'server' | 'PGlite';
  seconds: number;
  runs: Run[];
  results: FlowResult[];
}

async function runAll(full: boolean): Promise<void> {
  const started = performance.now();
  const scratch = await mkdtemp(join(tmpdir(), 'kce-bench-'));
  const resultsFile = join(scratch, 'results.jsonl');
  await writeFile(resultsFile, '');
  const runs: Run[] = [];
  try {
    for (const { script, quick } of BENCHMARKS.filter((benchmark) => full || !benchmark.fullOnly)) {
      console.log(`\n━━ ${script} ━━`);
      const before = loadavg()[0]!;
      const scriptStarted = performance.now();
      const env = { ...(full ? {} : quick), ...process.env, BENCH_RESULTS_FILE: resultsFile };
      const exitCode = await new Promise<number>((resolve) => spawn(process.execPath, [script], { cwd: root, env, stdio: 'inherit' }).once('exit', (code) => resolve(code ?? 1)));
      runs.push({ script, exitCode, seconds: (performance.now() - scriptStarted) / 1000, load: [before, loadavg()[0]!] });
    }
    const results = (await readFile(resultsFile, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as FlowResult);
    const saved: SavedRun = {
      date: new Date().toISOString(),
      host: hostname(),
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
      commit: execFileSync('git', ['describe', '--always', '--dirty'], { cwd: root, encoding: 'utf8' }).trim(),
      node: process.version,
      mode: full ? 'full' : 'quick',
      postgres: process.env.DATABASE_URL ? 'server' : 'PGlite',
      seconds: (performance.now() - started) / 1000,
      runs,
      results,
    };
    await mkdir(RESULTS, { recursive: true });
    const file = join(RESULTS, `${saved.date.replace(/[:.]/g, '-')}-${saved.host}.json`);
    await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`);
    printRun(saved);
    console.log(`\nsaved ${file}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (runs.some((run) => run.exitCode !== 0)) process.exitCode = 1;
}

function describe(run: SavedRun): string {
  return `${run.date} on ${run.host}: ${run.cores} cores (${run.cpu}), ${run.memoryGiB} GiB, ${run.commit}, Node ${run.node}, ${run.mode} run, PostgreSQL ${run.postgres}`;
}

const duration = (ms: number) => (Number.isNaN(ms) ? '-' : ms < 1000 ? `${ms.toFixed(1)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 60_000).toFixed(1)} min`);
const rateOf = (row: FlowResult, side: 'measured' | 'baseline'): { value: number; unit: string } | undefined => {
  if (row.rate === null) return undefined;
  const value = row.rate?.[side];
  if (row.rate && value !== undefined) return { value, unit: row.rate.unit };
  const measurement = row[side];
  return measurement && { value: measurement.rps, unit: 'req/s' };
};
const formatRate = (rate: { value: number; unit: string } | undefined) => (rate ? `${rate.value.toFixed(rate.value < 10 ? 2 : 1)} ${rate.unit}` : '—');

function printRun(run: SavedRun): void {
  console.log(`\n${describe(run)}; ${(run.seconds / 60).toFixed(1)} min in all`);
  console.log('baseline rows: the same run, the same machine; MEASURED rows are samples taken, PROJECTION rows are computed from one-core measurements\n');
  const numbers = (m: Measurement) => [String(m.requests), duration(m.p50), duration(m.p95), duration(m.p99)];
  const table: string[][] = [['flow', 'sample', 'kind', 'budget', 'n', 'p50', 'p95', 'p99', 'throughput', 'errors']];
  for (const flow of FLOWS) {
    const rows = run.results.filter((row) => row.flow === flow);
    if (rows.length === 0) table.push([flow, 'no result: its benchmark failed or was skipped', '', '', '', '', '', '', '', '']);
    for (const row of rows) {
      table.push([flow, row.measured.name, row.projected ? 'PROJECTION' : 'measured', row.budget, ...numbers(row.measured), formatRate(rateOf(row, 'measured')), String(row.measured.errors)]);
      if (row.baseline) table.push(['  baseline', row.baseline.name, 'measured', '', ...numbers(row.baseline), formatRate(rateOf(row, 'baseline')), String(row.baseline.errors)]);
    }
  }
  printCells(table, 4);
  console.log(`\nn: samples (one transcode is one sample: its percentiles are its time); errors: samples that failed or were not what the row claims`);
  console.log('\nbenchmark            seconds  exit  load (1-min average) before → after');
  for (const { script, seconds, exitCode, load } of run.runs) {
    console.log(`${basename(script).padEnd(19)}  ${seconds.toFixed(0).padStart(7)}  ${String(exitCode).padStart(4)}  ${load[0].toFixed(2)} → ${load[1].toFixed(2)}`);
  }
}

async function load(name: string | undefined): Promise<SavedRun> {
  if (!name) throw new Error('usage: npm run bench -- --compare A B (files, or names in bench/results)');
  const path = await access(name).then(() => name, () => join(RESULTS, name));
  return JSON.parse(await readFile(path, 'utf8')) as SavedRun;
}

async function compare(first: string | undefined, second: string | undefined): Promise<void> {
  const [a, b] = [await load(first), await load(second)];
  console.log(`A: ${describe(a)}\nB: ${describe(b)}\n`);
  const change = (before: number | undefined, after: number | undefined) =>
    before === undefined || after === undefined || !Number.isFinite(before) || !Number.isFinite(after) || before === 0 ? '' : `${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(1)}%`;
  const sideBySide = (label: string, sample: string, kind: string, left: Measurement | undefined, right: Measurement | undefined, leftRate?: { value: number; unit: string }, rightRate?: { value: number; unit: string }) => [
    label,
    sample,
    kind,
    ...(['p50', 'p95', 'p99'] as const).flatMap((p) => [duration(left?.[p] ?? Number.NaN), duration(right?.[p] ?? Number.NaN), change(left?.[p], right?.[p])]),
    formatRate(leftRate),
    formatRate(rightRate),
    change(leftRate?.value, rightRate?.value),
  ];
  const table: string[][] = [['flow', 'sample', 'kind', 'p50 A', 'p50 B', 'Δ', 'p95 A', 'p95 B', 'Δ', 'p99 A', 'p99 B', 'Δ', 'throughput A', 'throughput B', 'Δ']];
  const key = (row: FlowResult) => `${row.flow}\n${row.measured.name}`;
  const inA = new Map(a.results.map((row) => [key(row), row]));
  const inB = new Map(b.results.map((row) => [key(row), row]));
  for (const flow of FLOWS) {
    for (const id of new Set([...inA.keys(), ...inB.keys()].filter((id) => id.startsWith(`${flow}\n`)))) {
      const [left, right] = [inA.get(id), inB.get(id)];
      const either = (left ?? right)!;
      table.push(sideBySide(flow, either.measured.name, either.projected ? 'PROJECTION' : 'measured', left?.measured, right?.measured, left && rateOf(left, 'measured'), right && rateOf(right, 'measured')));
      if (left?.baseline || right?.baseline) {
        const name = (left?.baseline ?? right?.baseline)!.name;
        table.push(sideBySide('  baseline', name, 'measured', left?.baseline, right?.baseline, left && rateOf(left, 'baseline'), right && rateOf(right, 'baseline')));
      }
    }
  }
  printCells(table, 3);
  console.log('\nΔ: B against A (for times lower is faster, for throughput higher is more); an empty cell: the row is in one run only');
}

// Last: the helpers above are constants, not yet defined while an await earlier in the module runs.
const args = process.argv.slice(2);
if (args[0] === '--compare') await compare(args[1], args[2]);
else await runAll(args.includes('--full'));
