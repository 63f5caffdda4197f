-- The caption tracks that say the query, with their rank, always through the GIN index: each
-- track's vector is a large TOASTed value (an hour of speech) that the planner prices like a small
-- row, so on a table of a few thousand tracks it would rather decompress every vector to test it
-- than ask the index. The setting is scoped to this function's own query.
CREATE FUNCTION kce_spoken_tracks(query tsquery) RETURNS TABLE (track_id uuid, rank real)
  LANGUAGE sql STABLE PARALLEL SAFE SET enable_seqscan = off
  AS $$ SELECT id, ts_rank(search, query) FROM caption_tracks WHERE search @@ query $$;
