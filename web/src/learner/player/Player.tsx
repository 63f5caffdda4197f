import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type CSSProperties, type KeyboardEvent as ReactKeyboardEvent, type PointerEvent as ReactPointerEvent } from 'react';
import type Hls from 'hls.js/light';
import { useI18n } from '../../i18n/i18n.tsx';
import { ErrorMessage } from '../../ui/states.tsx';
import { formatClock, type Playback } from '../catalog.ts';
import { Icon } from './icons.tsx';
import { cueAt, parseStoryboard, type StoryboardCue } from './storyboard.ts';
import { useWatchReporting, type WatchContext } from './useWatchReporting.ts';

const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2];

interface Level {
  index: number;
  name: string;
}

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
function startPlaying(video: HTMLVideoElement): void {
  void video.play().catch(() => undefined);
}

export interface PlayerProps {
  playback: Playback;
  title: string;
  /** Where to start (the saved position); read once, when the video is attached. */
  startAt: number;
  watch: WatchContext;
  onEnded(): void;
}

export function Player({ playback, title, startAt, watch, onEnded }: PlayerProps) {
  const { t } = useI18n();
  const root = useRef<HTMLDivElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const hlsRef = useRef<Hls | undefined>(undefined);
  const renditionRef = useRef<string | undefined>(undefined);
  const startRef = useRef(startAt);
  const endedRef = useRef(onEnded);
  useEffect(() => {
    endedRef.current = onEnded;
  });

  const [paused, setPaused] = useState(true);
  const [current, setCurrent] = useState(startAt);
  const [duration, setDuration] = useState(playback.durationSeconds ?? 0);
  const [muted, setMuted] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [levels, setLevels] = useState<Level[]>([]);
  const [quality, setQuality] = useState<number | 'auto'>('auto');
  const [rendition, setRendition] = useState<string>();
  const [fullscreen, setFullscreen] = useState(false);
  const [failure, setFailure] = useState<Error>();

  // Declared before the source effect: its clean-up saves the position while the video still has it.
  useWatchReporting(videoRef, watch, renditionRef);

  const renditionNow = (name: string | undefined) => {
    renditionRef.current = name;
    setRendition(name);
  };

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    let cancelled = false;
    let hls: Hls | undefined;
    const start = startRef.current;
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
            startPlaying(video);
          });
          player.on(HlsPlayer.Events.LEVEL_SWITCHED, (_event, data) => {
            const level = player.levels[data.level];
            renditionNow(level && levelName(level));
          });
          player.on(HlsPlayer.Events.ERROR, (_event, data) => {
            if (!data.fatal) return;
            // hls.js's documented recovery: reload on network trouble, rebuild the buffer on a media error.
            if (data.type === HlsPlayer.ErrorTypes.NETWORK_ERROR) player.startLoad();
            else if (data.type === HlsPlayer.ErrorTypes.MEDIA_ERROR) player.recoverMediaError();
            else setFailure(new Error(`${t('learner.player.error')} (${data.details})`));
          });
          player.loadSource(playback.master);
          player.attachMedia(video);
        })
        .catch((error: unknown) => setFailure(error instanceof Error ? error : new Error(String(error))));
    } else {
      const onMetadata = () => {
        if (start > 0) video.currentTime = start;
        renditionNow(video.videoHeight ? `${video.videoHeight}p` : undefined);
      };
      video.addEventListener('loadedmetadata', onMetadata, { once: true });
      video.src = playback.master;
      startPlaying(video);
    }
    return () => {
      cancelled = true;
      hls?.destroy();
      hlsRef.current = undefined;
      video.removeAttribute('src');
      video.load();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new master URL is a new source; `t` only words a rare failure
  }, [playback.master]);

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement === root.current);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  const video = () => videoRef.current;
  const togglePlay = () => {
    const element = video();
    if (!element) return;
    if (element.paused) startPlaying(element);
    else element.pause();
  };
  const seekTo = (time: number) => {
    const element = video();
    if (element) element.currentTime = Math.max(0, Math.min(time, element.duration || time));
  };
  const chooseQuality = (value: string) => {
    const hls = hlsRef.current;
    if (!hls) return;
    const level = value === 'auto' ? -1 : Number(value);
    setQuality(value === 'auto' ? 'auto' : level);
    // `currentLevel` switches now (flushing the buffer ahead) so the choice shows at once; -1 is automatic.
    hls.currentLevel = level;
  };
  const chooseSpeed = (value: number) => {
    const element = video();
    if (element) element.playbackRate = value;
    setSpeed(value);
  };
  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void root.current?.requestFullscreen().catch(() => undefined);
  };
  const onKeyDown = (event: ReactKeyboardEvent) => {
    // Keys act on the player only when no control of its own wants them.
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || event.target instanceof HTMLButtonElement) return;
    const element = video();
    if (!element) return;
    if (event.key === ' ' || event.key === 'k') togglePlay();
    else if (event.key === 'ArrowRight') seekTo(element.currentTime + 5);
    else if (event.key === 'ArrowLeft') seekTo(element.currentTime - 5);
    else if (event.key === 'f') toggleFullscreen();
    else return;
    event.preventDefault();
  };

  return (
    <div
      ref={root}
      className={`player${paused ? ' paused' : ''}`}
      role="region"
      aria-label={t('learner.player.region')}
      data-rendition={rendition ?? ''}
      onKeyDown={onKeyDown}
    >
      <video
        ref={videoRef}
        data-testid="player-video"
        className="player-video"
        poster={playback.poster ?? undefined}
        playsInline
        preload="metadata"
        aria-label={title}
        tabIndex={0}
        onClick={togglePlay}
        onPlay={() => setPaused(false)}
        onPause={() => setPaused(true)}
        onTimeUpdate={(event) => setCurrent(event.currentTarget.currentTime)}
        // A video still processing has played out only its encoded part: the timeline shows the whole length.
        onDurationChange={(event) => Number.isFinite(event.currentTarget.duration) && setDuration(Math.max(event.currentTarget.duration, playback.durationSeconds ?? 0))}
        onVolumeChange={(event) => setMuted(event.currentTarget.muted)}
        onRateChange={(event) => setSpeed(event.currentTarget.playbackRate)}
        onEnded={() => endedRef.current()}
        // With hls.js its own ERROR event decides (it recovers from most media errors); natively this is the only signal.
        onError={(event) => !hlsRef.current && setFailure(new Error(`${t('learner.player.error')} ${event.currentTarget.error?.message ?? ''}`.trim()))}
      />
      {paused && (
        <button type="button" className="player-big-play" onClick={togglePlay} aria-label={t('learner.player.play')}>
          <Icon name="play" />
        </button>
      )}
      <div className="player-controls">
        <SeekBar current={current} duration={duration} storyboardVtt={playback.storyboard?.vtt} onSeek={seekTo} />
        <div className="player-buttons">
          <button type="button" className="player-button" onClick={togglePlay} aria-label={paused ? t('learner.player.play') : t('learner.player.pause')}>
            <Icon name={paused ? 'play' : 'pause'} />
          </button>
          <button
            type="button"
            className="player-button"
            onClick={() => {
              const element = video();
              if (element) element.muted = !element.muted;
            }}
            aria-label={muted ? t('learner.player.unmute') : t('learner.player.mute')}
            aria-pressed={muted}
          >
            <Icon name={muted ? 'muted' : 'volume'} />
          </button>
          <span className="player-time" dir="ltr">
            {formatClock(current)} / {formatClock(duration)}
          </span>
          <span className="player-spacer" />
          <label className="player-select">
            <span className="visually-hidden">{t('learner.player.speed')}</span>
            <select value={speed} onChange={(event) => chooseSpeed(Number(event.target.value))}>
              {SPEEDS.map((value) => (
                <option key={value} value={value}>
                  {value === 1 ? t('learner.player.speedNormal') : `${value}×`}
                </option>
              ))}
            </select>
          </label>
          {levels.length > 1 && (
            <label className="player-select">
              <span className="visually-hidden">{t('learner.player.quality')}</span>
              {/* An <option> holds text only: FSI…PDI isolate the Latin rendition name inside Arabic words. */}
              <select value={quality} onChange={(event) => chooseQuality(event.target.value)}>
                <option value="auto">{rendition ? t('learner.player.qualityAutoNow', { rendition: `\u2068${rendition}\u2069` }) : t('learner.player.qualityAuto')}</option>
                {levels.map((level) => (
                  <option key={level.index} value={level.index}>
                    {level.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {!levels.length && rendition && <span className="player-time">{rendition}</span>}
          <button type="button" className="player-button" onClick={toggleFullscreen} aria-label={fullscreen ? t('learner.player.exitFullscreen') : t('learner.player.fullscreen')}>
            <Icon name={fullscreen ? 'exitFullscreen' : 'fullscreen'} />
          </button>
        </div>
      </div>
      {failure && <ErrorMessage error={failure} />}
    </div>
  );
}

/**
 * The timeline: a native range input (keyboard, screen readers) with storyboard thumbnails while the
 * pointer hovers or drags. Time runs left to right in Arabic too, as on a tape.
 */
function SeekBar({ current, duration, storyboardVtt, onSeek }: { current: number; duration: number; storyboardVtt: string | undefined; onSeek(time: number): void }) {
  const { t } = useI18n();
  const [hover, setHover] = useState<number>();
  const storyboard = useQuery({
    queryKey: ['storyboard', storyboardVtt],
    queryFn: async ({ signal }) => {
      if (!storyboardVtt) return [];
      const response = await fetch(storyboardVtt, { signal });
      if (!response.ok) throw new Error(`storyboard ${response.status}`);
      return parseStoryboard(await response.text(), storyboardVtt);
    },
    // A video still processing has none yet.
    enabled: Boolean(storyboardVtt),
    staleTime: Infinity,
    // Thumbnails are a nicety: without them the timeline still seeks.
    retry: false,
  });
  const timeAt = (event: ReactPointerEvent<HTMLElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    return Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)) * duration;
  };
  const cue = hover !== undefined && storyboard.data ? cueAt(storyboard.data, hover) : undefined;
  return (
    <div className="seek" dir="ltr" onPointerMove={(event) => setHover(timeAt(event))} onPointerLeave={() => setHover(undefined)}>
      {hover !== undefined && duration > 0 && <Thumbnail cue={cue} time={hover} fraction={hover / duration} />}
      <input
        type="range"
        className="seek-input"
        min={0}
        max={duration || 0}
        step={0.1}
        value={Math.min(current, duration || 0)}
        aria-label={t('learner.player.seek')}
        aria-valuetext={t('learner.player.time', { current: formatClock(current), total: formatClock(duration) })}
        onChange={(event) => onSeek(Number(event.target.value))}
        style={{ '--played': `${duration ? (current / duration) * 100 : 0}%` } as CSSProperties}
      />
    </div>
  );
}

function Thumbnail({ cue, time, fraction }: { cue: StoryboardCue | undefined; time: number; fraction: number }) {
  const width = cue?.width ?? 0;
  return (
    <div
      className="seek-thumbnail"
      aria-hidden="true"
      // Kept inside the bar at both ends.
      style={{ insetInlineStart: `clamp(0px, calc(${fraction * 100}% - ${width / 2}px), calc(100% - ${width}px))` }}
    >
      {cue && (
        <div
          className="seek-thumbnail-image"
          style={{ inlineSize: cue.width, blockSize: cue.height, backgroundImage: `url("${cue.image}")`, backgroundPosition: `-${cue.x}px -${cue.y}px` }}
        />
      )}
      <span>{formatClock(time)}</span>
    </div>
  );
}
