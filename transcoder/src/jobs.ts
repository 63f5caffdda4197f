import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { deliverEvent, postEvent } from './callbacks.ts';
import type { JobState, JobStatus, PartStatus, PlayableResult, TranscodeEvent, TranscodeJob } from '../../contracts/transcoder.ts';
import { asJobFailure } from './failure.ts';
import { log } from './log.ts';
import type { TaskPool } from './pool.ts';
import { openStorage, removeOutputs } from './storage.ts';
import { transcode } from './transcode.ts';

export interface JobsSettings {
  callbackSecret: string;
  /** Where each job gets its temporary folder. */
  workDir: string;
  /** At most one progress callback per this many milliseconds. */
  progressIntervalMs: number;
  /** How many ffmpeg processes a job runs at once (its chunks and its whole-file pass). */
  chunkConcurrency: number;
  /** Where a job's chunks are encoded. */
  pool: TaskPool;
}

/** How long a finished job answers `GET /jobs/:jobId`, for a caller that missed its final callback. */
const FINISHED_JOB_RETENTION_MS = 60 * 60 * 1000;

interface Job {
  spec: TranscodeJob;
  traceparent: string | undefined;
  state: JobState;
  percent: number;
  /** The plan's parts by chunk and renditions, once the source is probed. */
  parts: Map<string, PartStatus>;
  /** Once the video can be watched while it is encoded. */
  playable?: PlayableResult;
  /** The `ready` or `failed` event, once finished. */
  outcome?: TranscodeEvent;
  cancel: AbortController;
  finished: Promise<void>;
  /** Callbacks go out one at a time, in order: a late progress event never follows `ready`. */
  callbacks: Promise<void>;
  progressSent: { at: number; percent: number; pending: boolean };
}

/** The jobs this transcoder runs or has recently finished, by jobId. */
export class Jobs {
  readonly #settings: JobsSettings;
  readonly #jobs = new Map<string, Job>();

  constructor(settings: JobsSettings) {
    this.#settings = settings;
  }

  /**
   * Starts a job unless it is known: a repeated request (a redelivered queue message) never runs
   * ffmpeg twice; for a finished job it sends the final event again. `conflict` when the jobId is
   * known for another video.
   */
  start(spec: TranscodeJob, traceparent: string | undefined): 'accepted' | 'conflict' {
    const known = this.#jobs.get(spec.jobId);
    if (known) {
      if (known.spec.videoId !== spec.videoId) return 'conflict';
      if (known.outcome) this.#deliver(known, known.outcome);
      return 'accepted';
    }
    const job: Job = {
      spec,
      traceparent,
      state: 'running',
      percent: 0,
      parts: new Map(),
      cancel: new AbortController(),
      finished: Promise.resolve(),
      callbacks: Promise.resolve(),
      progressSent: { at: 0, percent: -1, pending: false },
    };
    this.#jobs.set(spec.jobId, job);
    log('info', 'job accepted', { jobId: spec.jobId, videoId: spec.videoId, attempt: spec.attempt, traceparent });
    job.finished = this.#run(job);
    return 'accepted';
  }

  status(jobId: string): JobStatus | undefined {
    const job = this.#jobs.get(jobId);
    if (!job) return undefined;
    const { outcome } = job;
    return {
      jobId,
      state: job.state,
      percent: job.percent,
      parts: job.parts.size > 0 ? [...job.parts.values()] : undefined,
      playable: job.playable,
      result: outcome?.type === 'ready' ? outcome.result : undefined,
      error: outcome?.type === 'failed' ? outcome.error : undefined,
    };
  }

  /** Stops the job (ffmpeg killed, its folder removed) and deletes its outputs; false when unknown. */
  async cancel(jobId: string): Promise<boolean> {
    const job = this.#jobs.get(jobId);
    if (!job) return false;
    job.cancel.abort();
    await job.finished;
    const s3 = openStorage(job.spec.storage);
    try {
      await removeOutputs(s3, job.spec.output);
    } finally {
      s3.destroy();
    }
    this.#jobs.delete(jobId);
    log('info', 'job cancelled', { jobId, traceparent: job.traceparent });
    return true;
  }

