/**
 * The video's life, one named step each: created (`createUpload`), uploaded (`markUploaded`) or
 * cancelled (`cancelUpload`), claimed (`startTranscode`), progress, playable while it is encoded,
 * ready or failed (`recordEvent`), run again (`sweep`), its processing cancelled (`cancelTranscode`,
 * the job stopped by `stopJob`) or retried (`retryTranscode`). Only these write a local video's row;
 * the api reaches them over RPC.
 */

import { and, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Redis } from '@upstash/redis/cloudflare';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { videos } from '../../db/schema.ts';
import { mayRetry } from '../../contracts/media.ts';
import { JobStatus, TranscodeEvent, type PartStatus, type PlayableResult, type TranscodeFailure, type TranscodeJob, type TranscodeResult } from '../../contracts/transcoder.ts';
import { changingCatalog } from '../api/catalog/cache.ts';
import { touchCourse } from '../api/catalog/courses.ts';
import { attachUpload, isShown, showPrevious, showVideo } from '../api/catalog/lesson-videos.ts';
import { replicateCourse } from '../api/catalog/replication.ts';
import { loadVideo } from '../api/videos/playback.ts';
import type { NewVideo, NotificationMessage, VideoJob } from '../lib/contracts.ts';
import { AppError } from '../lib/errors.ts';
import { log } from '../lib/log.ts';
import { continueTrace } from '../lib/trace.ts';
import type { TranscoderFetch } from './transcoder.ts';

/** A queued video whose job message has not been taken for this long is queued again (the message was lost). */
export const LEASE_SECONDS = 120;
/**
 * A running job whose transcoder has not answered for this long (its coordinator asks every 5 s,
 * and each answer renews it) is presumed lost with its container, and runs again.
 */
export const JOB_LEASE_SECONDS = 30;
/** Runs of one source before it is failed for good. */
export const MAX_ATTEMPTS = 3;
const LIMITS: TranscodeJob['limits'] = { maxDurationSeconds: 4 * 60 * 60, maxWidth: 3840, maxHeight: 2160 };

export type Video = typeof videos.$inferSelect;

/** What the pipeline needs from its Worker: the database, the catalog cache, the transcoder, the queues and where things are. */
export interface Pipeline {
  db: NeonDatabase;
  cache: Redis;
  jurisdiction: string;
  /** The other jurisdictions' `content-sync` queues: a ready lesson video changes the course there too. */
  contentSync: readonly Queue[];
  transcoder: TranscoderFetch;
  /** Starts the job's coordinator (coordinator.ts), which follows the job until it ends. */
  coordinate(job: { videoId: string; jobId: string }): Promise<void>;
  /** Has the job's coordinator stop it on its transcoder, asking again until it is stopped. */
  stop(job: { videoId: string; jobId: string }): Promise<void>;
  storage: TranscodeJob['storage'] & { bucket: string };
  callbackUrl: string;
  videoJobs: Queue;
  notifications: Queue;
}

const leaseFromNow = (seconds = LEASE_SECONDS) => sql`now() + make_interval(secs => ${seconds})`;
const jobLeaseFromNow = () => leaseFromNow(JOB_LEASE_SECONDS);
/** A transcoder job runs for these; `playable` ones are watched already. */
const TRANSCODING: Array<Video['status']> = ['processing', 'playable'];
/** A status as a refusal says it: `awaiting upload`. */
const inWords = (status: Video['status']) => status.replace('_', ' ');
/** Uploaded and not finished: what a cancel stops. */
const UNFINISHED: Array<Video['status']> = ['uploaded', 'queued', ...TRANSCODING];
/** What a job that will not finish leaves: nothing of it is played any more. */
const UNPUBLISHED = { outputPrefix: null, masterKey: null } as const;

/** Where a job publishes: the media route's tokens grant exactly this folder. */
const outputPrefixOf = (videoId: string, jobId: string) => `media/${videoId}/${jobId}/`;

/** `raw/{videoId}/...`: the video an R2 event notification is about, if it is a source upload. */
export function videoIdOfSourceKey(key: string): string | undefined {
  return /^raw\/([0-9a-f-]{36})\//.exec(key)?.[1];
}

/** Created: the row; a lesson without a video shows it at once, between catalog generation bumps. */
export async function createUpload(pipeline: Pipeline, upload: NewVideo): Promise<void> {
  const { v: _v, traceparent: _traceparent, ...fields } = upload;
  const insert = () => pipeline.db.insert(videos).values({ ...fields, originJurisdiction: pipeline.jurisdiction });
  const { lessonId } = upload;
  if (!lessonId) return void (await insert());
  await changingCatalog(pipeline.cache, async () => {
    await insert();
    await attachUpload(pipeline.db, { id: upload.id, courseId: upload.courseId, lessonId });
  });
}

