import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOWNLOAD, type Rendition, type TranscodeJob, type TranscodeResult } from './contract.ts';
import { encodeInChunks, planChunks } from './chunks.ts';
import { AUDIO_RENDITION, downloadArgs, MASTER_PLAYLIST, POSTER, renditionPlaylist, runFfmpeg, STORYBOARD_IMAGE, STORYBOARD_VTT } from './ffmpeg.ts';
import { JobFailure } from './failure.ts';
import { ladderFor, type Ladder } from './ladder.ts';
import { avcCodec, masterPlaylist, measuredBandwidth, mediaPlaylistFiles, type Bandwidth, type Variant } from './playlists.ts';
import { probeSource } from './probe.ts';
import { downloadSource, openStorage, publish } from './storage.ts';
import { storyboardFor, storyboardVtt } from './storyboard.ts';

/** Where in the video the poster is taken: past a title card or fade-in, still near the start. */
const POSTER_AT = 0.1;
/** AAC-LC, the only audio the ladder produces (ladder.ts). */
const AUDIO_CODEC = 'mp4a.40.2';

export interface TranscodeHooks {
  onProgress(percent: number): void;
  onPublishing(): void;
}

/**
 * One job, start to finish, in `workDir` (which the caller removes): download, probe, encode the
 * ladder in time chunks (`concurrency` ffmpeg runs at a time) beside one pass for the audio, poster
 * and storyboard, write the master playlist, publish. Throws a `JobFailure` saying why when it
 * cannot finish.
 */
export async function transcode(job: TranscodeJob, workDir: string, concurrency: number, signal: AbortSignal, hooks: TranscodeHooks): Promise<TranscodeResult> {
  const s3 = openStorage(job.storage);
  try {
    const input = join(workDir, 'source');
    const outDir = join(workDir, 'out');
    await downloadSource(s3, job.source, input, signal);
    const source = await probeSource(input, job.limits, signal);
    const ladder = ladderFor(source);
    const storyboard = storyboardFor(source);
    await mkdir(outDir);
    await encodeInChunks({
      input,
      outDir,
      chunksDir: join(workDir, 'chunks'),
      source,
      ladder,
      pictures: { posterAtSeconds: source.durationSeconds * POSTER_AT, storyboard },
      chunks: planChunks(source.durationSeconds),
      concurrency,
      signal,
      onProgress: hooks.onProgress,
    });
    const audio = ladder.audio && (await measureRendition(outDir, AUDIO_RENDITION));
    const variants = await describeVariants(outDir, ladder, audio);
    await writeFile(join(outDir, MASTER_PLAYLIST), masterPlaylist(variants, audio && renditionPlaylist(AUDIO_RENDITION)));
    await writeFile(join(outDir, STORYBOARD_VTT), storyboardVtt(storyboard, STORYBOARD_IMAGE, source.durationSeconds));
    await runFfmpeg(downloadArgs(outDir, downloadRendition(ladder), Boolean(audio)), { signal, onProgress: () => undefined });
    await Promise.all([POSTER, STORYBOARD_IMAGE].map((picture) => stat(join(outDir, picture)))).catch(() => {
      throw new JobFailure('transcode_failed', 'Encoding finished without a poster or storyboard.', true);
    });
    hooks.onPublishing();
    await publish(s3, outDir, job.output, MASTER_PLAYLIST, signal);
    return {
      prefix: job.output.prefix,
      master: MASTER_PLAYLIST,
      durationSeconds: source.durationSeconds,
      width: source.width,
      height: source.height,
      renditions: variants.map(({ averageBandwidth: _average, ...rendition }) => rendition),
      poster: POSTER,
      storyboard: { image: STORYBOARD_IMAGE, vtt: STORYBOARD_VTT },
      download: DOWNLOAD,
    };
  } finally {
    s3.destroy();
  }
}

/** The rung offline viewers get: the middle of the ladder (720p of a 1080p source), small enough to keep. */
function downloadRendition(ladder: Ladder): string {
  const rendition = ladder.renditions[Math.floor((ladder.renditions.length - 1) / 2)];
  if (!rendition) throw new Error('a ladder has at least one rendition');
  return rendition.name;
}

/** A rendition's first init segment and its measured bit rates. */
async function measureRendition(outDir: string, name: string): Promise<{ init: Buffer } & Bandwidth> {
  const folder = join(outDir, name);
  const { init, segments } = mediaPlaylistFiles(await readFile(join(outDir, renditionPlaylist(name)), 'utf8'));
  if (!init || segments.length === 0) throw new JobFailure('transcode_failed', `Encoding produced an empty ${name} rendition.`, true);
  const sized = await Promise.all(segments.map(async (segment) => ({ ...segment, bytes: (await stat(join(folder, segment.uri))).size })));
  return { init: await readFile(join(folder, init)), ...measuredBandwidth(sized) };
}

/**
 * Each video rendition as it came out of ffmpeg: the codecs in its init segment and its measured bit
 * rates, to which the audio's add (a player downloads both).
 */
async function describeVariants(outDir: string, ladder: Ladder, audio: Bandwidth | undefined): Promise<Array<Variant & Rendition>> {
  return Promise.all(
    ladder.renditions.map(async (rendition) => {
      const video = await measureRendition(outDir, rendition.name);
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
}
