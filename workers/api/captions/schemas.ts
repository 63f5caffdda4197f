import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { captionTracks } from '../../../db/schema.ts';
import { CAPTION_LIMITS, CaptionLanguage } from '../../../contracts/captions.ts';
import { Text } from '../catalog/schemas.ts';

const Direction = z.enum(['ltr', 'rtl']).meta({ description: 'How the language is written: Arabic cues are laid out right to left.' });

export const CaptionTrack = createSelectSchema(captionTracks)
  .pick({ id: true, videoId: true, language: true, label: true, isDefault: true, version: true, cueCount: true, source: true })
  .extend({ direction: Direction, updatedAt: z.iso.datetime() })
  .meta({ id: 'CaptionTrack' });
export type CaptionTrack = z.infer<typeof CaptionTrack>;

export const CaptionTracks = z.object({ items: z.array(CaptionTrack) }).meta({ id: 'CaptionTracks' });

export const CaptionCue = z
  .object({
    startMs: z.int().nonnegative(),
    endMs: z.int().positive(),
    text: z.string().meta({ description: 'The cue as WebVTT cue text: only the markup WebVTT allows (b, i, u, c, v, lang, ruby), lines separated by \\n.' }),
    settings: z.string().optional().meta({ description: 'WebVTT cue settings kept from the upload (align, line, position, size, vertical).' }),
  })
  .meta({ id: 'CaptionCue' });

/** A track with its cues, for the caption editor. */
export const CaptionTrackCues = CaptionTrack.extend({ cues: z.array(CaptionCue) }).meta({ id: 'CaptionTrackCues' });

/** A tag in its canonical case (`ar-sa` → `ar-SA`, `zh-hant` → `zh-Hant`): one track per language, however it is typed. */
const CanonicalLanguage = CaptionLanguage.transform((tag, context) => {
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? tag;
  } catch {
    context.addIssue({ code: 'custom', message: 'a language tag such as en, ar or ar-SA' });
    return z.NEVER;
  }
});
export const LanguageParam = z.object({ id: z.uuid(), language: CanonicalLanguage });

const Label = Text(CAPTION_LIMITS.maxLabelChars).min(1, 'must not be empty');

export const CaptionUpload = z.object({
  label: Label.meta({ description: 'Shown in the player’s captions menu, e.g. "English" or "العربية".' }),
  isDefault: z.boolean().default(false).meta({ description: 'Chosen when a learner has not picked a language; one track per video.' }),
  content: z
    .string()
    .min(1)
    .meta({ description: `The whole WebVTT or SRT file as text (UTF-8, at most ${CAPTION_LIMITS.maxBytes} bytes). Each save is a new version.` }),
});

export const CaptionChanges = z
  .object({ label: Label.optional(), isDefault: z.boolean().optional() })
  .refine((changes) => changes.label !== undefined || changes.isDefault !== undefined, 'name a label or isDefault to change');

/** In a playback answer: the tracks a player offers, each a signed WebVTT URL. */
export const PlaybackCaption = z
  .object({ id: z.uuid(), language: z.string(), label: z.string(), default: z.boolean(), direction: Direction, url: z.url() })
  .meta({ id: 'PlaybackCaption' });
export type PlaybackCaption = z.infer<typeof PlaybackCaption>;
