import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Rendition, TranscodeJob, TranscodeResult } from './contract.ts';
import { encodeArgs, MASTER_PLAYLIST, POSTER, renditionPlaylist, runFfmpeg, STORYBOARD_IMAGE, STORYBOARD_VTT } from './ffmpeg.ts';
import { JobFailure } from './failure.ts';
import { ladderFor, type Ladder } from './ladder.ts';
import { avcCodec, masterPlaylist, measuredBandwidth, mediaPlaylistFiles, type Variant } from './playlists.ts';
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
 * whole ladder with poster and storyboard in one ffmpeg run, write the master playlist, publish.
 * Throws a `JobFailure` saying why when it cannot finish.
 */
export async function transcode(job: TranscodeJob, workDir: string, signal: AbortSignal, hooks: TranscodeHooks): Promise<TranscodeResult> {
  const s3 = openStorage(job.storage);
  try {
    const input = join(workDir, 'source');
    const outDir = join(workDir, 'out');
    await downloadSource(s3, job.source, input, signal);
    const source = await probeSource(input, job.limits, signal);
    const ladder = ladderFor(source);
    const storyboard = storyboardFor(source);
    await mkdir(outDir);
    await runFfmpeg(encodeArgs({ input, outDir, source, ladder, pictures: { posterAtSeconds: source.durationSeconds * POSTER_AT, storyboard } }), {
      durationSeconds: source.durationSeconds,
      signal,
      onProgress: hooks.onProgress,
    });
    const variants = await describeVariants(outDir, ladder);
    await writeFile(join(outDir, MASTER_PLAYLIST), masterPlaylist(variants));
    await writeFile(join(outDir, STORYBOARD_VTT), storyboardVtt(storyboard, STORYBOARD_IMAGE, source.durationSeconds));
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
    };
  } finally {
    s3.destroy();
  }
}

/** Each rendition as it came out of ffmpeg: its measured bit rates and the codecs in its init segment. */
async function describeVariants(outDir: string, ladder: Ladder): Promise<Array<Variant & Rendition>> {
  return Promise.all(
    ladder.renditions.map(async (rendition) => {
      const playlist = renditionPlaylist(rendition.name);
      const folder = dirname(join(outDir, playlist));
      const { init, segments } = mediaPlaylistFiles(await readFile(join(outDir, playlist), 'utf8'));
      if (!init || segments.length === 0) throw new JobFailure('transcode_failed', `Encoding produced an empty ${rendition.name} rendition.`, true);
      const sized = await Promise.all(segments.map(async (segment) => ({ ...segment, bytes: (await stat(join(folder, segment.uri))).size })));
      const video = avcCodec(await readFile(join(folder, init)));
      return {
        name: rendition.name,
        width: rendition.width,
        height: rendition.height,
        playlist,
        codecs: ladder.audio ? `${video},${AUDIO_CODEC}` : video,
        ...measuredBandwidth(sized),
      };
    }),
  );
}
