/** The API's shapes the instructor pages read (declared once in web/src/api/types.ts), and the form's. */
import type { CourseDetail } from '../api/types.ts';

export type { CaptionTrack, CaptionTrackCues, CourseDetail, CourseStatus, Level, LessonView as Lesson, VideoState, VideoStatus } from '../api/types.ts';

/** What the course form edits: the writable fields of a course. */
export type CourseFields = Pick<CourseDetail, 'title' | 'slug' | 'summary' | 'description' | 'language' | 'level' | 'tags'>;

