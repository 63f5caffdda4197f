import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JURISDICTION_IDS, JURISDICTIONS } from '../contracts/jurisdictions.ts';
import { DEMO_PASSWORD, demoUsers } from './seed.ts';
import { buildWeb, LOCAL_WEB_BUILD, startLocalDeployments } from './local-deployments.ts';

/**
 * `npm run dev`: the whole platform on this machine. Backing services on free loopback ports with
 * state under `.data/`, then one `wrangler dev` per jurisdiction of contracts/jurisdictions.ts
 * running all three Workers, the SPA and the API on one origin, on the table's local port (`us`
 * 8787, `sa` 8788, ...). PORT moves them all: the first row on PORT, the others as far from it as in the table.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = `${root}.data`;
const jurisdictions = JURISDICTION_IDS;
const shift = process.env.PORT ? Number(process.env.PORT) - JURISDICTIONS[0].localPort : 0;
const started = Date.now();

console.log('building the SPA…');
buildWeb();
const deployments = await startLocalDeployments({
  jurisdictions,
  ports: Object.fromEntries(JURISDICTIONS.map((j) => [j.id, j.localPort + shift])),
  dataDir,
  namePrefix: 'kce_',
  demo: true,
  log: (line) => console.log(line),
});

// The Workers serve web/dist as it is on disk: rebuilding on every change keeps the SPA current
// (into the same folder: wrangler stops watching a folder that is deleted and made again).
const watcher = spawn('vite', ['build', '--watch', '--emptyOutDir', 'false', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, env: LOCAL_WEB_BUILD, stdio: ['ignore', 'inherit', 'inherit'] });
process.once('exit', () => watcher.kill('SIGTERM'));

printTable();
// After "is up", in the background: the transcode takes a while and the platform is usable meanwhile.
void deployments.seedDemoVideos();

function printTable() {
  const rows = [
    ...jurisdictions.map((j) => ({ service: `SPA + API (${j}): api, analytics, media Workers`, url: deployments.urls[j] })),
    ...deployments.services,
  ];
  const width = Math.max(...rows.map((row) => row.service.length));
  console.log(`\nKnowledgeCity Edge is up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const row of rows) console.log(`  ${row.service.padEnd(width)}  ${row.url}`);
  console.log(`\n  demo accounts (local only), password "${DEMO_PASSWORD}":`);
  for (const j of jurisdictions) console.log(`    ${demoUsers(j).map((demo) => demo.email).join('  ')}`);
  console.log(`\n  state: ${dataDir}   health: ${deployments.urls.us}/api/health   stop: Ctrl-C\n`);
}
