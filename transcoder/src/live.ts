import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TranscodeJob } from '../../contracts/transcoder.ts';
import { leadingChunks, PLAYABLE_CHUNKS, writeRenditionPlaylists, type ChunkFolders, type ChunkPart, type ChunkPublisher, type DoneChunks } from './chunks.ts';
import { AUDIO_RENDITION, MASTER_PLAYLIST, renditionPlaylist, type Chunk } from './ffmpeg.ts';
import type { Ladder } from './ladder.ts';
import { mediaPlaylist, mediaPlaylistFiles, type MediaPart } from './playlists.ts';
import { describeLadder } from './renditions.ts';
import { putFile, uploadFiles } from './storage.ts';

/**
 * What changes while the job runs (the master and the growing playlists): kept by the edge and by
 * players for a moment only, so the next segments and the final VOD playlists show up at once.
 */
export const GROWING = 'public, max-age=2';
/** How often the audio, which one long ffmpeg run writes segment by segment, is looked at. */
const AUDIO_POLL_MS = 2_000;

export interface LivePlan {
  s3: S3Client;
  output: TranscodeJob['output'];
  folders: ChunkFolders;
  ladder: Ladder;
  chunks: Chunk[];
  signal: AbortSignal;
  /** What an earlier run of the job stored. */
  done: DoneChunks;
  /** A published file's size (the video segments are measured where they are: in storage). */
  sizeOf(file: string): Promise<number>;
  /** Once: the first chunks of the lowest rendition (and the audio under them) are published, with a master that lists it. */
  onPlayable(master: Awaited<ReturnType<typeof describeLadder>>): void;
}

/**
 * Publishes a job while it runs: the audio as ffmpeg writes it, and EVENT playlists over the
 * leading run of finished chunks (a playlist has no holes; the chunks' segments are stored by the
 * transcoders that encoded them), so the video plays from the start long before its end is
 * encoded. Syncs run one at a time; a request during one is served by the next.
 */
export class LivePublisher implements ChunkPublisher {
  /** Audio segments and init segments already in storage (paths relative to the output folder); the final publish skips them. */
  readonly published = new Set<string>();
  readonly #plan: LivePlan;
  readonly #done: Map<string, Set<number>>;
  /** How many chunk renditions the video playlists last stored cover. */
  #listed = -1;
  #playable = false;
  #running: Promise<void> = Promise.resolve();
  #queued = false;
  #closed = false;
  readonly #failed = new AbortController();
  readonly failed = this.#failed.signal;
  readonly #timer: NodeJS.Timeout;
  /** What each growing file was last stored as: an unchanged one is not stored again every poll. */
  readonly #stored = new Map<string, string>();

  constructor(plan: LivePlan) {
    this.#plan = plan;
    this.#done = new Map(plan.ladder.renditions.map(({ name }) => [name, new Set(plan.done.get(name))]));
    this.#timer = setInterval(() => this.#request(), AUDIO_POLL_MS);
  }

  partDone(part: ChunkPart): void {
    for (const { name } of part.renditions) this.#done.get(name)?.add(part.chunk.index);
    this.#request();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#closed = true;
    await this.#running;
  }

  /** A failed sync (storage down past its retries) fails the job. */
  async stop(): Promise<void> {
    await this.close();
    this.failed.throwIfAborted();
  }

  #request(): void {
    if (this.#queued || this.#closed || this.failed.aborted || this.#plan.signal.aborted) return;
    this.#queued = true;
    this.#running = this.#running.then(async () => {
      this.#queued = false;
      try {
        await this.#sync();
      } catch (error) {
        clearInterval(this.#timer);
        if (!this.#plan.signal.aborted) this.#failed.abort(error);
      }
    });
  }

  async #sync(): Promise<void> {
    const { s3, output, folders, ladder, chunks, signal } = this.#plan;
    const done: DoneChunks = new Map([...this.#done].map(([name, indexes]) => [name, new Set(indexes)]));
    const listed = [...done.values()].reduce((sum, indexes) => sum + indexes.size, 0);
    // Most syncs are the audio poll's: the video playlists change only with a newly finished part.
    if (listed !== this.#listed) {
      const inits = await writeRenditionPlaylists(folders, ladder, chunks, done);
      await this.#upload(inits.filter((file) => !this.published.has(file)));
      await Promise.all(ladder.renditions.map(({ name }) => this.#uploadGrowing(renditionPlaylist(name))));
      this.#listed = listed;
    }
    const audioSeconds = ladder.audio ? await this.#publishAudio() : Infinity;
    // Two chunks (12 s): one 4 s segment ahead would let a player that starts at once reach its end
    // before the next chunk shows in a playlist it reloads every 4 s. The master lists the lowest
    // rung alone until the job is done: the others come later, and a player keeps the master it
    // loaded, so none is ever offered a rung that lags behind where it plays.
    const lowest = ladder.renditions.slice(-1);
    const first = Math.min(PLAYABLE_CHUNKS, chunks.length);
    const end = chunks[first - 1]?.endSeconds ?? 0;
    if (this.#playable || !lowest[0] || leadingChunks(chunks, done, lowest[0].name).length < first || audioSeconds < end - 0.5) return;
    const described = await describeLadder({ ...ladder, renditions: lowest }, this.#plan.sizeOf, folders.outDir);
    await putFile(s3, output, MASTER_PLAYLIST, described.master, signal, GROWING);
    this.#playable = true;
    this.#plan.onPlayable(described);
  }

  /** The audio segments ffmpeg's playlist lists so far, then an EVENT playlist over them; returns the seconds published. */
  async #publishAudio(): Promise<number> {
    const { folders } = this.#plan;
    const written = await readFile(join(folders.outDir, renditionPlaylist(AUDIO_RENDITION)), 'utf8').catch(() => undefined);
    const { init, segments } = mediaPlaylistFiles(written ?? '');
    if (!init || segments.length === 0) return 0;
    await this.#upload([init, ...segments.map((segment) => segment.uri)].map((file) => `${AUDIO_RENDITION}/${file}`).filter((file) => !this.published.has(file)));
    const part: MediaPart = { init, segments };
    await this.#putGrowing(renditionPlaylist(AUDIO_RENDITION), mediaPlaylist([part], false));
    return segments.reduce((sum, segment) => sum + segment.durationSeconds, 0);
  }

  async #upload(files: string[]): Promise<void> {
    await uploadFiles(this.#plan.s3, this.#plan.folders.outDir, this.#plan.output, files, this.#plan.signal);
    for (const file of files) this.published.add(file);
  }

  async #uploadGrowing(file: string): Promise<void> {
    await this.#putGrowing(file, await readFile(join(this.#plan.folders.outDir, file), 'utf8'));
  }

  async #putGrowing(file: string, body: string): Promise<void> {
    if (this.#stored.get(file) === body) return;
    const { s3, output, signal } = this.#plan;
    await putFile(s3, output, file, body, signal, GROWING);
    this.#stored.set(file, body);
  }
}
