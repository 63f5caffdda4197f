import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { z } from 'zod';
import { ChunkTask, TranscodeJob, type JobAccepted, type JobStatus, type TaskLine, type TranscoderError } from '../../contracts/transcoder.ts';
import { asJobFailure, JobFailure } from './failure.ts';
import { Jobs, type JobsSettings } from './jobs.ts';
import { log } from './log.ts';
import { TaskPool } from './pool.ts';
import { runChunkTask, Slots } from './tasks.ts';

const run = promisify(execFile);

/** The environment, checked once at start-up: a missing secret stops the server with one clear error. */
const Settings = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Signs every callback; the media Worker verifies with the same secret. */
  TRANSCODER_CALLBACK_SECRET: z.string().min(16, 'TRANSCODER_CALLBACK_SECRET must be at least 16 characters'),
  TRANSCODER_WORK_DIR: z.string().min(1).default(tmpdir()),
  TRANSCODER_PROGRESS_INTERVAL_MS: z.coerce.number().int().positive().default(2000),
  /** A job's runs at once: its chunks on the pool and its whole-file passes here; by default the pool's size. */
  TRANSCODER_CHUNK_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /** The transcoders this one sends its jobs' chunks to, comma-separated; itself alone when absent. */
  TRANSCODER_POOL: z
    .string()
    .optional()
    .transform((list) => list?.split(',').map((url) => url.trim()).filter(Boolean))
    .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1).optional()),
  /** Chunk tasks this transcoder runs at once; more wait their turn. */
  TRANSCODER_TASK_SLOTS: z.coerce.number().int().positive().default(1),
  /** ffmpeg threads of a chunk task: its container's cores, or its share of them where transcoders share a machine. */
  TRANSCODER_TASK_THREADS: z.coerce.number().int().positive().default(availableParallelism()),
});

const MAX_BODY_BYTES = 64 * 1024;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The ffmpeg version line, read once; a transcoder without ffmpeg reports itself unhealthy. */
async function ffmpegVersion(): Promise<string> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-version']);
  return stdout.split('\n')[0] ?? 'ffmpeg (unknown version)';
}

class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body_too_large', `A job description is at most ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_job', 'The body is not JSON.');
  }
}

/** How often a chunk task reports how far it got (its heartbeat, see pool.ts). */
const TASK_PROGRESS_MS = 1_000;

