import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoDirectoryEntries, DEMO_PASSWORD, demoUsers, seedDemo } from './seed.ts';
import { OFFLINE_WRANGLER, wranglerDevArgs } from './bundle-workers.ts';
import { seedDemoVideo } from './demo-video.ts';
import { startPlatform, type LocalPlatform } from './platform.ts';
import { freePort } from './services/ports.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const HEALTH_TIMEOUT_MS = 150_000;

export interface LocalDeploymentsOptions<J extends string> {
  jurisdictions: readonly J[];
  /** The port each jurisdiction answers on (dev: the table's); a free port for one not named. */
  ports?: Partial<Record<J, number>>;
  /** Persist all state here (dev); a temporary folder, removed on stop, when absent. */
  dataDir?: string;
  /** Prefix of database names, so runs never meet each other's data on a shared server. */
  namePrefix: string;
  /** Seed the demo users, courses and directory entries (not the video: see seedDemoVideos). */
  demo: boolean;
  /** Overrides of the Workers' vars, e.g. rate limits raised out of a benchmark's way. */
  vars?: Record<string, string>;
  /** Progress and every line `wrangler dev` prints, prefixed with its jurisdiction; silent when absent. */
  log?: (line: string) => void;
}

export interface LocalDeployments<J extends string> {
  urls: Record<J, string>;
  /** Per jurisdiction, what its Workers read: the platform's settings plus the var overrides. */
  settings: Record<J, Record<string, string>>;
  /** The backing services, for a start-up table. */
  services: LocalPlatform['services'];
  /** The backing services themselves, for a run that stops and restarts them (outage drills). */
  platform: LocalPlatform;
  dataDir: string;
  /**
   * Gives each jurisdiction's demo course a transcoded demo video through the real upload flow;
   * resolves once every transcode has finished (never rejects: a failure is a warning).
   */
  seedDemoVideos(): Promise<void>;
  /** Stops everything this started; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * The platform as `npm run dev` runs it, for dev, the browser tests and the benchmarks: backing
 * services on free loopback ports (PGlite unless DATABASE_URL, chdb unless CLICKHOUSE_URL), then
 * one `wrangler dev` per jurisdiction with all three Workers and the SPA from web/dist on one
 * origin. Ctrl-C, or one `wrangler dev` dying, stops everything and exits.
 */
export async function startLocalDeployments<J extends string>(options: LocalDeploymentsOptions<J>): Promise<LocalDeployments<J>> {
  const log = options.log ?? (() => {});
  const cleanups: Array<() => Promise<void>> = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
    })());
  // 130 is what a shell reports for Ctrl-C; a second Ctrl-C kills at once (the handler is gone).
  const interrupt = () => {
    log('\nstopping…');
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const sites = await Promise.all(
      options.jurisdictions.map(async (jurisdiction) => ({ jurisdiction, port: options.ports?.[jurisdiction] ?? (await freePort()) })),
    );
    const urls = Object.fromEntries(sites.map(({ jurisdiction, port }) => [jurisdiction, `http://localhost:${port}`])) as Record<J, string>;
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'kce-local-')));
    if (options.dataDir) await mkdir(dataDir, { recursive: true });
    else cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    log('starting the backing services…');
    const platform = await startPlatform({
      jurisdictions: options.jurisdictions,
      baseUrls: urls,
      // Without a data folder the services keep their state in memory or drop it on stop.
      dataDir: options.dataDir,
      temporary: !options.dataDir,
      databaseUrl: process.env.DATABASE_URL,
      clickhouseUrl: process.env.CLICKHOUSE_URL,
      namePrefix: options.namePrefix,
      deliverPaymentWebhooks: true,
    });
    cleanups.push(platform.stop);
    const settings = Object.fromEntries(options.jurisdictions.map((j) => [j, { ...platform.settings[j], ...options.vars }])) as Record<J, Record<string, string>>;

    // One local state folder per jurisdiction's runtime, sharing only KV (the directory namespace is
    // global): runtimes sharing one folder write the same SQLite files (traces, cache) and fail
    // now and then with SQLITE_BUSY.
    const persistTo = (j: J) => join(dataDir, 'wrangler', j);
    const sharedKv = join(dataDir, 'wrangler', 'kv');
    await mkdir(sharedKv, { recursive: true });
    for (const j of options.jurisdictions) {
      await mkdir(join(persistTo(j), 'v3'), { recursive: true });
      await symlink(sharedKv, join(persistTo(j), 'v3', 'kv')).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
    const first = options.jurisdictions[0];
    if (options.demo && first) {
      log('seeding the demo…');
      for (const j of options.jurisdictions) await seedDemo(settings[j].DATABASE_URL ?? '', settings[j].NEON_WS_PROXY ?? '', j);
      const directorySeed = join(dataDir, 'directory-seed.json');
      await writeFile(directorySeed, JSON.stringify(await demoDirectoryEntries(options.jurisdictions, settings[first].DIRECTORY_KEY ?? '')));
      execFileSync('wrangler', ['kv', 'bulk', 'put', directorySeed, '--binding', 'DIRECTORY', '--local', '--persist-to', persistTo(first), '--env', first], {
        cwd: root,
        env: { ...process.env, ...OFFLINE_WRANGLER },
        stdio: 'ignore',
      });
    }

    // One at a time: two runtimes starting at once on one machine's two cores time out their health checks.
    for (const { jurisdiction: j, port } of sites) {
      const args = wranglerDevArgs({ env: j, port, inspectorPort: await freePort(), persistTo: persistTo(j) });
      // Wrangler reads each Worker's declared secrets and var overrides from the process environment.
      const child = spawn('wrangler', args, { cwd: root, env: { ...process.env, ...OFFLINE_WRANGLER, ...settings[j] }, stdio: ['ignore', 'pipe', 'pipe'] });
      const recent = collectOutput(child, (line) => log(`[${j}] ${line}`));
      // The last resort when the process exits without stopping us (an uncaught error, process.exit).
      const kill = () => child.kill('SIGTERM');
      process.once('exit', kill);
      cleanups.push(async () => {
        process.off('exit', kill);
        await stopChild(child);
      });
      await waitForHealth(urls[j], child, recent);
      // Once up, one jurisdiction down makes the platform useless: stop it all rather than leave it half alive.
      child.once('exit', (code, signal) => {
        if (stopped) return;
        console.error(`[${j}] wrangler dev exited (${code ?? signal}); stopping everything\n${recent()}`);
        void stop().finally(() => process.exit(1));
      });
    }

    const seedDemoVideos = async () => {
      await Promise.all(
        options.jurisdictions.map((j) => {
          const instructor = demoUsers(j).find((demo) => demo.role === 'instructor');
          // Both jurisdictions share one clip, generated once into the data folder.
          return instructor && seedDemoVideo({ jurisdiction: j, baseUrl: urls[j], email: instructor.email, password: DEMO_PASSWORD, clipPath: join(dataDir, 'demo-clip.mp4') });
        }),
      );
    };
    return { urls, settings, services: platform.services, platform, dataDir, seedDemoVideos, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A local build: its Content-Security-Policy lets the SPA upload to the loopback S3 server. */
export const LOCAL_WEB_BUILD = { ...process.env, KCE_WEB_TARGET: 'local' };

/**
 * `vite build` of the SPA into web/dist, which every local deployment serves from disk. The lock
 * is bypassed because `npm run dev` keeps a `vite build --watch` of the same sources running,
 * and both write the same files.
 */
export function buildWeb(extraArgs: readonly string[] = []): void {
  execFileSync('vite', ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn', '--bypass-lock', ...extraArgs], { cwd: root, stdio: 'inherit', env: LOCAL_WEB_BUILD });
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

/** Passes every line on; returns the last 20, to explain a failed start. */
function collectOutput(child: ChildProcess, onLine: (line: string) => void): () => string {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      for (const line of text.split('\n').filter((line) => line.trim())) {
        onLine(line);
        lines.push(line);
      }
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
