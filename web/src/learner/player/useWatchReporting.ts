import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, type RefObject } from 'react';
import { VIDEO_PROGRESS_INTERVAL_SECONDS } from '../../../../contracts/analytics.ts';
import { client, unwrap } from '../../api/client.ts';
import { track, type TrackedEvent } from '../../analytics/tracker.ts';
import type { Rendition } from './usePlaybackSource.ts';

/** Heartbeats (analytics `video_progress` and the saved position) every this many seconds of playing. */

export interface WatchContext {
  courseId: string;
  lessonId: string;
  videoId: string;
  /** Only an enrolled learner's position is saved (a preview viewer's would be refused). */
  savesProgress: boolean;
}

/**
 * Saves the position. Leaving the page uses a `keepalive` fetch, which outlives the page like a beacon
 * and, unlike one, carries the Authorization header.
 */
function saveProgress(lessonId: string, positionSeconds: number, durationSeconds: number, leaving: boolean): Promise<unknown> {
  const body = { positionSeconds: Math.round(positionSeconds * 10) / 10, durationSeconds };
  return unwrap(client.PUT('/api/lessons/{lessonId}/progress', { params: { path: { lessonId } }, body, keepalive: leaving }));
}

/** A player event of its own (a caption change, a rendition switch, an error) and its props. */
export type ReportPlayerEvent = (type: TrackedEvent['type'], props: NonNullable<TrackedEvent['props']>) => void;

const msSince = (start: number) => Math.round(performance.now() - start);

/**
 * The player's analytics (play, pause, seek, a heartbeat every `VIDEO_PROGRESS_INTERVAL_SECONDS` of playing, complete) and the
 * saved watch position (each heartbeat, on pause, at the end and when the learner leaves).
 * Playing time is counted in real seconds at any speed, which is what watch time means.
 * Playback quality: the time from the first play request to the first frame (`playback_start`),
 * and each stall from `waiting` to `playing` (`playback_stall`) once playback has started.
 */
export function useWatchReporting(
  videoRef: RefObject<HTMLVideoElement | null>,
  context: WatchContext,
  rendition: RefObject<Rendition | undefined>,
  captions: RefObject<string | undefined>,
) {
  const queryClient = useQueryClient();
  const contextRef = useRef(context);
  useEffect(() => {
    contextRef.current = context;
  });

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    let lastSaved = -1;
    let playedSinceBeat = 0;
    let ticking: ReturnType<typeof setInterval> | undefined;
    let requestedAt: number | undefined;
    let started = false;
    let stalledAt: number | undefined;

    const event = (type: TrackedEvent['type'], extra: Partial<TrackedEvent> = {}) => playerEvent(video, contextRef.current, rendition.current, type, extra);
    const save = (leaving = false) => {
      const { lessonId, savesProgress } = contextRef.current;
      const duration = video.duration;
      const position = video.ended ? duration : video.currentTime;
      if (!savesProgress || !Number.isFinite(duration) || duration <= 0 || Math.abs(position - lastSaved) < 0.5) return;
      lastSaved = position;
      void saveProgress(lessonId, position, duration, leaving)
        .then(() => {
          // The course page and "continue learning" show this position next time they are opened.
          void queryClient.invalidateQueries({ queryKey: ['course'], refetchType: 'none' });
          void queryClient.invalidateQueries({ queryKey: ['learning'] });
        })
        .catch(() => (lastSaved = -1));
    };

    const tick = () => {
      playedSinceBeat += 1;
      if (playedSinceBeat < VIDEO_PROGRESS_INTERVAL_SECONDS) return;
      playedSinceBeat = 0;
      // Watch time with captions (per language) and per rendition (and its bitrate) is counted from these.
      const bitrate = rendition.current?.bitrate;
      event('video_progress', { props: { captions: captions.current ?? '', ...(bitrate ? { bitrate } : {}) } });
      save();
    };
    const endStall = () => {
      if (stalledAt === undefined) return;
      event('playback_stall', { props: { stall_ms: msSince(stalledAt) } });
      stalledAt = undefined;
    };
    const onPlaying = () => {
      if (!started && requestedAt !== undefined) event('playback_start', { props: { startup_ms: msSince(requestedAt) } });
      started = true;
      endStall();
      clearInterval(ticking);
      ticking = setInterval(tick, 1000);
    };
    const stopTicking = () => {
      clearInterval(ticking);
      ticking = undefined;
    };
    const onWaiting = () => {
      stopTicking();
      // Waiting for data after a seek is the learner's doing, not the network's: not a stall.
      if (started && !video.seeking) stalledAt ??= performance.now();
    };
    const onPlay = () => {
      requestedAt ??= performance.now();
      event('video_play');
    };
    const onPause = () => {
      stopTicking();
      // A learner giving up on a stall ends it too.
      endStall();
      // The end of the video pauses it too; that is `video_complete`, not a pause.
      if (video.ended) return;
      event('video_pause');
      save();
    };
    const onSeeked = () => event('video_seek');
    const onEnded = () => {
      stopTicking();
      event('video_complete');
      save();
    };
    const onHide = () => {
      if (document.visibilityState === 'hidden') save(true);
    };

    const listeners: Array<[EventTarget, string, () => void]> = [
      [video, 'play', onPlay],
      [video, 'playing', onPlaying],
      [video, 'waiting', onWaiting],
      [video, 'pause', onPause],
      [video, 'seeked', onSeeked],
      [video, 'ended', onEnded],
      [document, 'visibilitychange', onHide],
      [window, 'pagehide', onHide],
    ];
    for (const [target, type, listener] of listeners) target.addEventListener(type, listener);
    return () => {
      stopTicking();
      // Leaving the lesson inside the SPA: the page stays, so an ordinary request will do.
      save();
      for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
    };
  }, [videoRef, rendition, captions, queryClient, context.videoId]);

  /** An event the player itself reports, at the video's current position. */
  return useCallback<ReportPlayerEvent>(
    (type, props) => {
      if (videoRef.current) playerEvent(videoRef.current, contextRef.current, rendition.current, type, { props });
    },
    [videoRef, rendition],
  );
}

function playerEvent(video: HTMLVideoElement, context: WatchContext, rendition: Rendition | undefined, type: TrackedEvent['type'], extra: Partial<TrackedEvent>): void {
  track({
    type,
    course_id: context.courseId,
    lesson_id: context.lessonId,
    video_id: context.videoId,
    position_s: Math.round(video.currentTime * 10) / 10,
    duration_s: Number.isFinite(video.duration) ? Math.round(video.duration * 10) / 10 : undefined,
    playback_rate: video.playbackRate,
    rendition: rendition?.name,
    ...extra,
  });
}
