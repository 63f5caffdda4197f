import { useI18n } from '../../i18n/i18n.tsx';
import { formatClock } from '../catalog.ts';
import { Icon } from './icons.tsx';
import { SeekBar } from './SeekBar.tsx';
import type { Level, Quality } from './usePlaybackSource.ts';
import type { CaptionTrack } from './useCaptions.ts';

const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2];

export interface PlayerControlsProps {
  paused: boolean;
  current: number;
  duration: number;
  muted: boolean;
  speed: number;
  fullscreen: boolean;
  /** The renditions to choose from: hls.js only, the browser's own HLS chooses by itself. */
  levels: Level[];
  quality: Quality;
  rendition: string | undefined;
  storyboardVtt: string | undefined;
  captions: readonly CaptionTrack[];
  /** The captions' language on screen; undefined when they are off. */
  caption: string | undefined;
  onTogglePlay(): void;
  onSeek(time: number): void;
  onToggleMute(): void;
  onSpeed(value: number): void;
  onQuality(value: Quality): void;
  onToggleFullscreen(): void;
  onCaption(language: string | undefined): void;
}

/** The big play button over a paused video and the bar below it: timeline, buttons and menus. */
export function PlayerControls({
  paused,
  current,
  duration,
  muted,
  speed,
  fullscreen,
  levels,
  quality,
  rendition,
  storyboardVtt,
  captions,
  caption,
  onTogglePlay,
  onSeek,
  onToggleMute,
  onSpeed,
  onQuality,
  onToggleFullscreen,
  onCaption,
}: PlayerControlsProps) {
  const { t } = useI18n();
  return (
    <>
      {paused && (
        <button type="button" className="player-big-play" onClick={onTogglePlay} aria-label={t('learner.player.play')}>
          <Icon name="play" />
        </button>
      )}
      <div className="player-controls">
        <SeekBar current={current} duration={duration} storyboardVtt={storyboardVtt} onSeek={onSeek} />
        <div className="player-buttons">
          <button type="button" className="player-button" onClick={onTogglePlay} aria-label={paused ? t('learner.player.play') : t('learner.player.pause')}>
            <Icon name={paused ? 'play' : 'pause'} />
          </button>
          <button type="button" className="player-button" onClick={onToggleMute} aria-label={muted ? t('learner.player.unmute') : t('learner.player.mute')} aria-pressed={muted}>
            <Icon name={muted ? 'muted' : 'volume'} />
          </button>
          <span className="player-time" dir="ltr">
            {formatClock(current)} / {formatClock(duration)}
          </span>
          <span className="player-spacer" />
          {captions.length > 0 && (
            <label className="player-select">
              <span className="visually-hidden">{t('learner.player.captions')}</span>
              <select value={caption ?? ''} onChange={(event) => onCaption(event.target.value || undefined)}>
                <option value="">{t('learner.player.captionsOff')}</option>
                {captions.map((track) => (
                  <option key={track.id} value={track.language} lang={track.language}>
                    {track.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="player-select">
            <span className="visually-hidden">{t('learner.player.speed')}</span>
            <select value={speed} onChange={(event) => onSpeed(Number(event.target.value))}>
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
              <select value={quality} onChange={(event) => onQuality(event.target.value === 'auto' ? 'auto' : Number(event.target.value))}>
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
          <button type="button" className="player-button" onClick={onToggleFullscreen} aria-label={fullscreen ? t('learner.player.exitFullscreen') : t('learner.player.fullscreen')}>
            <Icon name={fullscreen ? 'exitFullscreen' : 'fullscreen'} />
          </button>
        </div>
      </div>
    </>
  );
}
