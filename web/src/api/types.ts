/**
 * The API's JSON shapes, declared once beside the code that produces them. Type-only imports:
 * nothing of the server reaches the bundle.
 */
import type { CourseDetail, listOwnCourses } from '../../../workers/api/catalog/courses.ts';
import type { EnrollmentView } from '../../../workers/api/catalog/learning.ts';
import type { videoStatus } from '../../../workers/api/videos/playback.ts';
export type { CourseCard, CourseDetail, LessonView } from '../../../workers/api/catalog/courses.ts';
export type { ContinueLearning, EnrollmentView, LessonProgressView } from '../../../workers/api/catalog/learning.ts';
export type { Playback } from '../../../workers/api/videos/playback.ts';
export type { UploadTarget } from '../../../workers/api/videos/uploads.ts';
export type { NotificationView } from '../../../workers/api/notifications.ts';
export type { Profile } from '../../../workers/api/identity/accounts.ts';
export type { Dashboard, DropOff } from '../../../workers/analytics/dashboards.ts';

export type Level = CourseDetail['level'];
export type CourseStatus = CourseDetail['status'];
/** `GET /api/courses/:idOrSlug`: the course, and for a signed-in viewer their enrollment. */
export type CourseWithEnrollment = CourseDetail & { enrollment: EnrollmentView | null };
/** `GET /api/courses/mine`: cards with their status, drafts included. */
export type OwnCourse = Awaited<ReturnType<typeof listOwnCourses>>[number];
/** `GET /api/videos/:id`. */
export type VideoStatus = ReturnType<typeof videoStatus>;
export type VideoState = VideoStatus['status'];
