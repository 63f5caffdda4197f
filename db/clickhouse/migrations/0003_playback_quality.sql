-- Playback quality (README, "Analytics"): the player's quality events carry their measures in props,
-- checked at ingest; these typed columns read them as each row is stored (MATERIALIZED: the
-- consumer's rows and `events_incoming` keep their shape, and rows stored before are read the same).
ALTER TABLE events
    ADD COLUMN startup_ms Nullable(UInt32) MATERIALIZED toUInt32OrNull(props['startup_ms']),
    ADD COLUMN stall_ms Nullable(UInt32) MATERIALIZED toUInt32OrNull(props['stall_ms']),
    ADD COLUMN bitrate Nullable(UInt32) MATERIALIZED toUInt32OrNull(props['bitrate']),
    ADD COLUMN height Nullable(UInt16) MATERIALIZED toUInt16OrNull(props['height']),
    ADD COLUMN fatal Bool MATERIALIZED props['fatal'] = 'true';

-- Quality per course, day, country, device and rendition: plays, startup quantile states (exact up
-- to 8,192 first frames merged, sampled beyond), stalls, errors, heartbeats (10 s of watch time
-- each) and the bitrate they named. Every event is counted at the rendition it names, so a
-- rendition's heartbeats are the time spent on it.
CREATE TABLE daily_playback_quality
(
    day Date,
    course_id UUID,
    country LowCardinality(String),
    device LowCardinality(String),
    rendition LowCardinality(String),
    plays SimpleAggregateFunction(sum, UInt64),
    starts SimpleAggregateFunction(sum, UInt64),
    startup AggregateFunction(quantiles(0.5, 0.95), UInt32),
    stalls SimpleAggregateFunction(sum, UInt64),
    stalled_ms SimpleAggregateFunction(sum, UInt64),
    fatal_errors SimpleAggregateFunction(sum, UInt64),
    recovered_errors SimpleAggregateFunction(sum, UInt64),
    heartbeats SimpleAggregateFunction(sum, UInt64),
    bitrate_heartbeats SimpleAggregateFunction(sum, UInt64),
    bitrate_total SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (course_id, day, country, device, rendition);

CREATE MATERIALIZED VIEW daily_playback_quality_mv TO daily_playback_quality AS
SELECT
    toDate(ts) AS day,
    course_id,
    country,
    device,
    rendition,
    countIf(type = 'video_play') AS plays,
    countIf(type = 'playback_start' AND startup_ms IS NOT NULL) AS starts,
    quantilesStateIf(0.5, 0.95)(assumeNotNull(startup_ms), type = 'playback_start' AND startup_ms IS NOT NULL) AS startup,
    countIf(type = 'playback_stall') AS stalls,
    sumIf(ifNull(stall_ms, 0), type = 'playback_stall') AS stalled_ms,
    countIf(type = 'playback_error' AND fatal) AS fatal_errors,
    countIf(type = 'playback_error' AND NOT fatal) AS recovered_errors,
    countIf(type = 'video_progress') AS heartbeats,
    countIf(type = 'video_progress' AND bitrate IS NOT NULL) AS bitrate_heartbeats,
    sumIf(ifNull(bitrate, 0), type = 'video_progress') AS bitrate_total
FROM events
WHERE type IN ('video_play', 'playback_start', 'playback_stall', 'playback_error', 'video_progress')
GROUP BY day, course_id, country, device, rendition;

-- The viewings (a learner and a video, per day, as in `daily_viewings`) that stalled: the quality
-- dashboard sets them against the others' completion and drop-off.
CREATE TABLE daily_stalled_viewings
(
    day Date,
    course_id UUID,
    video_id UUID,
    user_id UUID,
    stalls SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (course_id, video_id, day, user_id);

CREATE MATERIALIZED VIEW daily_stalled_viewings_mv TO daily_stalled_viewings AS
SELECT
    toDate(ts) AS day,
    course_id,
    video_id,
    assumeNotNull(user_id) AS user_id,
    count() AS stalls
FROM events
WHERE events.user_id IS NOT NULL AND notEmpty(video_id) AND type = 'playback_stall'
GROUP BY day, course_id, video_id, user_id;