export function startTranscoderServer(settings: Omit<JobsSettings, 'pool'> & { port: number; host: string; pool?: string[]; taskSlots: number; taskThreads: number }): Promise<{ server: Server; jobs: Jobs; shutdown(): Promise<void> }> {
  const version = ffmpegVersion();
  version.catch(() => undefined);
  const jobs = new Jobs({ ...settings, pool: new TaskPool(settings.pool ?? [`http://127.0.0.1:${settings.port}`]) });
  const slots = new Slots(settings.taskSlots);
  /** Aborted on shutdown: every chunk task stops. */
  const tasks = new AbortController();
  const running = new Set<Promise<void>>();

  const server = createServer(async (request, response) => {
    const header = request.headers['traceparent'];
    const traceparent = typeof header === 'string' && TRACEPARENT.test(header) ? header : undefined;
    const { pathname } = new URL(request.url ?? '/', 'http://transcoder');
    const jobId = /^\/jobs\/([^/]+)$/.exec(pathname)?.[1];
    const reply = (status: number, body?: JobAccepted | JobStatus | TranscoderError | { ok: boolean; ffmpeg?: string; error?: string }) => {
      response.writeHead(status, body ? { 'content-type': 'application/json' } : {});
      response.end(body ? JSON.stringify(body) : undefined);
    };
    try {
      if (request.method === 'GET' && pathname === '/health') {
        try {
          reply(200, { ok: true, ffmpeg: await version });
        } catch (error) {
          reply(503, { ok: false, error: `ffmpeg is not available: ${String(error)}` });
        }
      } else if (request.method === 'POST' && pathname === '/jobs') {
        const parsed = TranscodeJob.safeParse(await readJson(request));
        if (!parsed.success) throw new HttpError(400, 'invalid_job', z.prettifyError(parsed.error));
        if (jobs.start(parsed.data, traceparent) === 'conflict') {
          throw new HttpError(409, 'job_conflict', `Job ${parsed.data.jobId} is already running for another video.`);
        }
        reply(202, { jobId: parsed.data.jobId, state: 'accepted' });
      } else if (request.method === 'POST' && pathname === '/tasks') {
        const parsed = ChunkTask.safeParse(await readJson(request));
        if (!parsed.success) throw new HttpError(400, 'invalid_task', z.prettifyError(parsed.error));
        const task = runTask(parsed.data, response);
        running.add(task);
        await task.finally(() => running.delete(task));
      } else if (request.method === 'GET' && jobId) {
        const status = jobs.status(jobId);
        if (!status) throw new HttpError(404, 'job_not_found', `This transcoder has no job ${jobId}.`);
        reply(200, status);
      } else if (request.method === 'DELETE' && jobId) {
        if (!(await jobs.cancel(jobId))) throw new HttpError(404, 'job_not_found', `This transcoder has no job ${jobId}.`);
        reply(204);
      } else {
        throw new HttpError(404, 'not_found', `There is no ${request.method} ${pathname}.`);
      }
    } catch (error) {
      if (error instanceof HttpError) {
        reply(error.status, { error: { code: error.code, message: error.message } });
      } else if (error instanceof JobFailure) {
        // Cancelling could not delete the outputs (storage unreachable): the caller asks again later.
        reply(503, { error: { code: error.code, message: error.message } });
      } else {
        log('error', 'request failed', { traceparent, method: request.method, path: pathname, error: String(error) });
        reply(500, { error: { code: 'internal_error', message: 'The transcoder failed to answer this request.' } });
      }
    }
    log('info', 'request', { traceparent, method: request.method, path: pathname, status: response.statusCode });
  });
  /**
   * Answers 200 at once, then one line a second while the task waits or runs, then its outcome. A
   * client that goes away (its job cancelled or its transcoder killed) stops it.
   */
  async function runTask(task: ChunkTask, response: ServerResponse): Promise<void> {
    const gone = new AbortController();
    response.on('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, tasks.signal]);
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const send = (line: TaskLine) => response.write(`${JSON.stringify(line)}\n`);
    let seconds = 0;
    const heartbeat = setInterval(() => send({ seconds }), TASK_PROGRESS_MS);
    const fields = { jobId: task.jobId, chunk: task.chunk.index };
    try {
      const manifest = await runChunkTask(task, {
        workDir: settings.workDir,
        slots,
        threads: settings.taskThreads,
        signal,
        onProgress: (done) => {
          seconds = done;
        },
      });
      send({ manifest });
    } catch (error) {
      if (signal.aborted) return void log('info', 'chunk task stopped', fields);
      const failure = asJobFailure(error).toJSON();
      log('warn', 'chunk task failed', { ...fields, error: failure });
      send({ error: failure });
    } finally {
      clearInterval(heartbeat);
      response.end();
    }
  }

  /** On SIGTERM: no ffmpeg outlives the server and no temporary folder stays behind. */
  const shutdown = async () => {
    tasks.abort();
    await Promise.all([jobs.shutdown(), ...running]);
  };
  return new Promise((resolve) => server.listen(settings.port, settings.host, () => resolve({ server, jobs, shutdown })));
}

if (import.meta.main) {
  const parsed = Settings.safeParse(process.env);
  if (!parsed.success) {
    console.error(`The transcoder's environment is invalid:\n${z.prettifyError(parsed.error)}`);
    process.exit(1);
  }
  const env = parsed.data;
  const { shutdown } = await startTranscoderServer({
    port: env.PORT,
    host: env.HOST,
    callbackSecret: env.TRANSCODER_CALLBACK_SECRET,
    workDir: env.TRANSCODER_WORK_DIR,
    progressIntervalMs: env.TRANSCODER_PROGRESS_INTERVAL_MS,
    chunkConcurrency: env.TRANSCODER_CHUNK_CONCURRENCY ?? env.TRANSCODER_POOL?.length ?? 1,
    pool: env.TRANSCODER_POOL,
    taskSlots: env.TRANSCODER_TASK_SLOTS,
    taskThreads: env.TRANSCODER_TASK_THREADS,
  });
  log('info', `transcoder listening on ${env.PORT}`);
  process.once('SIGTERM', () => {
    void shutdown().then(() => process.exit(0));
  });
}
