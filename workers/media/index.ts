import { WorkerEntrypoint } from 'cloudflare:workers';
import { z } from 'zod';
import { readConfig } from '../lib/config.ts';
import { HealthCheck, NewVideo, StorageObjectEvent, TranscodeEventDelivery, VideoJob, VideoStep } from '../lib/contracts.ts';
import { checkDependency, type DependencyHealth } from '../lib/health.ts';
import { dispatchQueue, eachMessage } from '../lib/queue.ts';
import { refuseHttp } from '../lib/rpc-only.ts';
import { outcome, type Outcome } from '../lib/rpc.ts';
import { continueTrace } from '../lib/trace.ts';
import { MediaConfig, withPipeline } from './context.ts';
import { cancelTranscode, cancelUpload, createUpload, markUploaded, recordEvent, retryTranscode, startTranscode, sweep, videoIdOfSourceKey, type Video } from './pipeline.ts';
import { transcoderFetch } from './transcoder.ts';
import type { JobPlanState } from './coordinator.ts';

// The job coordinators, the transcoder containers and the proxy through which their outbound requests reach this Worker.
export { JobCoordinator } from './coordinator.ts';
export { ContainerProxy } from '@cloudflare/containers';
export { Transcoder } from './transcoder.ts';

/** `video-jobs` carries the api's `VideoJob` and R2's own notifications of new objects under `raw/`. */
const VideoJobMessage = z.union([VideoJob, StorageObjectEvent]);

async function handleVideoJob(message: z.infer<typeof VideoJobMessage>, env: MediaEnv): Promise<void> {
  if ('videoId' in message) return withPipeline(env, (pipeline) => startTranscode(pipeline, message.videoId, message.traceparent));
  const videoId = videoIdOfSourceKey(message.object.key);
  const created = /^(PutObject|CompleteMultipartUpload|CopyObject)/.test(message.action);
  if (!videoId || !created) return;
  return withPipeline(env, (pipeline) => startTranscode(pipeline, videoId, continueTrace(null).traceparent, true));
}

/** Video status and the transcoder, reached by `api` over a service binding (RPC). */
export class MediaService extends WorkerEntrypoint<MediaEnv> {
  async transcoderHealth(input: HealthCheck): Promise<DependencyHealth> {
    const { traceparent } = HealthCheck.parse(input);
    const transcoder = transcoderFetch(this.env, readConfig(MediaConfig, this.env).TRANSCODER_URL);
    return checkDependency(async () => {
      const response = await transcoder('/health', { traceparent });
      if (!response.ok) throw new Error(`transcoder answered ${response.status}: ${await response.text()}`);
    }, 1_500);
  }

  /** A transcoder callback whose signature the api has checked. */
  async recordTranscodeEvent(input: TranscodeEventDelivery): Promise<void> {
    const { event, traceparent } = TranscodeEventDelivery.parse(input);
    await withPipeline(this.env, (pipeline) => recordEvent(pipeline, event, traceparent));
  }

  /** An upload the api started in storage: the video's row (and its lesson, if that has none). */
  async createUpload(input: NewVideo): Promise<Outcome<void>> {
    const upload = NewVideo.parse(input);
    return outcome(() => withPipeline(this.env, (pipeline) => createUpload(pipeline, upload)));
  }

  /** Storage has the whole file: the video is queued for its transcode. */
  async uploaded(input: VideoStep): Promise<Outcome<Video>> {
    const { videoId, traceparent } = VideoStep.parse(input);
    return outcome(() => withPipeline(this.env, (pipeline) => markUploaded(pipeline, videoId, traceparent)));
  }

  /** The api has aborted the upload in storage: the video goes. */
  async cancelUpload(input: VideoStep): Promise<Outcome<void>> {
    const { videoId } = VideoStep.parse(input);
    return outcome(() => withPipeline(this.env, (pipeline) => cancelUpload(pipeline, videoId)));
  }

  /** Its processing is cancelled: no longer played, every task of its job stopped. */
  async cancelTranscode(input: VideoStep): Promise<Outcome<Video>> {
    const { videoId } = VideoStep.parse(input);
    return outcome(() => withPipeline(this.env, (pipeline) => cancelTranscode(pipeline, videoId)));
  }

  /** A failed or cancelled video runs again from its stored source. */
  async retryTranscode(input: VideoStep): Promise<Outcome<Video>> {
    const { videoId, traceparent } = VideoStep.parse(input);
    return outcome(() => withPipeline(this.env, (pipeline) => retryTranscode(pipeline, videoId, traceparent)));
  }

  /** A running job as its coordinator knows it: its video and its plan, each part with its state; null when it is not running. */
  async jobState(input: { jobId: string }): Promise<JobPlanState | null> {
    const { jobId } = z.object({ jobId: z.uuid() }).parse(input);
    return this.env.JOB_COORDINATOR.getByName(jobId).state();
  }

  /** What the cron does, on demand: check every unfinished job now. */
  async sweepJobs(): Promise<number> {
    return withPipeline(this.env, sweep);
  }
}

export default {
  fetch: refuseHttp,
  queue: (batch, env) => dispatchQueue(batch, env, { 'video-jobs': eachMessage(VideoJobMessage, handleVideoJob) }),
  scheduled: async (_controller, env) => {
    await withPipeline(env, sweep);
  },
} satisfies ExportedHandler<MediaEnv>;
