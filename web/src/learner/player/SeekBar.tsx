import { useQuery } from '@tanstack/react-query';
import { useState, type CSSProperties, type PointerEvent as ReactPointerEvent } from 'react';
import { useI18n } from '../../i18n/i18n.tsx';
import { formatClock } from '../catalog.ts';
import { cueAt, parseStoryboard, type StoryboardCue } from './storyboard.ts';

/**
 * The timeline: a native range input (keyboard, screen readers) with storyboard thumbnails while the
 * pointer hovers or drags. Time runs left to right in Arabic too, as on a tape.
 */
export function SeekBar({ current, duration, storyboardVtt, onSeek }: { current: number; duration: number; storyboardVtt: string | undefined; onSeek(time: number): void }) {
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
