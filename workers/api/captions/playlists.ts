import { subtitleFile, type Track } from './tracks.ts';

/** The group every variant names, so an HLS player (hls.js, Safari, ffmpeg) offers the tracks. */
const GROUP = 'subs';

/** An HLS quoted-string holds no double quote and no line break. */
function quoted(text: string): string {
  return `"${text.replace(/"/g, "'").replace(/[\r\n]/g, ' ')}"`;
}

/**
 * The stored master with the video's caption tracks added as one `SUBTITLES` group: the tracks are
 * read when the master is served, so a changed track changes no stored playlist and no video file.
 */
export function withSubtitles(master: string, tracks: readonly Track[]): string {
  if (tracks.length === 0) return master;
  const media = tracks.map(
    (track) =>
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="${GROUP}",NAME=${quoted(track.label)},LANGUAGE=${quoted(track.language)},DEFAULT=${track.isDefault ? 'YES' : 'NO'},AUTOSELECT=YES,FORCED=NO,URI="${subtitleFile(track, 'm3u8')}"`,
  );
  const lines = master.split('\n');
  const firstVariant = lines.findIndex((line) => line.startsWith('#EXT-X-STREAM-INF:'));
  if (firstVariant < 0) return master;
  return [...lines.slice(0, firstVariant), ...media, ...lines.slice(firstVariant).map((line) => (line.startsWith('#EXT-X-STREAM-INF:') ? `${line},SUBTITLES="${GROUP}"` : line))].join('\n');
}

/** A track's media playlist: its whole WebVTT as the one segment, as long as the video. */
export function subtitlePlaylist(track: Pick<Track, 'id' | 'version'>, durationSeconds: number): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(durationSeconds))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${durationSeconds.toFixed(3)},`,
    `${track.version}.vtt`,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}