/**
 * Uploaded (storage has the whole file): `awaiting_upload → uploaded → queued`, queued with a lease
 * before its job message is sent, so the sweep sends it again if the send is lost. Repeating it
 * queues nothing more. Returns the video as it now is.
 */
export async function markUploaded(pipeline: Pipeline, videoId: string, traceparent: string): Promise<Video> {
  await pipeline.db
    .update(videos)
    .set({ status: 'uploaded', uploadId: null, updatedAt: new Date() })
    .where(and(eq(videos.id, videoId), eq(videos.status, 'awaiting_upload')));
  const [queued] = await pipeline.db
    .update(videos)
    .set({ status: 'queued', leaseExpiresAt: leaseFromNow(), updatedAt: new Date() })
    .where(and(eq(videos.id, videoId), eq(videos.status, 'uploaded')))
    .returning();
  if (queued) await pipeline.videoJobs.send({ v: 1, traceparent, kind: 'video', videoId } satisfies VideoJob);
  return queued ?? loadVideo(pipeline.db, videoId);
}

/**
 * Cancelled before its upload finished: the row goes. A lesson that showed it (attached at upload)
 * is empty again through the foreign key, so then the course changed and the catalog is bumped.
 */
export async function cancelUpload(pipeline: Pipeline, videoId: string): Promise<void> {
  const video = await loadVideo(pipeline.db, videoId);
  if (video.status !== 'awaiting_upload') throw new AppError('upload_complete', `The upload is already complete (the video is ${video.status}).`);
  const shown = await isShown(pipeline.db, video.id);
  const cancel = () =>
    pipeline.db.transaction(async (tx) => {
      const [deleted] = await tx.delete(videos).where(and(eq(videos.id, video.id), eq(videos.status, 'awaiting_upload'))).returning({ id: videos.id });
      if (deleted && shown) await touchCourse(tx, video.courseId);
    });
  await (shown ? changingCatalog(pipeline.cache, cancel) : cancel());
}

/**
 * Claims the video and starts a transcoder job for it. Only a `queued` or `uploaded` video is
 * claimed, and the claim is one conditional UPDATE: a duplicate message finds it `processing` (or
 * done) and changes nothing, so a source is transcoded once. `fromStorageEvent` also accepts a video
 * whose client never called complete: storage has told us the object is there.
 */
export async function startTranscode(pipeline: Pipeline, videoId: string, traceparent: string, fromStorageEvent = false): Promise<void> {
  const claimable: Array<Video['status']> = fromStorageEvent ? ['awaiting_upload', 'uploaded', 'queued'] : ['uploaded', 'queued'];
  // A job whose transcoder was lost keeps its id: its next run resumes the chunks already stored.
  const [video] = await pipeline.db
    .update(videos)
    .set({ status: 'processing', jobId: sql`coalesce(${videos.jobId}, ${crypto.randomUUID()}::uuid)`, attempts: sql`${videos.attempts} + 1`, progressPercent: 0, leaseExpiresAt: jobLeaseFromNow(), updatedAt: new Date() })
    .where(and(eq(videos.id, videoId), inArray(videos.status, claimable)))
    .returning();
  if (!video?.jobId) {
    log('info', 'video job skipped: the video is not waiting for a transcode', { videoId, traceparent });
    return;
  }
  const { jobId } = video;
  const job: TranscodeJob = {
    v: 1,
    jobId,
    videoId,
    attempt: video.attempts,
    source: { bucket: pipeline.storage.bucket, key: video.sourceKey },
    output: { bucket: pipeline.storage.bucket, prefix: outputPrefixOf(videoId, jobId) },
    storage: { endpoint: pipeline.storage.endpoint, region: pipeline.storage.region, accessKeyId: pipeline.storage.accessKeyId, secretAccessKey: pipeline.storage.secretAccessKey },
    limits: LIMITS,
    callbackUrl: pipeline.callbackUrl,
  };
  try {
    const response = await pipeline.transcoder('/jobs', { method: 'POST', traceparent, jobId, headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) });
    if (!response.ok) throw new Error(`the transcoder answered ${response.status}: ${await response.text()}`);
  } catch (error) {
    // Back to `queued`, so the redelivery of this message can claim it again.
    await pipeline.db
      .update(videos)
      .set({ status: 'queued', updatedAt: new Date() })
      .where(and(eq(videos.id, videoId), eq(videos.jobId, jobId)));
    throw error;
  }
  // Without its coordinator the job is still followed, by the minute cron: worth a warning, not a second run.
  await pipeline.coordinate({ videoId, jobId }).catch((error: unknown) => log('warn', 'the job’s coordinator could not be started', { videoId, jobId, error: String(error), traceparent }));
}

