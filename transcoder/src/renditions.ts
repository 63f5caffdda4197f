import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rendition } from '../../contracts/transcoder.ts';
import { AUDIO_RENDITION, renditionPlaylist } from './ffmpeg.ts';
import { JobFailure } from './failure.ts';
import type { Ladder } from './ladder.ts';
import { avcCodec, masterPlaylist, measuredBandwidth, mediaPlaylistFiles, type Bandwidth, type Variant } from './playlists.ts';

/** AAC-LC, the only audio the ladder produces (ladder.ts). */
const AUDIO_CODEC = 'mp4a.40.2';

/** A file's size in bytes, by its path relative to the output folder. */
export type SizeOf = (file: string) => Promise<number>;

/** A rendition's first init segment and the bit rates measured over the segments its playlist lists so far. */
async function measureRendition(outDir: string, sizeOf: SizeOf, name: string): Promise<{ init: Buffer } & Bandwidth> {
  const { init, segments } = mediaPlaylistFiles(await readFile(join(outDir, renditionPlaylist(name)), 'utf8'));
  if (!init || segments.length === 0) throw new JobFailure('transcode_failed', `Encoding produced an empty ${name} rendition.`, true);
  const sized = await Promise.all(segments.map(async (segment) => ({ ...segment, bytes: await sizeOf(`${name}/${segment.uri}`) })));
  return { init: await readFile(join(outDir, name, init)), ...measuredBandwidth(sized) };
}

/**
 * The master playlist over the media playlists in `outDir`, and each video rendition as measured:
 * the codecs in its init segment and its bit rates, to which the audio's add (a player downloads both).
 */
export async function describeLadder(ladder: Ladder, sizeOf: SizeOf, outDir: string): Promise<{ master: string; renditions: Rendition[] }> {
  const audio = ladder.audio && (await measureRendition(outDir, sizeOf, AUDIO_RENDITION));
  const variants: Array<Variant & Rendition> = await Promise.all(
    ladder.renditions.map(async (rendition) => {
      const video = await measureRendition(outDir, sizeOf, rendition.name);
      return {
        name: rendition.name,
        width: rendition.width,
        height: rendition.height,
        playlist: renditionPlaylist(rendition.name),
        codecs: audio ? `${avcCodec(video.init)},${AUDIO_CODEC}` : avcCodec(video.init),
        bandwidth: video.bandwidth + (audio?.bandwidth ?? 0),
        averageBandwidth: video.averageBandwidth + (audio?.averageBandwidth ?? 0),
      };
    }),
  );
  return {
    master: masterPlaylist(variants, audio && renditionPlaylist(AUDIO_RENDITION)),
    renditions: variants.map(({ averageBandwidth: _average, ...rendition }) => rendition),
  };
}
