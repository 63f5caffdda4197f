import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LocalClickHouse {
  /** For `createClient({ url, username, password })` from `@clickhouse/client-web`. */
  url: string;
  username: string;
  password: string;
  stop(): Promise<void>;
  /** Embedded only: ends the engine's process abruptly, as a crash would, for outage drills. */
  kill(): Promise<void>;
  /** Embedded only: starts the engine again on the same port, over the same data. */
  restart(): Promise<void>;
}

/** A ClickHouse server someone else runs: check that it answers, and leave it running on stop. */
async function useServer(serverUrl: string): Promise<LocalClickHouse> {
  const url = new URL(serverUrl);
  const username = decodeURIComponent(url.username) || 'default';
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const ping = await fetch(new URL('/ping', url)).then(
    async (response) => `${response.status} ${await response.text()}`,
    (error: Error) => error.message,
  );
  if (ping !== '200 Ok.\n') throw new Error(`ClickHouse at ${url.origin} does not answer /ping: ${ping.trim()}`);
  const notOurs = async () => {
    throw new Error(`ClickHouse at ${url.origin} is not ours to stop or start`);
  };
  return { url: url.href.replace(/\/$/, ''), username, password, stop: async () => {}, kill: notOurs, restart: notOurs };
}

interface Engine {
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
}

/** Runs clickhouse-http.ts in a child process and waits for the port it listens on. */
async function launch(settings: { dataDir: string; username: string; password: string; port?: number }): Promise<Engine> {
  const program = fileURLToPath(new URL('./clickhouse-http.ts', import.meta.url));
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', program, JSON.stringify(settings)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('message', (message: { port: number }) => resolvePort(message.port));
    child.once('error', reject);
    void exited.then(() => reject(new Error(`embedded ClickHouse exited before it was ready:\n${output}`)));
  });
  return { child, port, exited };
}

/**
 * With `url`, uses that ClickHouse server. Otherwise serves embedded ClickHouse (chdb) over the
 * ClickHouse HTTP interface on a free loopback port, from a child process; `dataDir` keeps the data
 * (a temporary directory is used and removed without it).
 */
export async function startClickHouse(options: { url?: string; dataDir?: string } = {}): Promise<LocalClickHouse> {
  if (options.url) return useServer(options.url);
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ? resolve(options.dataDir) : await mkdtemp(join(tmpdir(), 'kce-clickhouse-'));
  mkdirSync(dataDir, { recursive: true });
  const credentials = { username: 'default', password: '' };

  let engine = await launch({ dataDir, ...credentials });
  const port = engine.port;
  const kill = async () => {
    engine.child.kill('SIGKILL');
    await engine.exited;
  };
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    ...credentials,
    stop() {
      // Disconnecting tells the child to close its engine, which releases the data directory.
      stopping ??= (async () => {
        if (engine.child.connected) engine.child.disconnect();
        const forceKill = setTimeout(() => engine.child.kill('SIGKILL'), 10_000);
        await engine.exited;
        clearTimeout(forceKill);
        if (temporary) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
    kill,
    async restart() {
      await kill();
      engine = await launch({ dataDir, ...credentials, port });
    },
  };
}
