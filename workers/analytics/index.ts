import { WorkerEntrypoint } from 'cloudflare:workers';
import { z } from 'zod';
import { openClickHouse } from '../lib/clickhouse.ts';
import { ClickHouseSettings, JurisdictionIdSetting, readConfig, StorageSettings } from '../lib/config.ts';
import { HealthCheck } from '../lib/contracts.ts';
import { checkDependency, type DependencyHealth } from '../lib/health.ts';
import { dispatchQueue } from '../lib/queue.ts';
import { refuseHttp } from '../lib/rpc-only.ts';

export const AnalyticsConfig = z.object({
  ...JurisdictionIdSetting.shape,
  ...ClickHouseSettings.shape,
  ...StorageSettings.shape,
});

/** Reports, reached by `api` over a service binding (RPC); never exposed to the internet. */
export class AnalyticsService extends WorkerEntrypoint<AnalyticsEnv> {
  async health(input: HealthCheck): Promise<DependencyHealth> {
    const { traceparent } = HealthCheck.parse(input);
    const clickhouse = openClickHouse(readConfig(AnalyticsConfig, this.env), traceparent);
    try {
      return await checkDependency(async () => {
        const result = await clickhouse.query({ query: 'SELECT 1', format: 'JSON' });
        await result.json();
      }, 1_500);
    } finally {
      await clickhouse.close();
    }
  }
}

export default {
  fetch: refuseHttp,
  queue: (batch, env) => dispatchQueue(batch, env, {}),
} satisfies ExportedHandler<AnalyticsEnv>;
