import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { vi } from 'vitest';
import { startS3, type LocalS3 } from '../../scripts/services/s3.ts';
import { localJob, receiveEvent, startTranscoder, type LocalTranscoder } from '../../scripts/services/transcoder.ts';
import { storageAt } from '../../workers/lib/storage.ts';
import type { TranscodeEvent, TranscodeJob } from '../../contracts/transcoder.ts';

const run = promisify(execFile);
export const BUCKET = 'media';
export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** One callback request as the receiver saw it. */
export interface Delivery {
  event: TranscodeEvent;
  traceparent: string | undefined;
  status: number;
}

/**
 * A transcoder process, s3rver and a callback receiver that verifies every signature (a forged or
 * stale callback is answered 401 and fails `expectAllSigned`).
 */
export interface Harness {
  transcoder: LocalTranscoder;
  s3: LocalS3;
  storage: S3Client;
  /** The transcoder's TRANSCODER_WORK_DIR. */
  workDir: string;
  deliveries: Delivery[];
  /** Answers the next `count` deliveries of this event type with `status` instead of 204. */
  refuseNext(type: TranscodeEvent['type'], count: number, status: number): void;
  jobFor(sourceKey: string, overrides?: Partial<TranscodeJob>): TranscodeJob;
  post(job: unknown, traceparent?: string): Promise<Response>;
  waitForFinal(jobId: string, timeoutMs?: number): Promise<TranscodeEvent>;
  /** The first delivered event of one of these types. */
  waitForEvent(jobId: string, types: Array<TranscodeEvent['type']>, timeoutMs?: number): Promise<TranscodeEvent>;
  eventsOf(jobId: string): TranscodeEvent[];
  keysUnder(prefix: string): Promise<string[]>;
  read(key: string): Promise<{ body: Buffer; contentType: string | undefined; cacheControl: string | undefined }>;
  put(key: string, body: Buffer | string): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(options: { progressIntervalMs?: number } = {}): Promise<Harness> {
  const workDir = await mkdtemp(join(tmpdir(), 'kce-transcoder-test-'));
  const s3 = await startS3({ buckets: [BUCKET] });
  // Two ffmpeg runs at a time over two transcoders whatever the machine, so what the tests see does not depend on its cores.
  const transcoder = await startTranscoder({ workDir, progressIntervalMs: options.progressIntervalMs, chunkConcurrency: 2, members: 2 });
  const storage = storageAt({ ...s3, bucket: BUCKET }).s3;

  const deliveries: Delivery[] = [];
  const refusals: Array<{ type: string; status: number }> = [];
  const receiver = await listen(async (request, response) => {
    const { event, signed } = await receiveEvent(request, transcoder.callbackSecret);
    const refusal = refusals.findIndex((r) => r.type === event.type);
    const status = !signed ? 401 : refusal >= 0 ? refusals.splice(refusal, 1)[0]!.status : 204;
    deliveries.push({ event, traceparent: request.headers.traceparent as string | undefined, status });
    response.writeHead(status).end();
  });
  const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/transcoder-events`;

  const eventsOf = (jobId: string) => deliveries.filter((d) => d.event.jobId === jobId && d.status === 204).map((d) => d.event);
  const waitForEvent = (jobId: string, types: Array<TranscodeEvent['type']>, timeoutMs = 60_000) =>
    vi.waitFor(
      () => {
        const event = eventsOf(jobId).find((delivered) => types.includes(delivered.type));
        if (!event) throw new Error(`no ${types.join(' or ')} event for job ${jobId} yet`);
        return event;
      },
      { timeout: timeoutMs, interval: 50 },
    );
  return {
    transcoder,
    s3,
    storage,
    workDir,
    deliveries,
    refuseNext: (type, count, status) => refusals.push(...Array.from({ length: count }, () => ({ type, status }))),
    jobFor: (sourceKey, overrides = {}) => ({ ...localJob(s3, { bucket: BUCKET, key: sourceKey }, callbackUrl), ...overrides }),
    post: (job, traceparent = TRACEPARENT) =>
      fetch(`${transcoder.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent }, body: JSON.stringify(job) }),
    waitForFinal: (jobId, timeoutMs) => waitForEvent(jobId, ['ready', 'failed'], timeoutMs),
    waitForEvent,
    eventsOf,
    keysUnder: async (prefix) => {
      const listed = await storage.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key!).sort();
    },
    read: async (key) => {
      const object = await storage.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return { body: Buffer.from(await object.Body!.transformToByteArray()), contentType: object.ContentType, cacheControl: object.CacheControl };
    },
    put: async (key, body) => {
      await storage.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    },
    stop: async () => {
      await transcoder.stop();
      await new Promise((resolve) => receiver.close(resolve));
      storage.destroy();
      await s3.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

export function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * A short test clip from ffmpeg's generators (ultrafast, so making it costs little): `testsrc2`
 * picture and, unless `audio` is false, a `sine` tone encoded with the given codec.
 */
export async function makeClip(options: { width: number; height: number; seconds: number; audio?: { codec: 'aac' | 'libmp3lame'; channels: number } | false; picture?: boolean }): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'kce-clip-'));
  try {
    const file = join(dir, options.picture === false ? 'clip.m4a' : 'clip.mp4');
    const audio = options.audio ?? { codec: 'aac', channels: 2 };
    const args = ['-hide_banner', '-loglevel', 'error'];
    if (options.picture !== false) args.push('-f', 'lavfi', '-i', `testsrc2=size=${options.width}x${options.height}:rate=30`);
    if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
    args.push('-t', String(options.seconds));
    if (options.picture !== false) args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
    if (audio) args.push('-c:a', audio.codec, '-ac', String(audio.channels));
    await run('ffmpeg', [...args, file]);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The ffmpeg processes working in `workDir`, found through /proc (the transcoder's children). */
export async function ffmpegProcessesIn(workDir: string): Promise<number[]> {
  return (await ffmpegRunsIn(workDir)).map((run) => run.pid);
}

/** The ffmpeg processes working in `workDir`, with their arguments and the transcoder that started them. */
export async function ffmpegRunsIn(workDir: string): Promise<Array<{ pid: number; parent: number; args: string[] }>> {
  const runs: Array<{ pid: number; parent: number; args: string[] }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [executable, commandLine, stat] = await Promise.all([
      readlink(`/proc/${entry}/exe`).catch(() => ''),
      readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''),
      readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''),
    ]);
    // stat: "pid (comm) state ppid ...", and comm may hold spaces.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (executable.endsWith('/ffmpeg') && commandLine.includes(workDir)) runs.push({ pid: Number(entry), parent, args: commandLine.split('\0') });
  }
  return runs;
}

