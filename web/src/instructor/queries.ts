import { ApiError } from '../api/client.ts';

/** Query keys of the instructor pages: their course shapes (drafts, status) differ from the learner's. */
export const ownCoursesKey = ['instructor', 'courses'] as const;
export const courseKey = (id: string) => ['instructor', 'course', id] as const;
export const videoKey = (id: string) => ['instructor', 'video', id] as const;
export const captionsKey = (videoId: string) => ['instructor', 'captions', videoId] as const;

/**
 * A 400 `invalid_request`'s `fields` by input name (`tags.2` is the tags input), so each message
 * sits next to its input; a taken slug is the slug input's problem too.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  if (error.code === 'slug_taken') return { slug: error.message };
  const fields = Array.isArray(error.details.fields) ? (error.details.fields as Array<{ field: string; message: string }>) : [];
  const byInput: Record<string, string> = {};
  for (const { field, message } of fields) byInput[field.split('.')[0] ?? field] ??= message;
  return byInput;
}
