import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { demoDirectoryEntries, DEMO_PASSWORD, demoUsers, seedDemo } from '../db/seed.ts';
import { fileURLToPath } from 'node:url';
import { OFFLINE_WRANGLER, wranglerDevArgs } from './bundle-workers.ts';
import { seedDemoVideo } from './demo-video.ts';
import { startPlatform } from './platform.ts';
import { freePort } from './services/ports.ts';

/**
 * `npm run dev`: the whole platform on this machine. Backing services on free loopback ports with
 * state under `.data/`, then one `wrangler dev` per jurisdiction running all three Workers, the SPA
 * and the API on one origin: `us` on PORT (8787), `sa` on PORT + 1.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = `${root}.data`;
const basePort = Number(process.env.PORT ?? 8787);
const jurisdictions = ['us', 'sa'] as const;
const deployments = jurisdictions.map((jurisdiction, index) => ({
  jurisdiction,
  port: basePort + index,
  url: `http://localhost:${basePort + index}`,
}));
const baseUrls = Object.fromEntries(deployments.map((d) => [d.jurisdiction, d.url]));
const started = Date.now();

await mkdir(dataDir, { recursive: true });
console.log('building the SPA…');
execFileSync('vite', ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
console.log('starting the backing services…');
const platform = await startPlatform({
  jurisdictions,
  baseUrls,
  dataDir,
  databaseUrl: process.env.DATABASE_URL,
  clickhouseUrl: process.env.CLICKHOUSE_URL,
  namePrefix: 'kce_',
});

// One local state folder for both jurisdictions' Workers: the directory KV namespace is global.
const persistTo = `${dataDir}/wrangler`;
console.log('seeding the demo…');
for (const j of jurisdictions) {
  const settings = platform.settings[j] ?? {};
  await seedDemo(settings.DATABASE_URL ?? '', settings.NEON_WS_PROXY ?? '', j);
}
const directorySeed = `${dataDir}/directory-seed.json`;
await writeFile(directorySeed, JSON.stringify(await demoDirectoryEntries(jurisdictions, platform.settings.us?.DIRECTORY_KEY ?? '')));
execFileSync('wrangler', ['kv', 'bulk', 'put', directorySeed, '--binding', 'DIRECTORY', '--local', '--persist-to', persistTo, '--env', 'us'], {
  cwd: root,
  env: { ...process.env, ...OFFLINE_WRANGLER },
  stdio: 'ignore',
});

const children: ChildProcess[] = [];
// The Workers serve web/dist as it is on disk: rebuilding on every change keeps the SPA current.
children.push(spawn('vite', ['build', '--watch', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }));
let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await Promise.all(
    children.map((child) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    }),
  );
  await platform.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

// One at a time: the two runtimes share the local state folder, and starting both at once can find
// its SQLite files locked.
for (const { jurisdiction: j, port, url } of deployments) {
  const args = wranglerDevArgs({ env: j, port, inspectorPort: await freePort(), persistTo });
  // Wrangler reads each Worker's declared secrets and var overrides from the process environment.
  const child = spawn('wrangler', args, { cwd: root, env: { ...process.env, ...OFFLINE_WRANGLER, ...platform.settings[j] }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (line: string) => `[${j}] ${line}`;
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) console.log(prefix(line));
    });
  }
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(prefix(`wrangler dev exited with code ${code}; stopping everything`));
      void shutdown(1);
    }
  });
  children.push(child);
  await waitForApi(url);
}

printTable();
// After "is up", in the background: the transcode takes a while and the platform is usable meanwhile.
for (const d of deployments) {
  const instructor = demoUsers(d.jurisdiction).find((demo) => demo.role === 'instructor');
  if (instructor) void seedDemoVideo({ jurisdiction: d.jurisdiction, baseUrl: d.url, email: instructor.email, password: DEMO_PASSWORD, clipPath: `${dataDir}/demo-clip.mp4` });
}

async function waitForApi(baseUrl: string) {
  for (let attempt = 0; attempt < 600; attempt++) {
    const answered = await fetch(`${baseUrl}/api/health`).then(() => true, () => false);
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${baseUrl} did not answer within 150 s`);
}

function printTable() {
  const rows = [
    ...deployments.map((d) => ({ service: `SPA + API (${d.jurisdiction}): api, analytics, media Workers`, url: d.url })),
    ...platform.services,
  ];
  const width = Math.max(...rows.map((row) => row.service.length));
  console.log(`\nKnowledgeCity Edge is up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const row of rows) console.log(`  ${row.service.padEnd(width)}  ${row.url}`);
  console.log(`\n  demo accounts (local only), password "${DEMO_PASSWORD}":`);
  for (const j of jurisdictions) console.log(`    ${demoUsers(j).map((demo) => demo.email).join('  ')}`);
  console.log(`\n  state: ${dataDir}   health: ${deployments[0]?.url}/api/health   stop: Ctrl-C\n`);
}
