import { useEffect, useState, type RefObject } from 'react';
import type { Playback } from '../catalog.ts';

export type CaptionTrack = Playback['captions'][number];

/** A cue as the overlay and the transcript show it: seconds, and plain text with its line breaks. */
export interface TranscriptCue {
  start: number;
  end: number;
  text: string;
}

/** The learner's choice, per account on this device: a language, or `off`. */
const storageKey = (userId: string | undefined) => `kce.captions.${userId ?? 'guest'}`;
const OFF = 'off';

/** The track for a remembered language: the same tag, else the same language (`ar` for `ar-SA`). */
function trackFor(tracks: readonly CaptionTrack[], language: string): CaptionTrack | undefined {
  const primary = (tag: string) => tag.split('-')[0]?.toLowerCase();
  return tracks.find((track) => track.language === language) ?? tracks.find((track) => primary(track.language) === primary(language));
}

/** Off when the learner last chose off; else the remembered language if the video has it, else the default track. */
function initialLanguage(tracks: readonly CaptionTrack[], remembered: string | null): string | undefined {
  if (remembered === OFF) return undefined;
  return (remembered ? trackFor(tracks, remembered) : undefined)?.language ?? tracks.find((track) => track.default)?.language;
}

/**
 * The `<track>` text of a cue: the browser's own WebVTT parser builds it (markup dropped, entities
 * decoded), so no cue text is ever read as HTML.
 */
function plainText(cue: TextTrackCue): string {
  return cue instanceof VTTCue ? (cue.getCueAsHTML().textContent ?? '') : '';
}

/**
 * The captions of the video's `<track>` elements. Every track stays `hidden` or `disabled`, never
 * `showing`: the player draws the cues itself. The one the transcript reads (the chosen language,
 * or the default track while captions are off) is `hidden`, so the browser loads it and follows its
 * active cues; the others are `disabled`.
 */
export function useCaptions(
  videoRef: RefObject<HTMLVideoElement | null>,
  tracks: readonly CaptionTrack[],
  userId: string | undefined,
  onChoose: (language: string | undefined) => void,
) {
  const [language, setLanguage] = useState(() => initialLanguage(tracks, localStorage.getItem(storageKey(userId))));
  const fallback = tracks.find((track) => track.default) ?? tracks[0];
  const [lastLanguage, setLastLanguage] = useState(language ?? fallback?.language);
  const transcript = (language ? trackFor(tracks, language) : undefined) ?? fallback;
  const [cues, setCues] = useState<TranscriptCue[]>([]);
  /** Indexes into `cues` of those on screen now. */
  const [active, setActive] = useState<number[]>([]);

  const readLanguage = transcript?.language;
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const elements = [...video.querySelectorAll('track')];
    const ours = new Set(elements.map((element) => element.track));
    for (const element of elements) element.track.mode = element.srclang === readLanguage ? 'hidden' : 'disabled';
    // The browser's own HLS (Safari) also lists the playlist's SUBTITLES group as tracks, and would show a default one.
    const onAddTrack = (event: TrackEvent) => {
      if (event.track && !ours.has(event.track)) event.track.mode = 'disabled';
    };
    video.textTracks.addEventListener('addtrack', onAddTrack);
    const element = elements.find((candidate) => candidate.srclang === readLanguage);
    const list = () => [...(element?.track.cues ?? [])];
    const onLoad = () => setCues(list().map((cue) => ({ start: cue.startTime, end: cue.endTime, text: plainText(cue) })));
    const onCueChange = () => {
      const all = list();
      setActive([...(element?.track.activeCues ?? [])].map((cue) => all.indexOf(cue)).filter((index) => index >= 0));
    };
    onLoad();
    onCueChange();
    element?.addEventListener('load', onLoad);
    element?.track.addEventListener('cuechange', onCueChange);
    return () => {
      video.textTracks.removeEventListener('addtrack', onAddTrack);
      element?.removeEventListener('load', onLoad);
      element?.track.removeEventListener('cuechange', onCueChange);
    };
  }, [videoRef, readLanguage]);

  const choose = (next: string | undefined) => {
    setLanguage(next);
    onChoose(next);
    if (next) setLastLanguage(next);
    localStorage.setItem(storageKey(userId), next ?? OFF);
  };
  const toggle = () => choose(language ? undefined : lastLanguage);

  return { language, choose, toggle, transcript, cues, active };
}
