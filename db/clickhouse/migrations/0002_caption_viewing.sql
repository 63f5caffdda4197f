-- Watch time by the captions on screen, per course and day: each `video_progress` heartbeat names the
-- caption language showing (props['captions'], a BCP 47 tag; empty when captions are off), so the
-- dashboard can say what share of viewing had captions, in which language.
CREATE TABLE daily_caption_viewing
(
    day Date,
    course_id UUID,
    captions LowCardinality(String),
    heartbeats SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (course_id, day, captions);

CREATE MATERIALIZED VIEW daily_caption_viewing_mv TO daily_caption_viewing AS
SELECT
    toDate(ts) AS day,
    course_id,
    props['captions'] AS captions,
    count() AS heartbeats
FROM events
WHERE type = 'video_progress'
GROUP BY day, course_id, captions;
