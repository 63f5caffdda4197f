import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { videos } from '../../../db/schema.ts';
import { Rendition } from '../../../contracts/transcoder.ts';
import { PlaybackCaption } from '../captions/schemas.ts';

/** Answers of the video routes, their row fields derived from `db/schema.ts`; timestamps travel as ISO strings. */
const videoRow = createSelectSchema(videos);

export const VideoStatus = videoRow
  .pick({ id: true, courseId: true, lessonId: true, filename: true, status: true, attempts: true, durationSeconds: true, width: true, height: true })
  .extend({
    percent: z.number().meta({ description: 'How much of the encoding is done, 0–100.' }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    renditions: z.array(Rendition).nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'VideoStatus' });

export const UploadTarget = z
  .discriminatedUnion('mode', [
    z.object({ mode: z.literal('single'), url: z.url(), method: z.literal('PUT'), headers: z.record(z.string(), z.string()), expiresIn: z.int() }),
    z.object({ mode: z.literal('multipart'), partSize: z.int(), partCount: z.int(), expiresIn: z.int() }),
  ])
  .meta({ id: 'UploadTarget' });
export type UploadTarget = z.infer<typeof UploadTarget>;

export const UploadStarted = z.object({ videoId: z.uuid(), status: z.literal('awaiting_upload'), upload: UploadTarget }).meta({ id: 'UploadStarted' });
export const PartUrls = z.object({ parts: z.array(z.object({ partNumber: z.int(), url: z.url() })) });
export const UploadedParts = z.object({ parts: z.array(z.object({ partNumber: z.int(), etag: z.string(), size: z.int() })) });

export const Playback = z
  .object({
    videoId: z.uuid(),
    status: z.enum(['playable', 'ready']).meta({ description: '`playable`: still being encoded, its playlists grow; `percent` says how far it is.' }),
    percent: z.number(),
    master: z.url(),
    poster: z.url().nullable().meta({ description: 'Made from the whole video: null until it is ready.' }),
    storyboard: z.object({ image: z.url(), vtt: z.url() }).nullable(),
    download: z.url().nullable().meta({ description: 'One MP4 for offline viewing; null until ready.' }),
    durationSeconds: z.number().nullable(),
    captions: z.array(PlaybackCaption).meta({ description: 'Its caption tracks (also listed in the master playlist as EXT-X-MEDIA TYPE=SUBTITLES).' }),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'Playback' });
export type Playback = z.infer<typeof Playback>;
