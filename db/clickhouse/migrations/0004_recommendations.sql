-- Recommendations (README, "Recommendations"): which courses each learner took, per day, kept by a
-- view like the other aggregates (so `analytics:rebuild` can recompute it), and the neighbours of
-- each course, recomputed from it by `refreshRecommendations` on a schedule. A learner took a course
-- when they enrolled in it or completed one of its videos; completing counts double in the similarity.
CREATE TABLE daily_learner_courses
(
    day Date,
    user_id UUID,
    course_id UUID,
    enrolled SimpleAggregateFunction(max, UInt8),
    completed SimpleAggregateFunction(max, UInt8),
    last_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (user_id, course_id, day);

CREATE MATERIALIZED VIEW daily_learner_courses_mv TO daily_learner_courses AS
SELECT
    toDate(ts) AS day,
    assumeNotNull(user_id) AS user_id,
    course_id,
    max(type = 'enroll') AS enrolled,
    max(type = 'video_complete') AS completed,
    max(ts) AS last_at
FROM events
WHERE type IN ('enroll', 'video_complete') AND user_id IS NOT NULL AND course_id != toUUID('00000000-0000-0000-0000-000000000000')
GROUP BY day, user_id, course_id;

-- Each refresh writes its neighbours under a new generation, then records the generation here:
-- readers take the newest recorded one, so a refresh half written is never read.
CREATE TABLE course_neighbours
(
    generation DateTime64(3, 'UTC'),
    course_id UUID,
    neighbour_id UUID,
    score Float64,
    co_learners UInt32
)
ENGINE = MergeTree
ORDER BY (course_id, generation, neighbour_id);

CREATE TABLE recommendation_refreshes
(
    generation DateTime64(3, 'UTC'),
    pairs UInt64,
    elapsed_ms UInt64
)
ENGINE = MergeTree
ORDER BY generation;
