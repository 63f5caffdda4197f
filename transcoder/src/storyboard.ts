/** A sprite of thumbnails, one per interval, read left to right and top to bottom. */
export interface Storyboard {
  intervalSeconds: number;
  count: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

/** Enough thumbnails for a scrub preview, few enough that the sprite stays one small download. */
const MAX_THUMBNAILS = 100;
const MIN_INTERVAL_SECONDS = 2;
const COLUMNS = 10;
/** The long side of a thumbnail. */
const TILE_SIZE = 160;

const even = (size: number) => Math.max(2, Math.round(size / 2) * 2);

export function storyboardFor(video: { width: number; height: number; durationSeconds: number }): Storyboard {
  const intervalSeconds = Math.max(MIN_INTERVAL_SECONDS, Math.ceil(video.durationSeconds / MAX_THUMBNAILS));
  const count = Math.max(1, Math.ceil(video.durationSeconds / intervalSeconds));
  const columns = Math.min(count, COLUMNS);
  const scale = TILE_SIZE / Math.max(video.width, video.height);
  return {
    intervalSeconds,
    count,
    columns,
    rows: Math.ceil(count / columns),
    tileWidth: even(video.width * scale),
    tileHeight: even(video.height * scale),
  };
}

/** The WebVTT index players use for scrub previews: each cue points at its tile of `image`. */
export function storyboardVtt(storyboard: Storyboard, image: string, durationSeconds: number): string {
  const cues = Array.from({ length: storyboard.count }, (_, index) => {
    const start = index * storyboard.intervalSeconds;
    const end = Math.min(start + storyboard.intervalSeconds, durationSeconds);
    const x = (index % storyboard.columns) * storyboard.tileWidth;
    const y = Math.floor(index / storyboard.columns) * storyboard.tileHeight;
    return `${timestamp(start)} --> ${timestamp(end)}\n${image}#xywh=${x},${y},${storyboard.tileWidth},${storyboard.tileHeight}`;
  });
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}

function timestamp(seconds: number): string {
  const milliseconds = Math.round(seconds * 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(milliseconds / 3_600_000))}:${pad(Math.floor(milliseconds / 60_000) % 60)}:${pad(Math.floor(milliseconds / 1000) % 60)}.${pad(milliseconds % 1000, 3)}`;
}
