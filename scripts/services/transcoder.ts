import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, TranscodeEvent, verifyEvent, type TranscodeJob } from '../../contracts/transcoder.ts';
import { freePort } from './ports.ts';
import type { LocalS3 } from './s3.ts';
import { ensureBinary } from './system.ts';

/** One transcoder process. */
export interface TranscoderProcess {
  url: string;
  /** The running process's id (another after `restart`), e.g. to read its CPU time from /proc; as Node types it, undefined had it failed to spawn. */
  readonly pid: number | undefined;
  /** Outage drills: the process dies as a crashed container would (SIGKILL), then starts again on its port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/**
 * The local pool: N transcoder processes, each sending its jobs' chunks to all of them. Jobs go to
 * the first (`url`); `kill` and `restart` act on every process, as the loss of the machine would.
 */
export interface LocalTranscoder extends Omit<TranscoderProcess, 'pid'> {
  members: TranscoderProcess[];
  /** Signs the transcoder's callbacks: the media Worker needs the same value to verify them. */
  callbackSecret: string;
  stop(): Promise<void>;
}

export interface TranscoderOptions {
  /** A random one when absent. */
  callbackSecret?: string;
  /** Where jobs keep their temporary files; the system's temporary folder when absent. */
  workDir?: string;
  /** At most one progress callback per this many milliseconds; the server's 2 s when absent. */
  progressIntervalMs?: number;
  /** A job's runs at once (chunks on the pool, whole-file passes); as many as the members when absent. */
  chunkConcurrency?: number;
  /** Transcoder processes in the pool; the number of cores when absent. */
  members?: number;
}

const server = fileURLToPath(new URL('../../transcoder/src/server.ts', import.meta.url));

/** The transcoders as plain Node processes with the system's ffmpeg: locally there is no Docker. */
export async function startTranscoder(options: TranscoderOptions = {}): Promise<LocalTranscoder> {
  ensureBinary('ffmpeg', 'ffmpeg');
  const ports = [];
  for (let i = 0; i < (options.members ?? availableParallelism()); i++) ports.push(await freePort());
  const urlOf = (port: number) => `http://127.0.0.1:${port}`;
  const urls = ports.map(urlOf);
  const callbackSecret = options.callbackSecret ?? randomBytes(32).toString('hex');
  // The processes share this machine's cores: each chunk gets its share as ffmpeg threads.
  const threads = Math.max(1, Math.floor(availableParallelism() / ports.length));
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', TRANSCODER_CALLBACK_SECRET: callbackSecret, TRANSCODER_POOL: urls.join(','), TRANSCODER_TASK_THREADS: String(threads) };
  if (options.workDir) env.TRANSCODER_WORK_DIR = options.workDir;
  if (options.progressIntervalMs) env.TRANSCODER_PROGRESS_INTERVAL_MS = String(options.progressIntervalMs);
  if (options.chunkConcurrency) env.TRANSCODER_CHUNK_CONCURRENCY = String(options.chunkConcurrency);
  const members = await Promise.all(ports.map((port) => startProcess({ ...env, PORT: String(port) }, urlOf(port))));
  const [first] = members;
  if (!first) throw new Error('a pool has at least one transcoder');
  return {
    url: first.url,
    members,
    callbackSecret,
    stop: () => Promise.all(members.map((member) => member.stop())).then(() => undefined),
    kill: () => Promise.all(members.map((member) => member.kill())).then(() => undefined),
    restart: () => Promise.all(members.map((member) => member.restart())).then(() => undefined),
  };
}

async function startProcess(env: NodeJS.ProcessEnv, url: string): Promise<TranscoderProcess & { stop(): Promise<void> }> {
  let child = await launch(env, url);
  const killChild = () => child.kill('SIGTERM');
  process.once('exit', killChild);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const signal = async (name: NodeJS.Signals) => {
    if (exited()) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    // SIGTERM lets the server stop its own jobs; SIGKILL goes to the whole group.
    if (name === 'SIGKILL' && child.pid) process.kill(-child.pid, name);
    else child.kill(name);
    await gone;
  };
  return {
    url,
    get pid() {
      return child.pid;
    },
    stop: async () => {
      process.off('exit', killChild);
      // The server stops its jobs (ffmpeg, temporary folders) on SIGTERM before it exits.
      await signal('SIGTERM');
    },
    kill: () => signal('SIGKILL'),
    restart: async () => {
      if (exited()) child = await launch(env, url);
    },
  };
}

async function launch(env: NodeJS.ProcessEnv, url: string) {
  // Its own process group: a kill takes its ffmpeg runs with it, as a crashed container's would.
  const child = spawn(process.execPath, [server], { env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the transcoder exited with code ${child.exitCode} while starting`);
    const ready = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ready) return child;
    if (attempt === 100) throw new Error(`the transcoder did not answer on ${url} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A callback request's event, and whether it is signed with `callbackSecret` and fresh (see `verifyEvent`). */
export async function receiveEvent(request: IncomingMessage, callbackSecret: string): Promise<{ event: TranscodeEvent; signed: boolean }> {
  const body = await text(request);
  const header = (name: string) => request.headers[name] as string | undefined;
  const signed = await verifyEvent(callbackSecret, header(TIMESTAMP_HEADER), body, header(SIGNATURE_HEADER), Math.floor(Date.now() / 1000));
  return { event: TranscodeEvent.parse(JSON.parse(body)), signed };
}

/** A new job (fresh ids) for a source in local S3, output beside it under `media/{videoId}/{jobId}/` and limits as the media Worker sets them. */
export function localJob(s3: LocalS3, source: TranscodeJob['source'], callbackUrl: string): TranscodeJob {
  const [jobId, videoId] = [randomUUID(), randomUUID()];
  return {
    v: 1,
    jobId,
    videoId,
    attempt: 1,
    source,
    output: { bucket: source.bucket, prefix: `media/${videoId}/${jobId}/` },
    storage: { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    limits: { maxDurationSeconds: 4 * 60 * 60, maxWidth: 3840, maxHeight: 2160 },
    callbackUrl,
  };
}