/**
 * Its processing cancelled by its uploader or the course's staff: it is no longer played (its lesson
 * goes back to the newest ready video uploaded for it, as after a failure) and its job's coordinator
 * stops the job on the transcoder, every task of it, removing what it published. The source stays in
 * storage, so the video can run again (`retryTranscode`). Returns the video as it now is.
 */
export async function cancelTranscode(pipeline: Pipeline, videoId: string): Promise<Video> {
  const cancelled = await withdrawVideo(pipeline, { status: 'cancelled', leaseExpiresAt: null }, and(eq(videos.id, videoId), inArray(videos.status, UNFINISHED)));
  if (!cancelled) {
    const video = await loadVideo(pipeline.db, videoId);
    throw new AppError('not_processing', `Only a video being processed can be cancelled; this one is ${inWords(video.status)}.`, { status: video.status });
  }
  // A queued video has no job yet, and its message finds it no longer claimable.
  if (cancelled.jobId) await pipeline.stop({ videoId, jobId: cancelled.jobId });
  return cancelled;
}

/**
 * A cancelled video, or one that failed for a reason other than its source, runs again from its
 * stored source: a new job, its attempts renewed. Returns the video as it now is.
 */
export async function retryTranscode(pipeline: Pipeline, videoId: string, traceparent: string): Promise<Video> {
  const video = await loadVideo(pipeline.db, videoId);
  if (!mayRetry(video.status, video.errorCode)) {
    const why = video.status === 'failed' ? `its source cannot be processed (${video.errorMessage ?? video.errorCode}): upload another file` : `this one is ${inWords(video.status)}`;
    throw new AppError('not_retryable', `Only a cancelled video, or one that failed for another reason than its source, can be processed again; ${why}.`, { status: video.status });
  }
  const [queued] = await pipeline.db
    .update(videos)
    .set({ status: 'queued', jobId: null, attempts: 0, progressPercent: 0, errorCode: null, errorMessage: null, leaseExpiresAt: leaseFromNow(), updatedAt: new Date() })
    .where(and(eq(videos.id, videoId), eq(videos.status, video.status)))
    .returning();
  if (!queued) throw new AppError('not_retryable', 'The video changed meanwhile: look at its status again.', { status: video.status });
  await pipeline.videoJobs.send({ v: 1, traceparent, kind: 'video', videoId } satisfies VideoJob);
  return queued;
}

/** Stops a job on its transcoder: its ffmpeg runs and its tasks end, its outputs are removed. Done as well when the transcoder no longer has it. */
export async function stopJob(pipeline: Pipeline, jobId: string, traceparent: string): Promise<void> {
  const response = await pipeline.transcoder(`/jobs/${jobId}`, { method: 'DELETE', traceparent, jobId });
  const answer = await response.text();
  if (!response.ok && response.status !== 404) throw new Error(`the transcoder answered ${response.status}: ${answer}`);
}

/** Applies a transcoder event (callback or status poll) to the job it names, if that job is still current. */
export async function recordEvent(pipeline: Pipeline, input: unknown, traceparent: string): Promise<void> {
  const event = TranscodeEvent.parse(input);
  if ((event.type === 'playable' || event.type === 'ready') && event.result.prefix !== outputPrefixOf(event.videoId, event.jobId)) {
    // Signed, yet naming another folder: the video would play files that are not its job's.
    log('error', 'transcoder event ignored: its result is outside the job’s folder', { videoId: event.videoId, jobId: event.jobId, prefix: event.result.prefix, traceparent });
    return;
  }
  const current = and(eq(videos.id, event.videoId), eq(videos.jobId, event.jobId), inArray(videos.status, TRANSCODING));
  if (event.type === 'progress') {
    // Callbacks and the coordinator's checks both report it, and a late callback may carry less: it never goes back.
    await pipeline.db
      .update(videos)
      .set({ progressPercent: sql`greatest(${videos.progressPercent}, ${event.percent})`, leaseExpiresAt: jobLeaseFromNow(), updatedAt: new Date() })
      .where(current);
    return;
  }
  if (event.type === 'playable') {
    // Its lesson shows it from now on (a replacement too); replicas wait for `ready`, as they receive only complete videos.
    const playable = and(eq(videos.id, event.videoId), eq(videos.jobId, event.jobId), eq(videos.status, 'processing'));
    await publishVideo(pipeline, { status: 'playable', ...playableColumns(event.result), leaseExpiresAt: jobLeaseFromNow() }, playable);
    return;
  }
  if (event.type === 'ready') {
    const done = await publishVideo(pipeline, { status: 'ready', ...readyColumns(event.result) }, current);
    if (!done) return;
    if (done.shown) await replicateCourse(pipeline.db, done.video.courseId, pipeline.jurisdiction, pipeline.contentSync, traceparent);
    await notify(pipeline, done.video, traceparent);
    return;
  }
  await failOrRetry(pipeline, event.videoId, event.jobId, event.error, traceparent);
}

