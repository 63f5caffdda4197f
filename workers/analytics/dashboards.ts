import type { ClickHouseClient } from '@clickhouse/client-web';
import { VIDEO_PROGRESS_INTERVAL_SECONDS } from '../../contracts/analytics.ts';
import {
  type Audience,
  type Breakdown,
  type CaptionViewing,
  type DailyLearners,
  type Dashboard,
  type DashboardQuery,
  type DropOff,
  type Funnel,
  type PlaybackQuality,
  type PlaybackQualityMetrics,
  type Summary,
  type TopContent,
  type ViewingOutcome,
} from '../lib/contracts.ts';

/** The reports' shapes are the RPC's contract (`lib/contracts.ts`); the browser tests name them from here. */
export type { Dashboard, DropOff };

/**
 * The dashboards, read from the daily aggregates the materialized views keep (migration 0001), so
 * their cost follows the number of days, courses and viewings, not of events. Every value reaches
 * ClickHouse as a query parameter; the SQL text depends only on the report and on whether the caller
 * sees every course.
 */
const TOP = 10;
/** The timeline in steps of 5 %: the drop-off curve's points and the funnel's thresholds. */
const STEPS = 20;

/** The numbers of the whole range and scope (kind 'total'), of a top course and of a top video. */
interface ActivityRow {
  kind: 'total' | 'course' | 'video';
  courseId: string;
  videoId: string;
  plays: number;
  enrollments: number;
  heartbeats: number;
  completions: number;
}

interface ActiveLearners {
  total: number;
  byDay: DailyLearners[];
}

/** How far viewings got, in 5 % steps (20 = the end), and how many of each step were completed. */
export interface ViewingSteps {
  step: number;
  viewings: number;
  completed: number;
}

/**
 * The statements behind the reports, given the extra conditions on courses (and video) for their
 * WHERE; `{from:Date}` and `{to:Date}` bound the days. One statement per aggregate table: a dashboard
 * is 5 statements, whatever it shows. `FROM_AGGREGATES` reads the materialized views;
 * `reports-from-events.ts` holds the same statements over raw events, to compare.
 */
export interface ReportStatements {
  /**
   * kind, courseId, videoId, plays, enrollments, heartbeats, completions: one 'total' row, then the
   * first TOP courses ('course') and videos ('video', with a course of theirs) by plays.
   */
  activity(filter: string): string;
  /** total (0 or 1), day, learners: the signed-in users active each day, and (total = 1) over the range. */
  learners(filter: string): string;
  /** One row per viewing: video_id, user_id, played, furthest (a fraction), completed. */
  viewings(filter: string): string;
  /** dimension ('country' or 'device'), key, learners (a `uniq` estimate), events, plays, heartbeats. */
  audience(filter: string): string;
  /** language (the captions showing; '' for none), heartbeats. */
  captions(filter: string): string;
  /** `qualityOf` a source with day, country, device, rendition and the columns of `daily_playback_quality`. */
  quality(filter: string): string;
  /** video_id, user_id: the viewings that stalled at least once. */
  stalledViewings(filter: string): string;
}

const RANGE = 'day BETWEEN {from:Date} AND {to:Date}';

/**
 * A total and the top courses and videos in one pass over an activity table's rows (`source`, with
 * course_id, video_id, day and the counts): grouping sets, ranked by plays, then watch time, then (for
 * courses) enrollments. `grouping(x)` is 1 where x is not a key of the row's set.
 */
export function activityOf(source: string): string {
  return `SELECT
      multiIf(grouping(course_id, video_id) = 3, 'total', grouping(video_id) = 1, 'course', 'video') AS kind,
      if(kind = 'video', any(course_id), course_id) AS courseId, video_id AS videoId,
      sum(plays) AS plays, sum(enrollments) AS enrollments, sum(heartbeats) AS heartbeats, sum(completions) AS completions
    FROM (${source})
    GROUP BY GROUPING SETS ((), (course_id), (video_id))
    HAVING kind = 'total' OR (kind = 'course' AND notEmpty(course_id)) OR (kind = 'video' AND notEmpty(video_id))
    ORDER BY kind, plays DESC, heartbeats DESC, if(kind = 'course', enrollments, 0) DESC, course_id, video_id
    LIMIT ${TOP} BY kind
    SETTINGS force_grouping_standard_compatibility = 1`;
}

/**
 * Playback quality in total and by day, country, device and rendition in one pass over `source`
 * (rows of `daily_playback_quality`'s columns); `startup` is [p50, p95].
 */