/** What a running job leaves on the machine, sampled until stopped: temporary folders and ffmpeg processes. */
export function watchWork(workDir: string): {
  stop(): Promise<{ folders: Set<string>; ffmpegs: Set<number>; chunkStarts: Set<number>; chunkRuns: Map<number, { start: number; parent: number }> }>;
  /** The chunk runs seen so far. */
  readonly chunkRuns: ReadonlyMap<number, { start: number; parent: number }>;
} {
  const folders = new Set<string>();
  const ffmpegs = new Set<number>();
  /** The `-ss` of each chunk run seen: which chunks were encoded. */
  const chunkStarts = new Set<number>();
  /** Each chunk run seen (by process id): its `-ss` and the transcoder that ran it. */
  const chunkRuns = new Map<number, { start: number; parent: number }>();
  let watching = true;
  const sampling = (async () => {
    while (watching) {
      for (const folder of await readdir(workDir)) folders.add(folder);
      for (const { pid, parent, args } of await ffmpegRunsIn(workDir)) {
        ffmpegs.add(pid);
        const start = args.indexOf('-ss');
        if (start < 0) continue;
        chunkStarts.add(Number(args[start + 1]));
        chunkRuns.set(pid, { start: Number(args[start + 1]), parent });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      watching = false;
      await sampling;
      return { folders, ffmpegs, chunkStarts, chunkRuns };
    },
    chunkRuns,
  };
}