/** The row updated and shown in its lesson in one transaction, between catalog generation bumps as any catalog write. */
function publishVideo(pipeline: Pipeline, columns: PgUpdateSetSource<typeof videos>, where: SQL | undefined) {
  return changingCatalog(pipeline.cache, () =>
    pipeline.db.transaction(async (tx) => {
      const [video] = await tx.update(videos).set({ ...columns, updatedAt: new Date() }).where(where).returning();
      return video && { video, shown: await showVideo(tx, video) };
    }),
  );
}

/** The row updated to a state that is not played (run again, failed); its lesson goes back to the video it showed before. */
function withdrawVideo(pipeline: Pipeline, columns: PgUpdateSetSource<typeof videos>, where: SQL | undefined): Promise<Video | undefined> {
  return changingCatalog(pipeline.cache, () =>
    pipeline.db.transaction(async (tx) => {
      const [video] = await tx.update(videos).set({ ...UNPUBLISHED, ...columns, updatedAt: new Date() }).where(where).returning();
      if (video) await showPrevious(tx, video);
      return video;
    }),
  );
}

function playableColumns(result: PlayableResult) {
  return {
    outputPrefix: result.prefix,
    masterKey: result.prefix + result.master,
    durationSeconds: result.durationSeconds,
    width: result.width,
    height: result.height,
    renditions: result.renditions,
  };
}

function readyColumns(result: TranscodeResult) {
  return {
    ...playableColumns(result),
    progressPercent: 100,
    leaseExpiresAt: null,
    posterKey: result.prefix + result.poster,
    storyboardImageKey: result.prefix + result.storyboard.image,
    storyboardVttKey: result.prefix + result.storyboard.vtt,
    downloadKey: result.prefix + result.download,
    errorCode: null,
    errorMessage: null,
  };
}

/** A bad source fails at once; a transient failure runs again until the attempts are spent. */
async function failOrRetry(pipeline: Pipeline, videoId: string, jobId: string, error: TranscodeFailure, traceparent: string): Promise<void> {
  const current = and(eq(videos.id, videoId), eq(videos.jobId, jobId), inArray(videos.status, TRANSCODING));
  if (error.retryable) {
    const requeued = await withdrawVideo(pipeline, { status: 'queued', jobId: null, leaseExpiresAt: leaseFromNow(), errorCode: error.code, errorMessage: error.message }, and(current, lt(videos.attempts, MAX_ATTEMPTS)));
    if (requeued) {
      await pipeline.videoJobs.send({ v: 1, traceparent, kind: 'video', videoId } satisfies VideoJob);
      return;
    }
  }
  const failed = await withdrawVideo(pipeline, { status: 'failed', leaseExpiresAt: null, errorCode: error.code, errorMessage: error.message }, current);
  if (failed) await notify(pipeline, failed, traceparent);
}

async function notify(pipeline: Pipeline, video: Video, traceparent: string): Promise<void> {
  // Replicas are never transcoded here, so every video this pipeline finishes has its uploader.
  if (!video.uploaderId) return;
  const ready = video.status === 'ready';
  const message: NotificationMessage = {
    v: 1,
    traceparent,
    id: crypto.randomUUID(),
    userId: video.uploaderId,
    type: ready ? 'video_ready' : 'video_failed',
    title: ready ? `"${video.filename}" is ready to watch` : `"${video.filename}" could not be processed`,
    body: ready ? 'The video was transcoded and can be played.' : (video.errorMessage ?? 'The transcode failed.'),
    data: { videoId: video.id, courseId: video.courseId, lessonId: video.lessonId },
  };
  await pipeline.notifications.send(message);
}

/**
 * The cron's pass over unfinished jobs: a running job is asked for its status (a callback may have
 * been lost), a job the transcoder no longer knows whose lease has expired is run again, and a
 * `queued` video whose message was lost is queued again. Returns how many videos it looked at.
 */
