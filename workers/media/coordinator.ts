import { DurableObject } from 'cloudflare:workers';
import { z } from 'zod';
import { log } from '../lib/log.ts';
import { withPipeline } from './context.ts';
import type { PartStatus } from '../../contracts/transcoder.ts';
import { continueTrace } from '../lib/trace.ts';
import { checkJob, stopJob, type JobCheck } from './pipeline.ts';

/** How often the coordinator asks its job's transcoder how far it got: progress is never older than this. */
const POLL_MS = 5_000;

const Watched = z.object({ videoId: z.uuid(), jobId: z.uuid() });

/** A job's plan and how far each part got, for tests and operators. */
export interface JobPlanState {
  videoId: string;
  jobId: string;
  parts: PartStatus[];
}

/**
 * The coordinator of one transcode job (a Durable Object per job id, SQLite storage). Its alarm asks
 * the job's transcoder every `POLL_MS` how far the job got and applies the answer to the video
 * (progress, playable, ready, failed), so nothing waits for the minute cron or for a callback that
 * may be lost, and keeps the job's plan: each part (some renditions of one chunk) and its state. A
 * transcoder that does not know the job or does not answer past the job's lease is
 * presumed lost with its container, and the job runs again at once, resuming its stored chunks. The
 * chunks themselves are leased by the job's transcoder (transcoder/src/pool.ts): a silent or failed
 * one runs again on another instance of the pool. A cancelled job is stopped on its transcoder, asked
 * again at every alarm until it answers.
 */
export class JobCoordinator extends DurableObject<MediaEnv> {
  /** Made at each use: `deleteAll` at a job's end drops the tables, and the same object may be asked to watch the job's next run. */
  #sql() {
    const { sql } = this.ctx.storage;
    sql.exec('CREATE TABLE IF NOT EXISTS job (id INTEGER PRIMARY KEY CHECK (id = 1), video_id TEXT NOT NULL, job_id TEXT NOT NULL, stopping INTEGER NOT NULL DEFAULT 0)');
    sql.exec(
      `CREATE TABLE IF NOT EXISTS parts (
        chunk INTEGER NOT NULL, renditions TEXT NOT NULL, start_seconds REAL NOT NULL, end_seconds REAL NOT NULL, state TEXT NOT NULL,
        PRIMARY KEY (chunk, renditions)
      )`,
    );
    return sql;
  }

  /** The job it follows, if any. */
  #job() {
    return this.#sql().exec<{ video_id: string; job_id: string; stopping: number }>('SELECT video_id, job_id, stopping FROM job').toArray()[0];
  }

  /** The job was handed to its transcoder (again, after a lost run): the checks start, or go on. */
  async watch(input: z.infer<typeof Watched>): Promise<void> {
    const { videoId, jobId } = Watched.parse(input);
    this.#sql().exec('INSERT INTO job (id, video_id, job_id) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING', videoId, jobId);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + POLL_MS);
  }

  /**
   * The job was cancelled: its alarm, due at once, stops it on its transcoder, and asks again at the
   * next ones until the transcoder answers. The cancel does not wait for ffmpeg to end.
   */
  async stop(input: z.infer<typeof Watched>): Promise<void> {
    const { videoId, jobId } = Watched.parse(input);
    this.#sql().exec('INSERT INTO job (id, video_id, job_id, stopping) VALUES (1, ?, ?, 1) ON CONFLICT (id) DO UPDATE SET stopping = 1', videoId, jobId);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** The job it follows and its plan, each part as of the last check; null once the job has ended. */
  async state(): Promise<JobPlanState | null> {
    const job = this.#job();
    if (!job) return null;
    const rows = this.#sql().exec<{ chunk: number; renditions: string; start_seconds: number; end_seconds: number; state: PartStatus['state'] }>('SELECT * FROM parts ORDER BY chunk, renditions').toArray();
    const parts = rows.map((row) => ({ chunk: row.chunk, renditions: row.renditions.split(' '), startSeconds: row.start_seconds, endSeconds: row.end_seconds, state: row.state }));
    return { videoId: job.video_id, jobId: job.job_id, parts };
  }

  override async alarm(): Promise<void> {
    const job = this.#job();
    if (!job) return;
    if (job.stopping) return this.#stop(job.job_id);
    let check: JobCheck = { running: true };
    try {
      check = await withPipeline(this.env, (pipeline) => checkJob(pipeline, job.video_id, job.job_id));
    } catch (error) {
      // The database or the transcoder did not answer: asked again at the next check, as long as it takes.
      log('warn', 'job check failed', { videoId: job.video_id, jobId: job.job_id, error: String(error) });
    }
    // A finished job's coordinator forgets it; a job run again is watched anew when it is claimed.
    if (!check.running) {
      // A cancelled job is stopped on its transcoder before it is forgotten: its cancel's stop may
      // have come before the job reached the transcoder (a second stop changes nothing).
      if (check.cancelled || this.#job()?.stopping) return this.#stop(job.job_id);
      return this.ctx.storage.deleteAll();
    }
    const sql = this.#sql();
    for (const part of check.parts ?? []) {
      // Only a part whose state changed is written.
      sql.exec(
        `INSERT INTO parts (chunk, renditions, start_seconds, end_seconds, state) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (chunk, renditions) DO UPDATE SET state = excluded.state WHERE parts.state <> excluded.state`,
        part.chunk,
        part.renditions.join(' '),
        part.startSeconds,
        part.endSeconds,
        part.state,
      );
    }
    await this.ctx.storage.setAlarm(Date.now() + POLL_MS);
  }

  async #stop(jobId: string): Promise<void> {
    try {
      await withPipeline(this.env, (pipeline) => stopJob(pipeline, jobId, continueTrace(null).traceparent));
      await this.ctx.storage.deleteAll();
    } catch (error) {
      log('warn', 'the cancelled job could not be stopped yet', { jobId, error: String(error) });
      await this.ctx.storage.setAlarm(Date.now() + POLL_MS);
    }
  }
}
