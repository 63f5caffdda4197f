import { z } from 'zod';
import { contentSyncQueues } from '../api/catalog/replication.ts';
import { openCache } from '../lib/cache.ts';
import { CacheSettings, DatabaseSettings, JurisdictionIdSetting, PublicApiSettings, readConfig, ReplicationSettings, StorageSettings, TranscoderSettings } from '../lib/config.ts';
import { openDatabase } from '../lib/db.ts';
import type { Pipeline } from './pipeline.ts';
import { transcoderFetch } from './transcoder.ts';

export const MediaConfig = z.object({
  ...JurisdictionIdSetting.shape,
  ...DatabaseSettings.shape,
  ...CacheSettings.shape,
  ...ReplicationSettings.pick({ REPLICATE_TO: true }).shape,
  ...StorageSettings.shape,
  ...TranscoderSettings.shape,
  ...PublicApiSettings.shape,
});

/** Opens the pipeline's database for one unit of work and closes it after, as a request would. */
export async function withPipeline<T>(env: MediaEnv, use: (pipeline: Pipeline) => Promise<T>): Promise<T> {
  const config = readConfig(MediaConfig, env);
  const database = openDatabase(config);
  try {
    return await use({
      db: database.db,
      cache: openCache(config),
      jurisdiction: config.JURISDICTION,
      contentSync: contentSyncQueues(config.REPLICATE_TO, env),
      transcoder: transcoderFetch(env, config.TRANSCODER_URL),
      coordinate: (job) => env.JOB_COORDINATOR.getByName(job.jobId).watch(job),
      stop: (job) => env.JOB_COORDINATOR.getByName(job.jobId).stop(job),
      storage: {
        endpoint: config.S3_ENDPOINT,
        region: config.S3_REGION,
        bucket: config.S3_BUCKET,
        accessKeyId: config.S3_ACCESS_KEY_ID,
        secretAccessKey: config.S3_SECRET_ACCESS_KEY,
      },
      callbackUrl: new URL('/api/videos/transcoder-events', config.PUBLIC_API_URL).href,
      videoJobs: env.VIDEO_JOBS,
      notifications: env.NOTIFICATIONS,
    });
  } finally {
    await database.close();
  }
}

