/** The course levels, in the order the SPA lists them: the database enum (db/schema.ts) is made from them. */
export const COURSE_LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