export function qualityOf(source: string): string {
  return `SELECT
      multiIf(grouping(day) = 0, 'day', grouping(country) = 0, 'country', grouping(device) = 0, 'device', grouping(rendition) = 0, 'rendition', 'total') AS dimension,
      multiIf(dimension = 'day', toString(day), dimension = 'country', country, dimension = 'device', device, rendition) AS key,
      sum(plays) AS plays, sum(starts) AS starts, quantilesMerge(0.5, 0.95)(startup) AS startup, sum(stalls) AS stalls, sum(stalled_ms) AS stalledMs,
      sum(fatal_errors) AS fatalErrors, sum(recovered_errors) AS recoveredErrors, sum(heartbeats) AS heartbeats,
      sum(bitrate_heartbeats) AS bitrateHeartbeats, sum(bitrate_total) AS bitrateTotal
    FROM (${source})
    GROUP BY GROUPING SETS ((), (day), (country), (device), (rendition))
    ORDER BY dimension, key
    SETTINGS force_grouping_standard_compatibility = 1`;
}

export const FROM_AGGREGATES: ReportStatements = {
  activity: (filter) => activityOf(`SELECT * FROM daily_course_activity WHERE ${RANGE} ${filter}`),
  learners: (filter) => `SELECT grouping(day) AS total, day, uniqExactMerge(learners) AS learners
    FROM daily_learners WHERE ${RANGE} ${filter}
    GROUP BY GROUPING SETS ((day), ()) ORDER BY total, day
    SETTINGS force_grouping_standard_compatibility = 1`,
  viewings: (filter) => `SELECT video_id, user_id, max(played) AS played, max(furthest) AS furthest, max(completed) AS completed
    FROM daily_viewings WHERE ${RANGE} ${filter} GROUP BY video_id, user_id`,
  audience: (filter) => `SELECT if(grouping(country) = 0, 'country', 'device') AS dimension, if(dimension = 'country', country, device) AS key,
      uniqMerge(learners) AS learners, sum(events) AS events, sum(plays) AS plays, sum(heartbeats) AS heartbeats
    FROM daily_audience WHERE ${RANGE} ${filter}
    GROUP BY GROUPING SETS ((country), (device)) ORDER BY dimension, learners DESC, events DESC, key
    SETTINGS force_grouping_standard_compatibility = 1`,
  captions: (filter) => `SELECT captions AS language, sum(heartbeats) AS heartbeats
    FROM daily_caption_viewing WHERE ${RANGE} ${filter} GROUP BY language ORDER BY heartbeats DESC, language`,
  quality: (filter) => qualityOf(`SELECT * FROM daily_playback_quality WHERE ${RANGE} ${filter}`),
  stalledViewings: (filter) => `SELECT video_id, user_id FROM daily_stalled_viewings WHERE ${RANGE} ${filter}`,
};

/** A viewing's furthest point as a step; nudged so 0.35 × 20 is step 7, not 6.999…. */
const STEP = `toUInt8(least(floor(furthest * ${STEPS} + 1e-9), ${STEPS}))`;

interface QualityRow {
  dimension: 'total' | 'day' | 'country' | 'device' | 'rendition';
  key: string;
  plays: number;
  starts: number;
  startup: [number, number];
  stalls: number;
  stalledMs: number;
  fatalErrors: number;
  recoveredErrors: number;
  heartbeats: number;
  bitrateHeartbeats: number;
  bitrateTotal: number;
}