  /** On SIGTERM: no ffmpeg outlives the server and no temporary folder stays behind. */
  async shutdown(): Promise<void> {
    for (const job of this.#jobs.values()) job.cancel.abort();
    await Promise.all([...this.#jobs.values()].map((job) => job.finished));
  }

  async #run(job: Job): Promise<void> {
    const { signal } = job.cancel;
    const fields = { jobId: job.spec.jobId, videoId: job.spec.videoId, traceparent: job.traceparent };
    let workDir: string | undefined;
    let outcome: TranscodeEvent;
    try {
      workDir = await mkdtemp(join(this.#settings.workDir, `job-${job.spec.jobId}-`));
      const result = await transcode(job.spec, workDir, { concurrency: this.#settings.chunkConcurrency, pool: this.#settings.pool }, signal, {
        onProgress: (percent) => this.#progress(job, percent),
        onPlayable: (playable) => {
          job.playable = playable;
          this.#deliver(job, { ...this.#event(job), type: 'playable', result: playable });
          log('info', 'job playable', { ...fields, renditions: playable.renditions.map((r) => r.name) });
        },
        onPart: (part) => job.parts.set(`${part.chunk} ${part.renditions.join(' ')}`, part),
        onPublishing: () => {
          job.state = 'uploading';
          job.percent = 100;
        },
      });
      outcome = { ...this.#event(job), type: 'ready', result };
      log('info', 'job done', { ...fields, renditions: result.renditions.map((r) => r.name) });
    } catch (error) {
      if (signal.aborted) return;
      const failure = asJobFailure(error).toJSON();
      outcome = { ...this.#event(job), type: 'failed', error: failure };
      log(failure.retryable ? 'error' : 'info', 'job failed', { ...fields, error: failure });
    } finally {
      if (workDir) await rm(workDir, { recursive: true, force: true });
    }
    job.state = outcome.type === 'ready' ? 'done' : 'failed';
    job.outcome = outcome;
    this.#deliver(job, outcome);
    setTimeout(() => {
      if (this.#jobs.get(job.spec.jobId) === job) this.#jobs.delete(job.spec.jobId);
    }, FINISHED_JOB_RETENTION_MS).unref();
  }

  #event(job: Job): Pick<TranscodeEvent, 'v' | 'jobId' | 'videoId' | 'attempt'> {
    return { v: 1, jobId: job.spec.jobId, videoId: job.spec.videoId, attempt: job.spec.attempt };
  }

  /** Progress goes out when it moved, at most once per interval, and not while the previous one is still on its way. */
  #progress(job: Job, percent: number): void {
    job.percent = Math.max(job.percent, percent);
    const sent = job.progressSent;
    if (sent.pending || job.percent <= sent.percent || Date.now() - sent.at < this.#settings.progressIntervalMs) return;
    Object.assign(sent, { at: Date.now(), percent: job.percent, pending: true });
    const event: TranscodeEvent = { ...this.#event(job), type: 'progress', percent: job.percent };
    job.callbacks = job.callbacks.then(async () => {
      try {
        await postEvent(job.spec.callbackUrl, this.#settings.callbackSecret, event, job.traceparent);
      } catch (error) {
        log('warn', 'progress callback failed', { jobId: job.spec.jobId, error: String(error) });
      } finally {
        sent.pending = false;
      }
    });
  }

  /** An event that must arrive (playable, ready, failed), after those before it. */
  #deliver(job: Job, event: TranscodeEvent): void {
    job.callbacks = job.callbacks.then(() => deliverEvent(job.spec.callbackUrl, this.#settings.callbackSecret, event, job.traceparent, job.cancel.signal));
  }
}
