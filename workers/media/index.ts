import { WorkerEntrypoint } from 'cloudflare:workers';
import { z } from 'zod';
import { DatabaseSettings, JurisdictionIdSetting, readConfig, StorageSettings, TranscoderSettings } from '../lib/config.ts';
import { HealthCheck } from '../lib/contracts.ts';
import { checkDependency, type DependencyHealth } from '../lib/health.ts';
import { dispatchQueue } from '../lib/queue.ts';
import { refuseHttp } from '../lib/rpc-only.ts';
import { transcoderFetch } from './transcoder.ts';

export { Transcoder } from './transcoder.ts';

export const MediaConfig = z.object({
  ...JurisdictionIdSetting.shape,
  ...DatabaseSettings.shape,
  ...StorageSettings.shape,
  ...TranscoderSettings.shape,
});

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
}

export default {
  fetch: refuseHttp,
  queue: (batch, env) => dispatchQueue(batch, env, {}),
} satisfies ExportedHandler<MediaEnv>;