export function dashboards(clickhouse: ClickHouseClient, query: DashboardQuery, sql: ReportStatements = FROM_AGGREGATES) {
  const read = reader(clickhouse, query);

  const activity = async () => {
    const rows = await read<ActivityRow>('activity', sql.activity);
    const total = rows.find((row) => row.kind === 'total');
    const top: TopContent = {
      courses: rows
        .filter((row) => row.kind === 'course')
        .map(({ courseId, plays, heartbeats, enrollments }) => ({ courseId, plays, watchTimeSeconds: watchTime(heartbeats), enrollments })),
      videos: rows
        .filter((row) => row.kind === 'video')
        .map(({ videoId, courseId, plays, heartbeats, completions }) => ({ videoId, courseId, plays, watchTimeSeconds: watchTime(heartbeats), completions })),
    };
    return { plays: total?.plays ?? 0, enrollments: total?.enrollments ?? 0, heartbeats: total?.heartbeats ?? 0, top };
  };

  const learners = async (): Promise<ActiveLearners> => {
    const rows = await read<{ total: number; day: string; learners: number }>('learners', sql.learners);
    return {
      total: rows.find((row) => row.total === 1)?.learners ?? 0,
      byDay: everyDay(query.from, query.to, rows.filter((row) => row.total === 0)),
    };
  };

  /** How far the viewings got, in steps. */
  const viewings = (videoId?: string) =>
    read<ViewingSteps>(
      videoId ? 'viewings-of-video' : 'viewings',
      (filter) => `SELECT ${STEP} AS step, count() AS viewings, countIf(completed) AS completed
        FROM (${sql.viewings(videoId ? `${filter} AND video_id = {video:UUID}` : filter)})
        WHERE played GROUP BY step ORDER BY step`,
      videoId ? { video: videoId } : {},
    );

  const summaryOf = (counts: { plays: number; enrollments: number; heartbeats: number }, active: ActiveLearners, funnel: Funnel): Summary => {
    const watchTimeSeconds = watchTime(counts.heartbeats);
    return {
      activeLearners: active.total,
      dailyActiveLearners: active.byDay,
      enrollments: counts.enrollments,
      plays: counts.plays,
      watchTimeSeconds,
      averageWatchTimeSeconds: counts.plays > 0 ? watchTimeSeconds / counts.plays : null,
      completionRate: funnel.at(-1)?.share ?? null,
    };
  };

  const funnel = async () => funnelOf(await viewings());

  const breakdown = async (): Promise<Breakdown> => {
    const rows = await read<{ dimension: 'country' | 'device'; key: string; learners: number; events: number; plays: number; heartbeats: number }>('audience', sql.audience);
    const audience = ({ learners, events, plays, heartbeats }: (typeof rows)[number]): Audience => ({ learners, events, plays, watchTimeSeconds: watchTime(heartbeats) });
    return {
      countries: rows.filter((row) => row.dimension === 'country').map((row) => ({ country: row.key, ...audience(row) })),
      devices: rows.filter((row) => row.dimension === 'device').map((row) => ({ device: row.key, ...audience(row) })),
    };
  };

  /** Watch time by the captions on screen, each language's share of all of it ('' is captions off). */
  const captions = async (): Promise<CaptionViewing> => {
    const rows = await read<{ language: string; heartbeats: number }>('captions', sql.captions);
    const total = rows.reduce((sum, row) => sum + row.heartbeats, 0);
    return rows.map(({ language, heartbeats }) => ({ language, watchTimeSeconds: watchTime(heartbeats), share: share(heartbeats, total) ?? 0 }));
  };

  /** Quality by dimension, and how far the viewings that stalled got against the others. */
  const quality = async (): Promise<PlaybackQuality> => {
    const [rows, outcomes] = await Promise.all([
      read<QualityRow>('quality', sql.quality),
      read<ViewingSteps & { stalled: number }>(
        'quality-viewings',
        (filter) => `SELECT (video_id, user_id) IN (${sql.stalledViewings(filter)}) AS stalled, ${STEP} AS step, count() AS viewings, countIf(completed) AS completed
          FROM (${sql.viewings(filter)}) WHERE played GROUP BY stalled, step ORDER BY stalled, step`,
      ),
    ]);
    const of = (dimension: QualityRow['dimension']) => rows.filter((row) => row.dimension === dimension);
    return {
      total: qualityMetrics(of('total')[0]),
      days: of('day').map((row) => ({ day: row.key, ...qualityMetrics(row) })),
      countries: of('country').map((row) => ({ country: row.key, ...qualityMetrics(row) })),
      devices: of('device').map((row) => ({ device: row.key, ...qualityMetrics(row) })),
      renditions: of('rendition').map((row) => ({ rendition: row.key, ...qualityMetrics(row) })),
      learning: {
        stalled: outcomeOf(outcomes.filter((row) => row.stalled === 1)),
        smooth: outcomeOf(outcomes.filter((row) => row.stalled === 0)),
      },
    };
  };

  return {
    quality,
    summary: async () => {
      const [counts, active, stages] = await Promise.all([activity(), learners(), funnel()]);
      return summaryOf(counts, active, stages);
    },
    top: async () => (await activity()).top,
    funnel,
    breakdown,
    dropOff: async (videoId: string) => dropOffOf(videoId, await viewings(videoId)),
    dashboard: async (): Promise<Dashboard> => {
      const [counts, active, stages, audience, withCaptions] = await Promise.all([activity(), learners(), funnel(), breakdown(), captions()]);
      return { summary: summaryOf(counts, active, stages), top: counts.top, funnel: stages, breakdown: audience, captions: withCaptions };
    },
  };
}

/**
 * Runs one report's SQL with the range, the caller's courses (only when not all of them) and the
 * trace: `log_comment` is the dashboard request's traceparent and `query_id` starts with its trace
 * id, so `system.query_log` ties each query to the request.
 */
