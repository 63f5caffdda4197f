import { activityOf, qualityOf, type ReportStatements } from './dashboards.ts';

/**
 * The reports' statements over every raw event of the range instead of the daily aggregates: the
 * reference the aggregates are checked against (the benchmark compares answers and speed, the
 * rebuild test the numbers after `npm run analytics:rebuild`). Not used to serve dashboards.
 */
const RAW = 'toDate(ts) BETWEEN {from:Date} AND {to:Date}';
export const FROM_EVENTS: ReportStatements = {
  activity: (filter) =>
    activityOf(`SELECT course_id, video_id, type = 'video_play' AS plays, type = 'enroll' AS enrollments, type = 'video_progress' AS heartbeats,
        type = 'video_complete' AS completions
      FROM events WHERE ${RAW} AND type IN ('video_play', 'enroll', 'video_progress', 'video_complete') ${filter}`),
  learners: (filter) => `SELECT grouping(day) AS total, toDate(ts) AS day, uniqExact(user_id) AS learners
    FROM events WHERE ${RAW} ${filter}
    GROUP BY GROUPING SETS ((day), ()) ORDER BY total, day
    SETTINGS force_grouping_standard_compatibility = 1`,
  viewings: (filter) => `SELECT video_id, user_id,
      max(type = 'video_play') AS played,
      max(multiIf(type = 'video_complete', 1., type IN ('video_progress', 'video_pause') AND ifNull(duration_s, 0) > 0,
        least(ifNull(position_s, 0) / assumeNotNull(duration_s), 1.), 0.)) AS furthest,
      max(type = 'video_complete') AS completed
    FROM events
    WHERE ${RAW} AND user_id IS NOT NULL AND notEmpty(video_id) AND type IN ('video_play', 'video_progress', 'video_pause', 'video_complete') ${filter}
    GROUP BY video_id, user_id`,
  audience: (filter) => `SELECT if(grouping(country) = 0, 'country', 'device') AS dimension, if(dimension = 'country', country, device) AS key,
      uniq(user_id) AS learners, count() AS events, countIf(type = 'video_play') AS plays, countIf(type = 'video_progress') AS heartbeats
    FROM events WHERE ${RAW} ${filter}
    GROUP BY GROUPING SETS ((country), (device)) ORDER BY dimension, learners DESC, events DESC, key
    SETTINGS force_grouping_standard_compatibility = 1`,
  captions: (filter) => `SELECT props['captions'] AS language, count() AS heartbeats
    FROM events WHERE ${RAW} AND type = 'video_progress' ${filter} GROUP BY language ORDER BY heartbeats DESC, language`,
  // One row per event; its startup as a quantile state of zero or one value, for `qualityOf` to merge.
  quality: (filter) =>
    qualityOf(`SELECT toDate(ts) AS day, country, device, rendition,
        type = 'video_play' AS plays,
        type = 'playback_start' AND startup_ms IS NOT NULL AS starts,
        arrayReduce('quantilesState(0.5, 0.95)', if(starts, [assumeNotNull(startup_ms)], [])) AS startup,
        type = 'playback_stall' AS stalls,
        if(stalls, ifNull(stall_ms, 0), 0) AS stalled_ms,
        type = 'playback_error' AND fatal AS fatal_errors,
        type = 'playback_error' AND NOT fatal AS recovered_errors,
        type = 'video_progress' AS heartbeats,
        heartbeats AND bitrate IS NOT NULL AS bitrate_heartbeats,
        if(heartbeats, ifNull(bitrate, 0), 0) AS bitrate_total
      FROM events WHERE ${RAW} AND type IN ('video_play', 'playback_start', 'playback_stall', 'playback_error', 'video_progress') ${filter}`),
  stalledViewings: (filter) =>
    `SELECT DISTINCT video_id, user_id FROM events WHERE ${RAW} AND user_id IS NOT NULL AND notEmpty(video_id) AND type = 'playback_stall' ${filter}`,
};
