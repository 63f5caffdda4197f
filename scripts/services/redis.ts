import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';
import { ensureBinary } from './system.ts';
import { RedisConnection, startUpstashRest } from './upstash-rest.ts';

export interface LocalRedis {
  /** Upstash REST endpoint for `new Redis({ url: restUrl, token: restToken })`. */
  restUrl: string;
  restToken: string;
  redisPort: number;
  stop(): Promise<void>;
  /** Stops redis-server while the REST endpoint keeps answering, to see the cache go down. */
  killRedis(): Promise<void>;
  /** Starts redis-server again on the same port. */
  restartRedis(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

async function answersPing(port: number): Promise<boolean> {
  try {
    const connection = await RedisConnection.open(port);
    try {
      const [reply] = await connection.send([['PING']]);
      return reply === 'PONG';
    } finally {
      connection.close();
    }
  } catch {
    return false;
  }
}

async function launch(args: string[], port: number): Promise<ChildProcess> {
  // redis-server cannot notice its parent dying; on Linux, setpriv has the kernel stop it then.
  const server =
    process.platform === 'linux'
      ? spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', 'redis-server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-2000);
  };
  server.stdout?.on('data', keepTail);
  server.stderr?.on('data', keepTail);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersPing(port))) {
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill('SIGKILL');
      throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${output}`);
    }
    await sleep(50);
  }
  return server;
}

async function terminate(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const forceKill = setTimeout(() => server.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(forceKill);
}

/**
 * Starts a real redis-server on a free loopback port with the Upstash REST adapter in front of it.
 * Without `dataDir` nothing touches the disk; with it, redis keeps an append-only file there.
 */
export async function startRedis(options: { dataDir?: string } = {}): Promise<LocalRedis> {
  ensureBinary('redis-server', 'redis-server');
  if (process.platform === 'linux') ensureBinary('setpriv', 'util-linux');
  const redisPort = await freePort();
  const persistence = options.dataDir ? ['--dir', options.dataDir, '--appendonly', 'yes'] : ['--appendonly', 'no'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const args = ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', ...persistence];

  let server = await launch(args, redisPort);
  // Covers a parent that exits without stop() where setpriv is not available.
  const killOnExit = () => server.kill('SIGKILL');
  process.on('exit', killOnExit);

  const restToken = randomBytes(24).toString('base64url');
  const rest = await startUpstashRest({ redisPort, token: restToken }).catch(async (error: unknown) => {
    process.off('exit', killOnExit);
    await terminate(server);
    throw error;
  });

  let stopping: Promise<void> | undefined;
  return {
    restUrl: rest.url,
    restToken,
    redisPort,
    stop() {
      stopping ??= (async () => {
        process.off('exit', killOnExit);
        await rest.close();
        await terminate(server);
      })();
      return stopping;
    },
    killRedis: () => terminate(server),
    async restartRedis() {
      await terminate(server);
      server = await launch(args, redisPort);
    },
  };
}
