import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { useSession } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { ErrorMessage } from '../../ui/states.tsx';
import type { Playback } from '../catalog.ts';
import { PlayerControls } from './PlayerControls.tsx';
import { Transcript } from './Transcript.tsx';
import { useCaptions } from './useCaptions.ts';
import { startPlaying, usePlaybackSource, type Rendition } from './usePlaybackSource.ts';
import { useWatchReporting, type WatchContext } from './useWatchReporting.ts';

export interface PlayerProps {
  playback: Playback;
  /** The master of the whole ladder, once a video that was still being encoded is ready. */
  complete?: string;
  title: string;
  /** Where to start (a linked second or the saved position); read once, when the video is attached. */
  startAt: number;
  watch: WatchContext;
  onEnded(): void;
}

/**
 * The video with its source, its controls, captions and keyboard shortcuts, reporting what is watched;
 * then the transcript, when the video has captions (the page lays the two out side by side or stacked).
 */
export function Player({ playback, complete, title, startAt, watch, onEnded }: PlayerProps) {
  const { t } = useI18n();
  const { user } = useSession();
  const root = useRef<HTMLDivElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const renditionRef = useRef<Rendition | undefined>(undefined);
  /** The caption language on screen, which each heartbeat names. */
  const captionsRef = useRef<string | undefined>(undefined);
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
  const report = useWatchReporting(videoRef, watch, renditionRef, captionsRef);
  // A video still being encoded plays from a master of its lowest rung; once the whole ladder is
  // done (`complete`), the player takes it up at the learner's next pause, never mid-play (a new
  // source rebuffers).
  const [master, setMaster] = useState(playback.master);
  useEffect(() => {
    const element = videoRef.current;
    if (!complete || !element || master !== playback.master) return;
    const takeUp = () => setMaster(complete);
    if (element.paused) {
      takeUp();
      return;
    }
    element.addEventListener('pause', takeUp, { once: true });
    return () => element.removeEventListener('pause', takeUp);
  }, [complete, master, playback.master]);
  const source = usePlaybackSource(videoRef, master, startAt, renditionRef, report);
  const captions = useCaptions(videoRef, playback.captions, user?.id, (language) => report(language ? 'caption_on' : 'caption_off', language ? { language } : {}));
  useEffect(() => {
    captionsRef.current = captions.language;
  });

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
    else if (event.key === 'c' && playback.captions.length) captions.toggle();
    else return;
    event.preventDefault();
  };

  return (
    <>
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
        >
          {playback.captions.map((track) => (
            <track key={track.id} kind="captions" src={track.url} srcLang={track.language} label={track.label} />
          ))}
        </video>
        {captions.language && captions.transcript && (
          // Zero high, between the picture and the controls: its box grows upwards over the picture, in full screen too.
          <div className="player-captions">
            <div className="player-captions-box" dir={captions.transcript.direction} lang={captions.transcript.language}>
              {captions.active.map((index) => (
                <p key={index}>{captions.cues[index]?.text}</p>
              ))}
            </div>
          </div>
        )}
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
          captions={playback.captions}
          caption={captions.language}
          onTogglePlay={togglePlay}
          onSeek={seekTo}
          onToggleMute={toggleMute}
          onSpeed={chooseSpeed}
          onQuality={source.chooseQuality}
          onToggleFullscreen={toggleFullscreen}
          onCaption={captions.choose}
        />
        {source.failure && <ErrorMessage error={source.failure} />}
      </div>
      {captions.transcript && <Transcript track={captions.transcript} cues={captions.cues} active={captions.active} onSeek={seekTo} />}
    </>
  );
}
