import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { useI18n } from '../../i18n/i18n.tsx';
import { ErrorMessage } from '../../ui/states.tsx';
import type { Playback } from '../catalog.ts';
import { PlayerControls } from './PlayerControls.tsx';
import { startPlaying, usePlaybackSource } from './usePlaybackSource.ts';
import { useWatchReporting, type WatchContext } from './useWatchReporting.ts';

export interface PlayerProps {
  playback: Playback;
  title: string;
  /** Where to start (the saved position); read once, when the video is attached. */
  startAt: number;
  watch: WatchContext;
  onEnded(): void;
}

/** The video with its source, its controls and keyboard shortcuts, reporting what is watched. */
export function Player({ playback, title, startAt, watch, onEnded }: PlayerProps) {
  const { t } = useI18n();
  const root = useRef<HTMLDivElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const renditionRef = useRef<string | undefined>(undefined);
  const endedRef = useRef(onEnded);
  useEffect(() => {
    endedRef.current = onEnded;
  });

  const [paused, setPaused] = useState(true);
  const [current, setCurrent] = useState(startAt);
  const [duration, setDuration] = useState(playback.durationSeconds ?? 0);
  const [muted, setMuted] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [fullscreen, setFullscreen] = useState(false);

  // Declared before the source: its clean-up saves the position while the video still has it.
  useWatchReporting(videoRef, watch, renditionRef);
  const source = usePlaybackSource(videoRef, playback.master, startAt, renditionRef);

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
  const toggleMute = () => {
    const element = video();
    if (element) element.muted = !element.muted;
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
      data-rendition={source.rendition ?? ''}
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
      />
      <PlayerControls
        paused={paused}
        current={current}
        duration={duration}
        muted={muted}
        speed={speed}
        fullscreen={fullscreen}
        levels={source.levels}
        quality={source.quality}
        rendition={source.rendition}
        storyboardVtt={playback.storyboard?.vtt}
        onTogglePlay={togglePlay}
        onSeek={seekTo}
        onToggleMute={toggleMute}
        onSpeed={chooseSpeed}
        onQuality={source.chooseQuality}
        onToggleFullscreen={toggleFullscreen}
      />
      {source.failure && <ErrorMessage error={source.failure} />}
    </div>
  );
}
