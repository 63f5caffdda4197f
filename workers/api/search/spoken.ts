import { sql, type SQL } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { z } from 'zod';
import { normalizeSearchText } from '../../../contracts/arabic.ts';
import { Text } from '../catalog/schemas.ts';

/**
 * A query as the index holds text: normalized (kce_search_normalize), then read in English, in
 * Arabic and word for word (tracks in other languages), any of them matching.
 */
export function textQuery(q: string): SQL {
  return sql`(websearch_to_tsquery('english', kce_search_normalize(${q})) || websearch_to_tsquery('arabic', kce_search_normalize(${q})) || websearch_to_tsquery('simple', kce_search_normalize(${q})))`;
}

export const SearchQuery = z.strictObject({
  q: Text(200).min(1, 'must not be empty'),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(20, 'must be at most 20').default(10),
});

export const SpokenHit = z
  .object({
    courseId: z.uuid(),
    courseSlug: z.string(),
    courseTitle: z.string(),
    lessonId: z.uuid(),
    lessonTitle: z.string(),
    lessonPosition: z.int(),
    language: z.string().meta({ description: 'The caption track’s language.' }),
    startSeconds: z.number().meta({ description: 'Where the first matching cue starts: open the lesson there (`?t=`).' }),
    snippet: z.string().meta({ description: 'That cue’s text.' }),
    highlights: z.array(z.tuple([z.int(), z.int()])).meta({ description: 'The matching words, as [start, end) offsets (UTF-16) into the snippet.' }),
  })
  .meta({ id: 'SpokenHit' });
export type SpokenHit = z.infer<typeof SpokenHit>;
export const SpokenHits = z.object({ items: z.array(SpokenHit) }).meta({ id: 'SpokenHits' });

// Private-use characters around each match: they never occur in normalized caption text.
const MARK_START = '\uE000';
const MARK_END = '\uE001';
const WORD = /[\p{L}\p{M}\p{N}_]+/gu;

/**
 * Lessons whose captions say it, best first: tracks are ranked by their whole text (one vector per
 * track, so a common word ranks thousands of tracks, not millions of cues), then each hit's first
 * matching cue gives the second and the snippet. The matching tracks come through their GIN index
 * (kce_spoken_tracks, migration 0010). Published courses only.
 */
export async function searchSpoken(db: NeonDatabase, query: z.output<typeof SearchQuery>): Promise<SpokenHit[]> {
  const { rows } = await db.execute<{
    course_id: string;
    course_slug: string;
    course_title: string;
    lesson_id: string;
    lesson_title: string;
    lesson_position: number;
    language: string;
    start_ms: number;
    text: string;
    marked: string;
  }>(sql`
    with q as (select query, regexp_replace(query::text, '<\d*-?>|&', '|', 'g')::tsquery as any_word from (select ${textQuery(query.q)} as query) parsed),
    hits as (
      select t.id as track_id, t.language, said.rank, l.id as lesson_id, l.title as lesson_title, l.position as lesson_position,
             c.id as course_id, c.slug as course_slug, c.title as course_title
      from q, kce_spoken_tracks(q.query) said
      join caption_tracks t on t.id = said.track_id
      join lessons l on l.video_id = t.video_id
      join courses c on c.id = l.course_id and c.status = 'published'
      order by said.rank desc, t.id
      limit ${query.limit}
    )
    select h.*, cue.start_ms, cue.text,
           ts_headline(kce_search_config(h.language), kce_search_normalize(cue.text), q.query, ${`HighlightAll=true, StartSel=${MARK_START}, StopSel=${MARK_END}`}) as marked
    from hits h, q, lateral (
      -- The first cue that says it all, or else the first that says any of it (the words may fall in different cues).
      select start_ms, text from caption_cues where track_id = h.track_id and search @@ q.any_word order by search @@ q.query desc, position limit 1
    ) cue
    order by h.rank desc, h.track_id`);
  return rows.map((row) => ({
    courseId: row.course_id,
    courseSlug: row.course_slug,
    courseTitle: row.course_title,
    lessonId: row.lesson_id,
    lessonTitle: row.lesson_title,
    lessonPosition: row.lesson_position,
    language: row.language,
    startSeconds: row.start_ms / 1000,
    snippet: row.text,
    highlights: highlights(row.text, row.marked),
  }));
}

/**
 * The words of the original text whose normalized form PostgreSQL marked in the normalized text:
 * the snippet keeps its diacritics and its case, and the matches still line up.
 */
export function highlights(text: string, marked: string): Array<[number, number]> {
  const matched = new Set([...marked.matchAll(new RegExp(`${MARK_START}([^${MARK_END}]*)${MARK_END}`, 'gu'))].map((match) => match[1]));
  return [...text.matchAll(WORD)].filter((word) => matched.has(normalizeSearchText(word[0]))).map((word) => [word.index, word.index + word[0].length]);
}