export async function sweep(pipeline: Pipeline): Promise<number> {
  const rows = await pipeline.db
    .select()
    .from(videos)
    .where(inArray(videos.status, ['queued', ...TRANSCODING]))
    .orderBy(videos.leaseExpiresAt)
    .limit(50);
  for (const video of rows) {
    const { traceparent } = continueTrace(null);
    try {
      await sweepOne(pipeline, video, traceparent);
    } catch (error) {
      log('warn', 'sweep could not check a video', { videoId: video.id, error: String(error) });
    }
  }
  return rows.length;
}

/** What a job's coordinator learns at a check: whether the video still runs that job, and the job's plan as its transcoder reports it. */
export interface JobCheck {
  running: boolean;
  /** Its video cancelled it: it is stopped on its transcoder (again, if its cancel's stop came before the job reached the transcoder). */
  cancelled?: boolean;
  parts?: PartStatus[];
}

/** A coordinator's check of its job: as the sweep's, for this video only while it runs this job. */
export async function checkJob(pipeline: Pipeline, videoId: string, jobId: string): Promise<JobCheck> {
  const ofJob = and(eq(videos.id, videoId), eq(videos.jobId, jobId));
  const stateOf = (video: Pick<Video, 'status'> | undefined) => ({ running: Boolean(video && TRANSCODING.includes(video.status)), cancelled: video?.status === 'cancelled' });
  const [video] = await pipeline.db.select().from(videos).where(ofJob);
  if (!video || !TRANSCODING.includes(video.status)) return stateOf(video);
  const status = await sweepOne(pipeline, video, continueTrace(null).traceparent);
  const [still] = await pipeline.db.select({ status: videos.status }).from(videos).where(ofJob);
  return { ...stateOf(still), parts: status?.parts };
}

/** Brings the video up to date with its job; returns the job's status when its transcoder answered. */
async function sweepOne(pipeline: Pipeline, video: Video, traceparent: string): Promise<JobStatus | undefined> {
  const expired = !video.leaseExpiresAt || video.leaseExpiresAt.getTime() < Date.now();
  if (video.status === 'queued' || !video.jobId) {
    if (expired) await requeue(pipeline, video, traceparent);
    return undefined;
  }
  const response = await pipeline.transcoder(`/jobs/${video.jobId}`, { traceparent, jobId: video.jobId }).catch((error: unknown) => {
    log('warn', 'the job’s transcoder did not answer', { videoId: video.id, jobId: video.jobId, error: String(error), traceparent });
    return null;
  });
  // A transcoder that does not know the job (a new container) or does not answer (a dead process): lost, once its lease is out.
  if (!response || response.status === 404) {
    await response?.body?.cancel();
    if (expired) await requeue(pipeline, video, traceparent);
    return undefined;
  }
  if (!response.ok) throw new Error(`the transcoder answered ${response.status}: ${await response.text()}`);
  const status = JobStatus.parse(await response.json());
  const base = { v: 1 as const, jobId: video.jobId, videoId: video.id, attempt: video.attempts };
  if (status.playable && video.status === 'processing') await recordEvent(pipeline, { ...base, type: 'playable', result: status.playable }, traceparent);
  if (status.state === 'done' && status.result) await recordEvent(pipeline, { ...base, type: 'ready', result: status.result }, traceparent);
  else if (status.state === 'failed' && status.error) await recordEvent(pipeline, { ...base, type: 'failed', error: status.error }, traceparent);
  else await recordEvent(pipeline, { ...base, type: 'progress', percent: status.percent }, traceparent);
  return status;
}

/**
 * A lost job runs again, or fails once its attempts are spent. It keeps its id, so the next run
 * finds the chunks this one stored and encodes only the rest (transcoder/src/resume.ts).
 */
async function requeue(pipeline: Pipeline, video: Video, traceparent: string): Promise<void> {
  if (video.attempts >= MAX_ATTEMPTS) {
    const message = `The transcode did not finish after ${video.attempts} attempts.`;
    const failed = await withdrawVideo(pipeline, { status: 'failed', leaseExpiresAt: null, errorCode: 'transcode_failed', errorMessage: message }, and(eq(videos.id, video.id), eq(videos.status, video.status)));
    if (failed) await notify(pipeline, failed, traceparent);
    return;
  }
  const requeued = await withdrawVideo(
    pipeline,
    { status: 'queued', leaseExpiresAt: leaseFromNow() },
    and(eq(videos.id, video.id), eq(videos.status, video.status), video.jobId ? eq(videos.jobId, video.jobId) : sql`${videos.jobId} is null`),
  );
  if (requeued) await pipeline.videoJobs.send({ v: 1, traceparent, kind: 'video', videoId: video.id } satisfies VideoJob);
}
