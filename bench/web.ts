import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import lighthouse, { desktopConfig, type Config } from 'lighthouse';
import { buildWeb } from '../scripts/local-deployments.ts';
import { freePort } from '../scripts/services/ports.ts';
import { printCells, startDeployment } from './harness.ts';

/**
 * `npm run bench:web`: what each route of the SPA loads before it can render (gzip JS and CSS:
 * the shell plus the route's chunk and everything they import statically; "later" is what the page
 * imports on demand, e.g. hls.js), and Lighthouse's performance and accessibility scores for the
 * catalog and a course page on a fresh local deployment (Debian's Chromium, mobile and desktop).
 */
const dist = fileURLToPath(new URL('../web/dist/', import.meta.url));
const LEARNER_JS_AIM_KB = 150;
const SCORE_AIM = 90;
const PAGES = [
  { path: '/', route: 'src/learner/CatalogPage.tsx' },
  { path: '/courses/edge-computing-101-us', route: 'src/learner/CoursePage.tsx' },
];

interface Chunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  isEntry?: boolean;
  isDynamicEntry?: boolean;
}

console.log('building the SPA…');
// The manifest maps each source module to its chunk and the chunks it imports.
buildWeb(['--manifest']);
const manifest = JSON.parse(await readFile(join(dist, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
const gzipKb = new Map<string, number>();
for (const chunk of Object.values(manifest)) {
  for (const file of [chunk.file, ...(chunk.css ?? [])]) gzipKb.set(file, gzipSync(await readFile(join(dist, file)), { level: 9 }).byteLength / 1024);
}

/** The files a module needs before it runs: itself, its CSS and its static imports, transitively. */
function staticClosure(key: string, files = new Set<string>(), seen = new Set<string>()): Set<string> {
  const chunk = manifest[key];
  if (!chunk || seen.has(key)) return files;
  seen.add(key);
  files.add(chunk.file);
  for (const css of chunk.css ?? []) files.add(css);
  for (const imported of chunk.imports ?? []) staticClosure(imported, files, seen);
  return files;
}
const sum = (files: Iterable<string>, extension: string) => [...files].filter((file) => file.endsWith(extension)).reduce((total, file) => total + (gzipKb.get(file) ?? 0), 0);

const [shellKey] = Object.entries(manifest).find(([, chunk]) => chunk.isEntry) ?? [];
if (!shellKey) throw new Error('the manifest has no entry chunk');
const shell = staticClosure(shellKey);
const routes = Object.keys(manifest)
  .filter((key) => manifest[key]!.isDynamicEntry && /^src\/(learner|instructor|admin)\//.test(key))
  .sort();
const sizes = [
  { name: 'shell (every route)', key: shellKey, initial: shell, later: new Set<string>() },
  ...routes.map((key) => {
    const initial = staticClosure(key, new Set(shell));
    const later = new Set<string>();
    for (const file of initial) {
      const owner = Object.values(manifest).find((chunk) => chunk.file === file);
      for (const dynamic of owner?.dynamicImports ?? []) if (!routes.includes(dynamic)) staticClosure(dynamic, later);
    }
    for (const file of initial) later.delete(file);
    return { name: key.replace(/^src\//, '').replace(/\.tsx?$/, ''), key, initial, later };
  }),
];

console.log('starting a local deployment (us) with the demo…');
const deployment = await startDeployment({ jurisdiction: 'us', demo: true });
const scores = new Map<string, { mobile: Scores; desktop: Scores }>();
try {
  const chrome = await launchChromium();
  try {
    for (const page of PAGES) {
      const url = `${deployment.url}${page.path}`;
      console.log(`lighthouse ${url}…`);
      scores.set(page.route, { mobile: await audit(url, chrome.port), desktop: await audit(url, chrome.port, desktopConfig) });
    }
  } finally {
    await chrome.stop();
  }
} finally {
  await deployment.stop();
}

const kb = (value: number) => value.toFixed(1);
const mark = (met: boolean) => (met ? ' ok' : ' MISSED');
const score = (value: number | undefined) => (value === undefined ? '-' : `${value}${mark(value >= SCORE_AIM)}`);
console.log();
printCells([
  ['route (gzip KB)', 'initial JS', 'initial CSS', 'later JS', 'perf mobile', 'perf desktop', 'a11y'],
  ['aim', `< ${LEARNER_JS_AIM_KB} (learner)`, '', '', `>= ${SCORE_AIM}`, `>= ${SCORE_AIM}`, `>= ${SCORE_AIM}`],
  ...sizes.map(({ name, key, initial, later }) => {
    const js = sum(initial, '.js');
    const measured = scores.get(key);
    return [
      name,
      `${kb(js)}${key.startsWith('src/learner/') ? mark(js < LEARNER_JS_AIM_KB) : ''}`,
      kb(sum(initial, '.css')),
      kb(sum(later, '.js')),
      score(measured?.mobile.performance),
      score(measured?.desktop.performance),
      score(measured?.mobile.accessibility),
    ];
  }),
]);
console.log(`\nLighthouse pages: ${PAGES.map((page) => `${page.path} (${page.route})`).join(', ')}; mobile is Lighthouse's default (simulated slow 4G, 4x CPU slowdown)\n`);

interface Scores {
  performance: number;
  accessibility: number;
}

async function audit(url: string, port: number, config?: Config): Promise<Scores> {
  const result = await lighthouse(url, { port, hostname: '127.0.0.1', output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'] }, config);
  const categories = result?.lhr.categories;
  const failure = result?.lhr.runtimeError;
  if (!categories || failure) throw new Error(`lighthouse could not audit ${url}: ${failure?.message ?? 'no result'}`);
  const percent = (value: number | null | undefined) => Math.round((value ?? 0) * 100);
  return { performance: percent(categories.performance?.score), accessibility: percent(categories.accessibility?.score) };
}

/** Debian's Chromium with a DevTools port for Lighthouse, in a throwaway profile; nothing is downloaded. */
async function launchChromium(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const profile = await mkdtemp(join(tmpdir(), 'kce-bench-chromium-'));
  const chromium = spawn(
    '/usr/bin/chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, 'about:blank'],
    { stdio: 'ignore' },
  );
  const kill = () => chromium.kill('SIGTERM');
  process.once('exit', kill);
  const stop = async () => {
    process.off('exit', kill);
    if (chromium.exitCode === null && chromium.signalCode === null) {
      const exited = new Promise((resolve) => chromium.once('exit', resolve));
      kill();
      await exited;
    }
    await rm(profile, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await fetch(`http://127.0.0.1:${port}/json/version`).then((response) => response.ok, () => false)) return { port, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error('chromium did not open its DevTools port within 10 s');
}
