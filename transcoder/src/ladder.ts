/** What the transcoder needs to know about a source, as ffprobe reports it. */
export interface SourceVideo {
  /** The size as displayed: a phone video stored 1920x1080 with a 90° rotation is 1080x1920. */
  width: number;
  height: number;
  fps: number;
  durationSeconds: number;
  /** Bits/s of the video stream (or of the whole file when the container does not say). */
  bitrate: number | undefined;
  audio: SourceAudio | undefined;
}

export interface SourceAudio {
  codec: string;
  profile: string | undefined;
  channels: number;
  sampleRate: number;
}

export interface RenditionPlan {
  name: string;
  width: number;
  height: number;
  /** Target video bits/s. */
  bitrate: number;
}

export interface Ladder {
  /** Highest first. */
  renditions: RenditionPlan[];
  /** `copy` keeps the source's audio as it is; absent for a silent source. */
  audio: 'copy' | 'encode' | undefined;
}

/**
 * The rungs by their short side. Smaller pictures need more bits per pixel for the same look, so
 * the table rises as the size falls (5 Mbit/s for 1080p30, 2.8 for 720p30, 1.35 for 480p30, 0.83
 * for 360p30).
 */
const RUNGS = [
  { shortSide: 1080, bitsPerPixel: 0.08 },
  { shortSide: 720, bitsPerPixel: 0.1 },
  { shortSide: 480, bitsPerPixel: 0.11 },
  { shortSide: 360, bitsPerPixel: 0.12 },
];
const SMALLEST_BITS_PER_PIXEL = 0.12;
/** AAC-LC stereo at 128 kbit/s: what every HLS player decodes. */
export const AUDIO_BITRATE = 128_000;
export const AUDIO_SAMPLE_RATE = 48_000;

/** H.264 with 4:2:0 chroma needs even dimensions. */
const even = (size: number) => Math.max(2, Math.round(size / 2) * 2);
const evenDown = (size: number) => Math.max(2, Math.floor(size / 2) * 2);

/**
 * The renditions for a source: the standard rungs it can fill without upscaling, scaled on the short
 * side so portrait videos stay portrait; a source smaller than the smallest rung keeps its own size.
 */
export function ladderFor(source: SourceVideo): Ladder {
  const portrait = source.height > source.width;
  const shortSide = Math.min(source.width, source.height);
  const longSide = Math.max(source.width, source.height);
  const fitting = RUNGS.filter((rung) => rung.shortSide <= shortSide);
  const sizes = fitting.length > 0
    ? fitting.map((rung) => ({ short: rung.shortSide, long: even((longSide * rung.shortSide) / shortSide), bitsPerPixel: rung.bitsPerPixel }))
    : [{ short: evenDown(shortSide), long: evenDown(longSide), bitsPerPixel: SMALLEST_BITS_PER_PIXEL }];
  const renditions = sizes.map(({ short, long, bitsPerPixel }) => {
    const [width, height] = portrait ? [short, long] : [long, short];
    const target = Math.round(width * height * source.fps * bitsPerPixel);
    // More bits than the source has only make bigger files of the same picture.
    return { name: `${short}p`, width, height, bitrate: Math.min(target, source.bitrate ?? target) };
  });
  return { renditions, audio: source.audio && (isPlayableAsIs(source.audio) ? 'copy' : 'encode') };
}

/** AAC-LC only: the master playlist names the audio `mp4a.40.2`, and HE-AAC would be another codec. */
function isPlayableAsIs(audio: SourceAudio): boolean {
  return audio.codec === 'aac' && audio.profile === 'LC' && audio.channels === 2 && audio.sampleRate <= AUDIO_SAMPLE_RATE;
}
