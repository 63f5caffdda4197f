import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { TaskLine, TranscoderError, type ChunkManifest, type ChunkTask } from '../../contracts/transcoder.ts';
import { JobFailure } from './failure.ts';
import { log } from './log.ts';

/** Tries of one chunk, each on the least busy transcoder (another one after a failure, when there is one), before the job fails. */
const TASK_ATTEMPTS = 3;
/** A transcoder that sends no line for this long (it reports progress every second) is presumed lost. */
const SILENCE_MS = 30_000;
/** A transcoder a chunk failed on gets no other chunk for this long while another one can take it. */
const REST_MS = 10_000;

/**
 * The transcoders a job sends its chunks to (`POST /tasks`), this one included: N local processes,
 * or this container alone until the media Worker's coordinator dispatches over many. A chunk that
 * fails, or whose transcoder dies or goes silent, runs again alone on another one.
 */
export class TaskPool {
  readonly #members: Array<{ url: string; running: number; failedAt: number }>;

  constructor(urls: readonly string[]) {
    if (urls.length === 0) throw new Error('a pool has at least one transcoder');
    this.#members = urls.map((url) => ({ url, running: 0, failedAt: 0 }));
  }

  async runChunk(task: ChunkTask, signal: AbortSignal, onProgress: (seconds: number) => void): Promise<ChunkManifest> {
    for (let attempt = 1; ; attempt++) {
      const member = this.#pick();
      member.running++;
      try {
        return await runOn(member.url, task, signal, onProgress);
      } catch (error) {
        if (signal.aborted || (error instanceof JobFailure && !error.retryable)) throw error;
        const fields = { jobId: task.jobId, chunk: task.chunk.index, transcoder: member.url, attempt, error: String(error) };
        if (attempt === TASK_ATTEMPTS) {
          log('error', 'chunk failed on every try', fields);
          throw new JobFailure('transcode_failed', `Chunk ${task.chunk.index} of the video failed ${TASK_ATTEMPTS} times (last: ${error instanceof Error ? error.message : String(error)}).`, true);
        }
        log('warn', 'chunk failed; running it again', fields);
        member.failedAt = Date.now();
      } finally {
        member.running--;
      }
    }
  }

  /** The least busy transcoder, among those no chunk failed on lately when there are some. */
  #pick() {
    const rested = this.#members.filter((member) => Date.now() - member.failedAt > REST_MS);
    return (rested.length > 0 ? rested : this.#members).reduce((best, member) => (member.running < best.running ? member : best));
  }
}

async function runOn(url: string, task: ChunkTask, signal: AbortSignal, onProgress: (seconds: number) => void): Promise<ChunkManifest> {
  const silence = new AbortController();
  let timer = setTimeout(() => silence.abort(), SILENCE_MS);
  const heard = () => {
    clearTimeout(timer);
    timer = setTimeout(() => silence.abort(), SILENCE_MS);
  };
  try {
    const response = await fetch(new URL('/tasks', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(task),
      signal: AbortSignal.any([signal, silence.signal]),
    });
    if (!response.ok || !response.body) {
      const body = TranscoderError.safeParse(await response.json().catch(() => undefined));
      const message = body.success ? body.data.error.message : `the transcoder at ${url} answered ${response.status}`;
      // A task it refuses as invalid would be refused everywhere.
      throw new JobFailure('transcode_failed', message, response.status !== 400);
    }
    for await (const line of createInterface({ input: Readable.fromWeb(response.body) })) {
      heard();
      const parsed = TaskLine.parse(JSON.parse(line));
      if ('seconds' in parsed) onProgress(parsed.seconds);
      else if ('manifest' in parsed) return parsed.manifest;
      else throw new JobFailure(parsed.error.code, parsed.error.message, parsed.error.retryable);
    }
    throw new Error(`the transcoder at ${url} stopped answering before the chunk was done`);
  } catch (error) {
    if (silence.signal.aborted && !signal.aborted) throw new Error(`the transcoder at ${url} sent nothing for ${SILENCE_MS / 1000} s`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
