import { useEffect, useRef, useState, type RefObject } from 'react';
import type Hls from 'hls.js/light';
import { useI18n } from '../../i18n/i18n.tsx';
import type { ReportPlayerEvent } from './useWatchReporting.ts';

export interface Level {
  index: number;
  name: string;
}

/** The rendition on screen: its name (`720p`) and, with hls.js, its bitrate in bits/s. */
export interface Rendition {
  name: string;
  bitrate?: number;
}

/** A rendition's index in `levels`, or hls.js's automatic choice. */
export type Quality = number | 'auto';

/** `720p`: what a learner calls a rendition (the ladder names its playlists the same way). */
function levelName(level: { height: number; bitrate: number }): string {
  return level.height ? `${level.height}p` : `${Math.round(level.bitrate / 1000)} kbps`;
}

/**
 * hls.js wherever Media Source Extensions play H.264 (Chromium, Firefox, desktop Safari): it gives
 * the quality menu. Native HLS only where there is no MSE (older iPhones). Asking `canPlayType`
 * first would not do: current Chromium answers "maybe" for HLS and would lose the quality menu.
 */
function mediaSourceWorks(): boolean {
  const mse = (globalThis as { ManagedMediaSource?: typeof MediaSource }).ManagedMediaSource ?? globalThis.MediaSource;
  return Boolean(mse?.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"'));
}

/**
 * play() is refused without a user gesture (autoplay) and cancelled by a new load; neither is a
 * failure to show. A media that cannot play reports through the element's `error` event instead.
 */
export function startPlaying(video: HTMLVideoElement): void {
  void video.play().catch(() => undefined);
}

/**
 * Plays the HLS `master` playlist in the video: hls.js (loaded on demand) with its renditions and
 * recovery, or the browser's own HLS. `renditionRef` follows the rendition on screen for whoever reads
 * it outside React (the watch reporting); `report` gets the rendition switches and the errors, fatal
 * or recovered. `startAt` is read once, when the video is first attached: a new `master` (the whole
 * ladder of a video that finished processing) takes over where the old one was, playing only if it was.
 */
export function usePlaybackSource(
  videoRef: RefObject<HTMLVideoElement | null>,
  master: string,
  startAt: number,
  renditionRef: RefObject<Rendition | undefined>,
  report: ReportPlayerEvent,
) {
  const { t } = useI18n();
  const hlsRef = useRef<Hls | undefined>(undefined);
  const startRef = useRef(startAt);
  const playRef = useRef(true);
  const [levels, setLevels] = useState<Level[]>([]);
  const [quality, setQuality] = useState<Quality>('auto');
  const [rendition, setRendition] = useState<string>();
  const [failure, setFailure] = useState<Error>();

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    let cancelled = false;
    let hls: Hls | undefined;
    const start = startRef.current;
    const play = playRef.current;
    const renditionNow = (now: Rendition | undefined) => {
      renditionRef.current = now;
      setRendition(now?.name);
    };
    // Natively the element's error is the only signal; with hls.js its own ERROR event decides (it recovers from most media errors).
    const onNativeError = () => {
      report('playback_error', { fatal: true, error_type: 'native', error_details: `MediaError ${video.error?.code ?? 0}` });
      setFailure(new Error(`${t('learner.player.error')} ${video.error?.message ?? ''}`.trim()));
    };
    if (mediaSourceWorks()) {
      void import('hls.js/light')
        .then(({ default: HlsPlayer }) => {
          if (cancelled) return;
          // An explicit start: a video still processing has a growing (EVENT) playlist, which hls.js would join at its end.
          const player = new HlsPlayer({ startPosition: start });
          hls = player;
          hlsRef.current = player;
          player.on(HlsPlayer.Events.MANIFEST_PARSED, (_event, data) => {
            setLevels(data.levels.map((level, index) => ({ index, name: levelName(level) })));
            // Not before: attaching the media restarts the element's load, which cancels an earlier play().
            if (play) startPlaying(video);
          });
          player.on(HlsPlayer.Events.LEVEL_SWITCHED, (_event, data) => {
            const level = player.levels[data.level];
            if (!level) return renditionNow(undefined);
            renditionNow({ name: levelName(level), bitrate: level.bitrate });
            report('rendition_switch', { bitrate: level.bitrate, height: level.height });
          });
          player.on(HlsPlayer.Events.ERROR, (_event, data) => {
            report('playback_error', { fatal: data.fatal, error_type: data.type, error_details: data.details });
            if (!data.fatal) return;
            // hls.js's documented recovery: reload on network trouble, rebuild the buffer on a media error.
            if (data.type === HlsPlayer.ErrorTypes.NETWORK_ERROR) player.startLoad();
            else if (data.type === HlsPlayer.ErrorTypes.MEDIA_ERROR) player.recoverMediaError();
            else setFailure(new Error(`${t('learner.player.error')} (${data.details})`));
          });
          player.loadSource(master);
          player.attachMedia(video);
        })
        .catch((error: unknown) => setFailure(error instanceof Error ? error : new Error(String(error))));
    } else {
      const onMetadata = () => {
        if (start > 0) video.currentTime = start;
        renditionNow(video.videoHeight ? { name: `${video.videoHeight}p` } : undefined);
      };
      video.addEventListener('loadedmetadata', onMetadata, { once: true });
      video.addEventListener('error', onNativeError);
      video.src = master;
      if (play) startPlaying(video);
    }
    return () => {
      cancelled = true;
      // A source that follows one that played starts where it was, playing only if it was.
      if (video.played.length > 0) {
        startRef.current = video.currentTime;
        playRef.current = !video.paused;
      }
      hls?.destroy();
      hlsRef.current = undefined;
      video.removeEventListener('error', onNativeError);
      video.removeAttribute('src');
      video.load();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new master URL is a new source; `t` only words a rare failure
  }, [videoRef, master, renditionRef, report]);

  const chooseQuality = (value: Quality) => {
    const hls = hlsRef.current;
    if (!hls) return;
    setQuality(value);
    // `currentLevel` switches now (flushing the buffer ahead) so the choice shows at once; -1 is automatic.
    hls.currentLevel = value === 'auto' ? -1 : value;
  };

  return { levels, quality, chooseQuality, rendition, failure };
}
