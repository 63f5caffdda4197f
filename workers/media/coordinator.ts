import { DurableObject } from 'cloudflare:workers';
import { z } from 'zod';
import { log } from '../lib/log.ts';
import { withPipeline } from './context.ts';
import { checkJob, type JobCheck } from './pipeline.ts';

/** How often the coordinator asks its job's transcoder how far it got: progress is never older than this. */
const POLL_MS = 5_000;

export const Watched = z.object({ videoId: z.uuid(), jobId: z.uuid() });

/**
 * The coordinator of one transcode job (a Durable Object per job id, SQLite storage). Its alarm asks
 * the job's transcoder every `POLL_MS` how far the job got and applies the answer to the video
 * (progress, playable, ready, failed), so nothing waits for the minute cron or for a callback that
 * may be lost; a transcoder that does not know the job or does not answer past the job's lease is
 * presumed lost with its container, and the job runs again at once, resuming its stored chunks. The
 * chunks themselves are leased by the job's transcoder (transcoder/src/pool.ts): a silent or failed
 * one runs again on another instance of the pool.
 */
export class JobCoordinator extends DurableObject<MediaEnv> {
  /** Made at each use: `deleteAll` at a job's end drops the table, and the same object may be asked to watch the job's next run. */
  #job() {
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS job (id INTEGER PRIMARY KEY CHECK (id = 1), video_id TEXT NOT NULL, job_id TEXT NOT NULL)');
    return this.ctx.storage.sql;
  }

  /** The job was handed to its transcoder (again, after a lost run): the checks start, or go on. */
  async watch(input: z.infer<typeof Watched>): Promise<void> {
    const { videoId, jobId } = Watched.parse(input);
    this.#job().exec('INSERT INTO job (id, video_id, job_id) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING', videoId, jobId);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + POLL_MS);
  }

  override async alarm(): Promise<void> {
    const [job] = this.#job().exec<{ video_id: string; job_id: string }>('SELECT video_id, job_id FROM job').toArray();
    if (!job) return;
    let result: JobCheck = 'running';
    try {
      result = await withPipeline(this.env, (pipeline) => checkJob(pipeline, job.video_id, job.job_id));
    } catch (error) {
      // The database or the transcoder did not answer: asked again at the next check, as long as it takes.
      log('warn', 'job check failed', { videoId: job.video_id, jobId: job.job_id, error: String(error) });
    }
    // A finished job's coordinator forgets it; a job run again is watched anew when it is claimed.
    if (result === 'running') await this.ctx.storage.setAlarm(Date.now() + POLL_MS);
    else await this.ctx.storage.deleteAll();
  }
}
