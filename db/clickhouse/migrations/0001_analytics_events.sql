-- Analytics events, one row per event_id, whatever the queue redelivers (see README, "Analytics").
-- Partitioned by month of the client time; ordered so a course's days are contiguous. Absent ids
-- are the nil UUID (they are sort keys); an anonymous event has a NULL user_id.
CREATE TABLE events
(
    event_id UUID,
    type LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    user_id Nullable(UUID),
    course_id UUID,
    lesson_id UUID,
    video_id UUID,
    position_s Nullable(Float64),
    duration_s Nullable(Float64),
    playback_rate Nullable(Float64),
    rendition LowCardinality(String),
    props Map(String, String),
    jurisdiction LowCardinality(String),
    country LowCardinality(String),
    device LowCardinality(String),
    trace_id String,
    INDEX ts_range ts TYPE minmax GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (course_id, toDate(ts), type, video_id);

-- The consumer's door: rows written here are kept nowhere; the view below forwards to `events`
-- only the events not stored yet (and each event id once per insert), so a redelivered batch, a
-- client's retry or a replayed dead letter never counts twice, in `events` or in any aggregate.
CREATE TABLE events_incoming AS events ENGINE = Null;

CREATE MATERIALIZED VIEW events_deduplicated TO events AS
SELECT *
FROM events_incoming
WHERE event_id NOT IN (
    SELECT event_id
    FROM events
    WHERE ts BETWEEN (SELECT min(ts) FROM events_incoming) AND (SELECT max(ts) FROM events_incoming)
)
LIMIT 1 BY event_id;

-- Plays, enrollments, watch-time heartbeats and completions per course, video and day.
CREATE TABLE daily_course_activity
(
    day Date,
    course_id UUID,
    video_id UUID,
    plays UInt64,
    enrollments UInt64,
    heartbeats UInt64,
    completions UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (course_id, day, video_id);

CREATE MATERIALIZED VIEW daily_course_activity_mv TO daily_course_activity AS
SELECT
    toDate(ts) AS day,
    course_id,
    video_id,
    countIf(type = 'video_play') AS plays,
    countIf(type = 'enroll') AS enrollments,
    countIf(type = 'video_progress') AS heartbeats,
    countIf(type = 'video_complete') AS completions
FROM events
WHERE type IN ('video_play', 'enroll', 'video_progress', 'video_complete')
GROUP BY day, course_id, video_id;

-- Active learners (signed-in users) per course and day, as exact unique-count states: merged over
-- the days and courses a dashboard covers, a learner active on several of them counts once.
CREATE TABLE daily_learners
(
    day Date,
    course_id UUID,
    learners AggregateFunction(uniqExact, UUID)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (course_id, day);

CREATE MATERIALIZED VIEW daily_learners_mv TO daily_learners AS
SELECT
    toDate(ts) AS day,
    course_id,
    uniqExactStateIf(assumeNotNull(user_id), user_id IS NOT NULL) AS learners
FROM events
GROUP BY day, course_id;

-- From where and on what, per course and day: events, plays, heartbeats and learners. Learners
-- here are `uniq` estimates (within about 1 %): exact states split by country and device would make
-- a breakdown several times slower.
CREATE TABLE daily_audience
(
    day Date,
    course_id UUID,
    country LowCardinality(String),
    device LowCardinality(String),
    learners AggregateFunction(uniq, UUID),
    events SimpleAggregateFunction(sum, UInt64),
    plays SimpleAggregateFunction(sum, UInt64),
    heartbeats SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (course_id, day, country, device);

CREATE MATERIALIZED VIEW daily_audience_mv TO daily_audience AS
SELECT
    toDate(ts) AS day,
    course_id,
    country,
    device,
    uniqStateIf(assumeNotNull(user_id), user_id IS NOT NULL) AS learners,
    count() AS events,
    countIf(type = 'video_play') AS plays,
    countIf(type = 'video_progress') AS heartbeats
FROM events
GROUP BY day, course_id, country, device;

-- One row per learner, video and day: whether they pressed play, how far into the video they got
-- (a fraction of its duration) and whether they finished it. Funnel, completion and drop-off merge
-- these across the days of the range. (`events.user_id` in WHERE: the bare name is the alias.)
CREATE TABLE daily_viewings
(
    day Date,
    course_id UUID,
    video_id UUID,
    user_id UUID,
    played SimpleAggregateFunction(max, UInt8),
    furthest SimpleAggregateFunction(max, Float64),
    completed SimpleAggregateFunction(max, UInt8)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (course_id, video_id, day, user_id);

CREATE MATERIALIZED VIEW daily_viewings_mv TO daily_viewings AS
SELECT
    toDate(ts) AS day,
    course_id,
    video_id,
    assumeNotNull(user_id) AS user_id,
    max(type = 'video_play') AS played,
    max(multiIf(
        type = 'video_complete', 1.,
        type IN ('video_progress', 'video_pause') AND ifNull(duration_s, 0) > 0, least(ifNull(position_s, 0) / assumeNotNull(duration_s), 1.),
        0.
    )) AS furthest,
    max(type = 'video_complete') AS completed
FROM events
WHERE events.user_id IS NOT NULL
  AND notEmpty(video_id)
  AND type IN ('video_play', 'video_progress', 'video_pause', 'video_complete')
GROUP BY day, course_id, video_id, user_id;
