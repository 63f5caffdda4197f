import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { TranscodeJob } from '../../contracts/transcoder.ts';
import { JobFailure } from './failure.ts';
import type { SourceVideo } from './ladder.ts';

const run = promisify(execFile);

/** The part of `ffprobe -show_format -show_streams -print_format json` read here. */
const Probe = z.object({
  format: z.object({ format_name: z.string(), duration: z.string().optional(), bit_rate: z.string().optional() }).optional(),
  streams: z
    .array(
      z.object({
        index: z.int(),
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        profile: z.string().optional(),
        width: z.int().optional(),
        height: z.int().optional(),
        avg_frame_rate: z.string().optional(),
        r_frame_rate: z.string().optional(),
        duration: z.string().optional(),
        bit_rate: z.string().optional(),
        channels: z.int().optional(),
        sample_rate: z.string().optional(),
        disposition: z.object({ attached_pic: z.int().optional() }).optional(),
        tags: z.object({ rotate: z.string().optional() }).optional(),
        side_data_list: z.array(z.object({ rotation: z.number().optional() })).optional(),
      }),
    )
    .default([]),
});
type Probe = z.infer<typeof Probe>;

/** The streams a transcode reads, by their index in the source. */
export interface ProbedSource extends SourceVideo {
  videoStream: number;
  audioStream: number | undefined;
}

/** Single-image demuxers: a photo renamed `.mp4` has a "video" stream but is no video. */
const STILL_IMAGE_FORMAT = /_pipe$|^image2$/;
/** ffmpeg tags its messages with the component that wrote them; a demuxer's tag means it knew the format. */
const DEMUXER_MESSAGE = /^\[[\w,]+ @ 0x[0-9a-f]+\]/m;

/**
 * Reads the source with ffprobe and refuses, with a reason an instructor understands, anything the
 * ladder cannot be made from. These failures are final: the same file fails the same way again.
 */
export async function probeSource(path: string, limits: TranscodeJob['limits'], signal: AbortSignal): Promise<ProbedSource> {
  let stdout: string;
  try {
    ({ stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], { signal, maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    if (signal.aborted) throw error;
    const stderr = (error as { stderr?: string }).stderr ?? '';
    if (DEMUXER_MESSAGE.test(stderr)) throw new JobFailure('corrupt', 'The file looks like a video but is damaged or incomplete, so it cannot be read. Please upload it again.', false);
    throw new JobFailure('not_a_video', 'The file is not a video format we can read. Please upload a video file (for example MP4, MOV or WebM).', false);
  }
  return describeSource(Probe.parse(JSON.parse(stdout)), limits);
}

export function describeSource(probe: Probe, limits: TranscodeJob['limits']): ProbedSource {
  const { format, streams } = probe;
  if (!format || STILL_IMAGE_FORMAT.test(format.format_name)) {
    throw new JobFailure('not_a_video', 'The file is a still image or an unknown format, not a video.', false);
  }
  const video = streams.find((stream) => stream.codec_type === 'video' && !stream.disposition?.attached_pic);
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  if (!video) {
    if (audio) throw new JobFailure('no_video_stream', 'The file has sound but no picture. Please upload a video, not an audio recording.', false);
    throw new JobFailure('not_a_video', 'The file contains no video.', false);
  }
  const durationSeconds = Number(format.duration ?? video.duration);
  if (!video.width || !video.height || !(durationSeconds > 0)) {
    throw new JobFailure('corrupt', 'The video is damaged: its size or length cannot be read. Please upload it again.', false);
  }
  const quarterTurn = Math.abs(video.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? Number(video.tags?.rotate ?? 0)) % 180 === 90;
  const [width, height] = quarterTurn ? [video.height, video.width] : [video.width, video.height];

  if (durationSeconds > limits.maxDurationSeconds) {
    throw new JobFailure('too_long', `The video lasts ${spoken(durationSeconds)}; the longest accepted is ${spoken(limits.maxDurationSeconds)}.`, false);
  }
  const [longLimit, shortLimit] = [Math.max(limits.maxWidth, limits.maxHeight), Math.min(limits.maxWidth, limits.maxHeight)];
  if (Math.max(width, height) > longLimit || Math.min(width, height) > shortLimit) {
    throw new JobFailure('resolution_too_large', `The video is ${width}x${height} pixels; the largest accepted is ${longLimit}x${shortLimit}.`, false);
  }
  return {
    width,
    height,
    durationSeconds,
    fps: frameRate(video.avg_frame_rate) ?? frameRate(video.r_frame_rate) ?? 30,
    bitrate: Number(video.bit_rate ?? format.bit_rate) || undefined,
    videoStream: video.index,
    audioStream: audio?.index,
    audio: audio && {
      codec: audio.codec_name ?? 'unknown',
      profile: audio.profile,
      channels: audio.channels ?? 0,
      sampleRate: Number(audio.sample_rate ?? 0),
    },
  };
}

/** `30000/1001` → 29.97; ffprobe says `0/0` when it does not know. */
function frameRate(rate: string | undefined): number | undefined {
  const [numerator, denominator] = (rate ?? '').split('/').map(Number);
  const fps = numerator && denominator ? numerator / denominator : NaN;
  return fps > 0 && fps <= 240 ? fps : undefined;
}

/** 754 → "12 min 34 s". */
function spoken(seconds: number): string {
  const whole = Math.round(seconds);
  const parts = [[Math.floor(whole / 3600), 'h'], [Math.floor(whole / 60) % 60, 'min'], [whole % 60, 's']] as const;
  return parts.filter(([value]) => value > 0).map(([value, unit]) => `${value} ${unit}`).join(' ') || '0 s';
}
