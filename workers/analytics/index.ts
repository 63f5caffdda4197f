import { WorkerEntrypoint } from 'cloudflare:workers';
import { openClickHouse } from '../lib/clickhouse.ts';
import { readConfig } from '../lib/config.ts';
import { DashboardQuery, DropOffQuery, HealthCheck } from '../lib/contracts.ts';
import { checkDependency, type DependencyHealth } from '../lib/health.ts';
import { dispatchQueue } from '../lib/queue.ts';
import { refuseHttp } from '../lib/rpc-only.ts';
import { AnalyticsConfig } from './config.ts';
import { storeDeadLetters, storeEvents } from './consumer.ts';
import { dashboards } from './dashboards.ts';

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

  /** Everything the dashboard page shows, in one call. */
  dashboard(input: DashboardQuery) {
    return this.report(DashboardQuery.parse(input), (reports) => reports.dashboard());
  }

  summary(input: DashboardQuery) {
    return this.report(DashboardQuery.parse(input), (reports) => reports.summary());
  }

  top(input: DashboardQuery) {
    return this.report(DashboardQuery.parse(input), (reports) => reports.top());
  }

  funnel(input: DashboardQuery) {
    return this.report(DashboardQuery.parse(input), (reports) => reports.funnel());
  }

  breakdown(input: DashboardQuery) {
    return this.report(DashboardQuery.parse(input), (reports) => reports.breakdown());
  }

  /** Playback quality: startup, stalls, failures, bitrate, and how stalls bear on completion. */
  quality(input: DashboardQuery) {
    return this.report(DashboardQuery.parse(input), (reports) => reports.quality());
  }

  dropOff(input: DropOffQuery) {
    const query = DropOffQuery.parse(input);
    return this.report(query, (reports) => reports.dropOff(query.videoId));
  }

  private async report<T>(query: DashboardQuery, read: (reports: ReturnType<typeof dashboards>) => Promise<T>): Promise<T> {
    const clickhouse = openClickHouse(readConfig(AnalyticsConfig, this.env), query.traceparent);
    try {
      return await read(dashboards(clickhouse, query));
    } finally {
      await clickhouse.close();
    }
  }
}

export default {
  fetch: refuseHttp,
  queue: (batch, env) => dispatchQueue(batch, env, { 'analytics-events': storeEvents, 'analytics-events-dlq': storeDeadLetters }),
} satisfies ExportedHandler<AnalyticsEnv>;
