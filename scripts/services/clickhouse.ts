import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { fileURLToPath } from 'node:url';

/** A query as the ClickHouse HTTP endpoint received it: what ties it to a request's trace. */
export interface ReceivedQuery {
  queryId: string;
  logComment: string;
}

export interface LocalClickHouse {
  /** For `createClient({ url, username, password })` from `@clickhouse/client-web`. */
  url: string;
  username: string;
  password: string;
  stop(): Promise<void>;
  /**
   * Outage drills. Embedded: ends the engine's process abruptly, as a crash would. A server (with
   * `outageDrills`): closes the loopback door in front of it and cuts every open connection.
   */
  kill(): Promise<void>;
  /** Starts the engine again on the same port, over the same data; or opens the door again. */
  restart(): Promise<void>;
  /**
   * Embedded only: the queries received since the last start whose `query_id` starts with the prefix
   * (the last 10,000 kept), as `system.query_log` would show them; chdb keeps no query log. A server
   * keeps its own: read `system.query_log` there.
   */
  receivedQueries(queryIdPrefix: string): Promise<ReceivedQuery[]>;
  /**
   * Outage drills: the request targets (`/?query=…&database=…`, decoded) of the connections made
   * while a drill kept ClickHouse down, which were dropped unanswered; proof that a client tried.
   */
  refusedWhileDown(): string[];
}

/**
 * While a drill keeps ClickHouse down, a listener on its port drops every connection after noting
 * the request line it sent: to the client the server is gone, and the test can see who came.
 */
function downedPort() {
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  let listener: Server | undefined;
  const requestTarget = (chunk: Buffer) => {
    const target = chunk.toString('latin1').split('\r\n', 1)[0]?.split(' ')[1] ?? '';
    try {
      return decodeURIComponent(target.replaceAll('+', ' '));
    } catch {
      return target;
    }
  };
  return {
    refused: () => [...refused],
    /** Starts refusing on the port; a no-op while already refusing. */
    down: (port: number) =>
      new Promise<void>((resolveDown, reject) => {
        if (listener) return resolveDown();
        const opened = createServer((socket) => {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
          socket.once('data', (chunk: Buffer) => {
            refused.push(requestTarget(chunk));
            socket.destroy();
          });
        });
        opened.once('error', reject);
        opened.listen(port, '127.0.0.1', () => {
          listener = opened;
          resolveDown();
        });
      }),
    /** Frees the port for the server again. */
    up: async () => {
      const closing = listener;
      listener = undefined;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolveUp) => (closing ? closing.close(() => resolveUp()) : resolveUp()));
    },
  };
}

/**
 * A ClickHouse server someone else runs: check that it answers, and leave it running on stop. With
 * `outageDrills`, clients reach it through a loopback proxy that `kill()` closes and `restart()`
 * opens again on the same port: to a client, the server is gone, which is what a drill needs.
 */
async function useServer(serverUrl: string, outageDrills: boolean): Promise<LocalClickHouse> {
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
  const noLog = async () => {
    throw new Error(`ClickHouse at ${url.origin} keeps its own log: read system.query_log`);
  };
  if (!outageDrills) {
    return { url: url.href.replace(/\/$/, ''), username, password, stop: async () => {}, kill: notOurs, restart: notOurs, receivedQueries: noLog, refusedWhileDown: () => [] };
  }
  const door = await openDoor(url);
  const downed = downedPort();
  return {
    url: door.url,
    username,
    password,
    stop: async () => {
      await downed.up();
      await door.close();
    },
    kill: async () => {
      await door.close();
      await downed.down(door.port());
    },
    restart: async () => {
      await downed.up();
      await door.open();
    },
    receivedQueries: noLog,
    refusedWhileDown: downed.refused,
  };
}

/** A loopback HTTP door to the server: plain TCP to an http server, TLS to an https one. */
async function openDoor(server: URL) {
  const secure = server.protocol === 'https:';
  const port = Number(server.port || (secure ? 443 : 80));
  const sockets = new Set<Socket>();
  let listener: Server | undefined;
  let doorPort = 0;
  const open = () =>
    new Promise<void>((resolveOpen, reject) => {
      const opened = createServer((client) => {
        const upstream = secure ? connectTls({ host: server.hostname, port, servername: server.hostname }) : connectTcp({ host: server.hostname, port });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      opened.once('error', reject);
      opened.listen(doorPort, '127.0.0.1', () => {
        const address = opened.address();
        doorPort = typeof address === 'object' && address ? address.port : 0;
        listener = opened;
        resolveOpen();
      });
    });
  const close = async () => {
    const closing = listener;
    listener = undefined;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolveClose) => (closing ? closing.close(() => resolveClose()) : resolveClose()));
  };
  await open();
  return { url: `http://127.0.0.1:${doorPort}`, port: () => doorPort, open, close };
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

let nextRequest = 0;

/** Asks the engine's process which queries it received (see clickhouse-http.ts). */
function receivedBy(child: ChildProcess, queryIdPrefix: string): Promise<ReceivedQuery[]> {
  const id = ++nextRequest;
  return new Promise((resolveQueries, reject) => {
    const answer = (message: { id?: number; receivedQueries?: ReceivedQuery[] }) => {
      if (message.id !== id) return;
      child.off('message', answer);
      resolveQueries(message.receivedQueries ?? []);
    };
    child.on('message', answer);
    if (!child.send({ id, receivedQueries: queryIdPrefix })) reject(new Error('the embedded ClickHouse is not running'));
  });
}

/**
 * With `url`, uses that ClickHouse server (behind a loopback door with `outageDrills`). Otherwise serves embedded ClickHouse (chdb) over the
 * ClickHouse HTTP interface on a free loopback port, from a child process; `dataDir` keeps the data
 * (a temporary directory is used and removed without it).
 */
export async function startClickHouse(options: { url?: string; dataDir?: string; outageDrills?: boolean } = {}): Promise<LocalClickHouse> {
  if (options.url) return useServer(options.url, options.outageDrills ?? false);
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ? resolve(options.dataDir) : await mkdtemp(join(tmpdir(), 'kce-clickhouse-'));
  mkdirSync(dataDir, { recursive: true });
  const credentials = { username: 'default', password: '' };

  let engine = await launch({ dataDir, ...credentials });
  const port = engine.port;
  const downed = downedPort();
  const kill = async () => {
    engine.child.kill('SIGKILL');
    await engine.exited;
    await downed.down(port);
  };
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    ...credentials,
    stop() {
      // Disconnecting tells the child to close its engine, which releases the data directory.
      stopping ??= (async () => {
        await downed.up();
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
      await downed.up();
      engine = await launch({ dataDir, ...credentials, port });
    },
    receivedQueries: (queryIdPrefix) => receivedBy(engine.child, queryIdPrefix),
    refusedWhileDown: downed.refused,
  };
}
