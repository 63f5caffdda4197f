/** One storyboard thumbnail: a time span and the tile of the sprite image (`…jpg#xywh=x,y,w,h`) that shows it. */
export interface StoryboardCue {
  start: number;
  end: number;
  image: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

function seconds(timestamp: string): number {
  // WebVTT timestamps are `mm:ss.ttt` or `hh:mm:ss.ttt`.
  return timestamp.split(':').reduce((total, part) => total * 60 + Number(part), 0);
}

/** Parses a storyboard WebVTT; image URLs are resolved against the VTT's own (signed) URL. */
export function parseStoryboard(vtt: string, vttUrl: string): StoryboardCue[] {
  const cues: StoryboardCue[] = [];
  for (const block of vtt.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    const lines = block.split('\n');
    const timing = lines.findIndex((line) => line.includes('-->'));
    const [from = '', to = ''] = (lines[timing] ?? '').split('-->').map((part) => part.trim().split(/\s+/)[0] ?? '');
    const match = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[timing + 1]?.trim() ?? '');
    if (timing < 0 || !match) continue;
    cues.push({
      start: seconds(from),
      end: seconds(to),
      image: new URL(match[1] ?? '', vttUrl).toString(),
      x: Number(match[2]),
      y: Number(match[3]),
      width: Number(match[4]),
      height: Number(match[5]),
    });
  }
  return cues;
}

export function cueAt(cues: StoryboardCue[], time: number): StoryboardCue | undefined {
  return cues.find((cue) => time >= cue.start && time < cue.end) ?? cues.at(-1);
}
