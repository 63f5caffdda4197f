import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, type RefObject } from 'react';
import { VIDEO_PROGRESS_INTERVAL_SECONDS } from '../../../../contracts/analytics.ts';
import { client, unwrap } from '../../api/client.ts';
import { track, type TrackedEvent } from '../../analytics/tracker.ts';

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

/**
 * The player's analytics (play, pause, seek, a heartbeat every `VIDEO_PROGRESS_INTERVAL_SECONDS` of playing, complete) and the
 * saved watch position (each heartbeat, on pause, at the end and when the learner leaves).
 * Playing time is counted in real seconds at any speed, which is what watch time means.
 */
export function useWatchReporting(
  videoRef: RefObject<HTMLVideoElement | null>,
  context: WatchContext,
  rendition: RefObject<string | undefined>,
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
      // Watch time with captions, per language, is counted from these.
      event('video_progress', { props: { captions: captions.current ?? '' } });
      save();
    };
    const onPlaying = () => {
      clearInterval(ticking);
      ticking = setInterval(tick, 1000);
    };
    const stopTicking = () => {
      clearInterval(ticking);
      ticking = undefined;
    };
    const onPlay = () => event('video_play');
    const onPause = () => {
      stopTicking();
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
      [video, 'waiting', stopTicking],
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

  /** An event the player itself reports (a caption change), at the video's current position. */
  return useCallback(
    (type: TrackedEvent['type'], props: Record<string, string>) => {
      if (videoRef.current) playerEvent(videoRef.current, contextRef.current, rendition.current, type, { props });
    },
    [videoRef, rendition],
  );
}

function playerEvent(video: HTMLVideoElement, context: WatchContext, rendition: string | undefined, type: TrackedEvent['type'], extra: Partial<TrackedEvent>): void {
  track({
    type,
    course_id: context.courseId,
    lesson_id: context.lessonId,
    video_id: context.videoId,
    position_s: Math.round(video.currentTime * 10) / 10,
    duration_s: Number.isFinite(video.duration) ? Math.round(video.duration * 10) / 10 : undefined,
    playback_rate: video.playbackRate,
    rendition,
    ...extra,
  });
}