function reader(clickhouse: ClickHouseClient, query: DashboardQuery) {
  const [, traceId, spanId] = query.traceparent.split('-');
  const filter = query.courses === 'all' ? '' : 'AND course_id IN {courses:Array(UUID)}';
  const params = query.courses === 'all' ? { from: query.from, to: query.to } : { from: query.from, to: query.to, courses: query.courses };
  return async <Row>(name: string, sql: (filter: string) => string, extra: Record<string, string> = {}): Promise<Row[]> => {
    const result = await clickhouse.query({
      query: sql(filter),
      format: 'JSONEachRow',
      query_params: { ...params, ...extra },
      query_id: `${traceId}-${spanId}-${name}`,
      // An instructor's many courses would not fit in a URL.
      use_multipart_params_auto: true,
      clickhouse_settings: { log_comment: query.traceparent, output_format_json_quote_64bit_integers: 0 },
    });
    return result.json<Row>();
  };
}

function watchTime(heartbeats: number): number {
  return heartbeats * VIDEO_PROGRESS_INTERVAL_SECONDS;
}

/** Every day of the range, with zero learners where nobody was active. */
function everyDay(from: string, to: string, days: DailyLearners[]): DailyLearners[] {
  const active = new Map(days.map((day) => [day.day, day.learners]));
  const series: DailyLearners[] = [];
  for (let day = new Date(`${from}T00:00:00Z`); day <= new Date(`${to}T00:00:00Z`); day.setUTCDate(day.getUTCDate() + 1)) {
    const key = day.toISOString().slice(0, 10);
    series.push({ day: key, learners: active.get(key) ?? 0 });
  }
  return series;
}

/** Viewings that got at least as far as `step`. */
function reachedAtLeast(steps: ViewingSteps[]): (step: number) => number {
  return (step) => steps.filter((row) => row.step >= step).reduce((sum, row) => sum + row.viewings, 0);
}

function share(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

const FUNNEL_THRESHOLDS = [
  ['25%', STEPS / 4],
  ['50%', STEPS / 2],
  ['75%', (3 * STEPS) / 4],
] as const;

export function funnelOf(steps: ViewingSteps[]): Funnel {
  const reached = reachedAtLeast(steps);
  const play = reached(0);
  const complete = steps.reduce((sum, row) => sum + row.completed, 0);
  return [
    { stage: 'play', viewings: play, share: share(play, play) },
    ...FUNNEL_THRESHOLDS.map(([stage, step]) => ({ stage, viewings: reached(step), share: share(reached(step), play) })),
    { stage: 'complete', viewings: complete, share: share(complete, play) },
  ];
}

function curveOf(steps: ViewingSteps[]): DropOff['curve'] {
  const reached = reachedAtLeast(steps);
  return Array.from({ length: STEPS + 1 }, (_, step) => ({
    percent: (step * 100) / STEPS,
    stillWatching: reached(step),
    share: share(reached(step), reached(0)),
  }));
}

export function dropOffOf(videoId: string, steps: ViewingSteps[]): DropOff {
  return { videoId, viewers: reachedAtLeast(steps)(0), curve: curveOf(steps) };
}

function outcomeOf(steps: ViewingSteps[]): ViewingOutcome {
  return {
    viewings: reachedAtLeast(steps)(0),
    completionRate: funnelOf(steps).at(-1)?.share ?? null,
    dropOff: curveOf(steps).map(({ percent, share }) => ({ percent, share })),
  };
}

/** The measures of one row of `qualityOf` (none: an empty range); startup to the whole millisecond. */
function qualityMetrics(row?: QualityRow): PlaybackQualityMetrics {
  const { plays = 0, starts = 0, startup = [0, 0], stalls = 0, stalledMs = 0, fatalErrors = 0, recoveredErrors = 0, heartbeats = 0, bitrateHeartbeats = 0, bitrateTotal = 0 } =
    row ?? {};
  const watchTimeSeconds = watchTime(heartbeats);
  const stalledSeconds = stalledMs / 1000;
  return {
    plays,
    startupP50Ms: starts > 0 ? Math.round(startup[0]) : null,
    startupP95Ms: starts > 0 ? Math.round(startup[1]) : null,
    stalls,
    stalledSeconds,
    watchTimeSeconds,
    rebufferingRatio: share(stalledSeconds, watchTimeSeconds),
    fatalErrors,
    recoveredErrors,
    failureRate: share(fatalErrors, plays),
    averageBitrate: share(bitrateTotal, bitrateHeartbeats),
  };
}
