import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useI18n } from '../../i18n/i18n.tsx';
import { formatClock } from '../catalog.ts';
import { Highlighted } from '../Highlighted.tsx';
import { matchRanges } from '../highlight.ts';
import type { CaptionTrack, TranscriptCue } from './useCaptions.ts';

/**
 * The lesson's words beside the video: the line being said is marked and kept in view, a click plays
 * from a line, and the search narrows to the lines that say something (Arabic folded as search folds it).
 */
export function Transcript({ track, cues, active, onSeek }: { track: CaptionTrack; cues: readonly TranscriptCue[]; active: readonly number[]; onSeek(time: number): void }) {
  const { t } = useI18n();
  const id = useId();
  const [query, setQuery] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const matches = useMemo(() => (query.trim() ? cues.map((cue) => matchRanges(cue.text, query)) : undefined), [cues, query]);
  const current = active[0];

  useEffect(() => {
    const box = list.current;
    const line = box?.querySelector<HTMLElement>('[aria-current="true"]');
    // The list scrolls, never the page: the learner may be reading elsewhere.
    if (!box || !line) return;
    const behavior = matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth';
    box.scrollTo({ top: line.offsetTop - box.clientHeight / 2 + line.clientHeight / 2, behavior });
  }, [current, matches]);

  return (
    <section className="transcript" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="transcript-title">
        {t('learner.transcript.title')}
      </h2>
      <label className="field">
        <span className="visually-hidden">{t('learner.transcript.search')}</span>
        <input type="search" value={query} placeholder={t('learner.transcript.search')} onChange={(event) => setQuery(event.target.value)} />
      </label>
      {matches && !matches.some((ranges) => ranges.length) && <p className="muted small">{t('learner.transcript.noMatch')}</p>}
      <ol ref={list} className="transcript-lines" dir={track.direction} lang={track.language}>
        {cues.map((cue, index) => {
          const ranges = matches?.[index];
          if (ranges && !ranges.length) return null;
          return (
            // Cues are positions in a fixed list: the index is their identity.
            <li key={index}>
              <button type="button" className="transcript-line" aria-current={index === current || undefined} onClick={() => onSeek(cue.start)}>
                <span className="transcript-time" dir="ltr">
                  {formatClock(cue.start)}
                </span>
                <span className="transcript-text">
                  <Highlighted text={cue.text} ranges={ranges ?? []} />
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
