import type { ClickHouseClient } from '@clickhouse/client-web';
import { WorkerEntrypoint } from 'cloudflare:workers';
import { openClickHouse } from '../lib/clickhouse.ts';
import { readConfig } from '../lib/config.ts';
import { DashboardQuery, DropOffQuery, HealthCheck, LearnerRecommendationsQuery, RecommendationRefresh, RelatedQuery } from '../lib/contracts.ts';
import { checkDependency, type DependencyHealth } from '../lib/health.ts';
import { dispatchQueue } from '../lib/queue.ts';
import { refuseHttp } from '../lib/rpc-only.ts';
import { continueTrace } from '../lib/trace.ts';
import { AnalyticsConfig } from './config.ts';
import { storeDeadLetters, storeEvents } from './consumer.ts';
import { dashboards } from './dashboards.ts';
import { recommendations } from './recommendations.ts';

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

  /** Recomputes every course's neighbours now (the cron does it on its schedule). */
  refreshRecommendations(input: RecommendationRefresh) {
    const { traceparent } = RecommendationRefresh.parse(input);
    return withRecommendations(this.env, traceparent, (recs) => recs.refresh());
  }

  relatedCourses(input: RelatedQuery) {
    const query = RelatedQuery.parse(input);
    return withRecommendations(this.env, query.traceparent, (recs) => recs.related(query));
  }

  recommendationsFor(input: LearnerRecommendationsQuery) {
    const query = LearnerRecommendationsQuery.parse(input);
    return withRecommendations(this.env, query.traceparent, (recs) => recs.forLearner(query));
  }

  private report<T>(query: DashboardQuery, read: (reports: ReturnType<typeof dashboards>) => Promise<T>): Promise<T> {
    return withClickHouse(this.env, query.traceparent, (clickhouse) => read(dashboards(clickhouse, query)));
  }
}

async function withClickHouse<T>(env: AnalyticsEnv, traceparent: string, use: (clickhouse: ClickHouseClient) => Promise<T>): Promise<T> {
  const clickhouse = openClickHouse(readConfig(AnalyticsConfig, env), traceparent);
  try {
    return await use(clickhouse);
  } finally {
    await clickhouse.close();
  }
}

const withRecommendations = <T>(env: AnalyticsEnv, traceparent: string, use: (recs: ReturnType<typeof recommendations>) => Promise<T>) =>
  withClickHouse(env, traceparent, (clickhouse) => use(recommendations(clickhouse, traceparent)));

export default {
  fetch: refuseHttp,
  queue: (batch, env) => dispatchQueue(batch, env, { 'analytics-events': storeEvents, 'analytics-events-dlq': storeDeadLetters }),
  scheduled: async (_controller, env) => {
    await withRecommendations(env, continueTrace(null).traceparent, (recs) => recs.refresh());
  },
} satisfies ExportedHandler<AnalyticsEnv>;
