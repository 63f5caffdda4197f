import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeHere } from './chunks.ts';
import type { ChunkManifest, ChunkTask } from '../../contracts/transcoder.ts';
import { chunkManifest, manifestSegments, saveChunk } from './resume.ts';
import { openStorage, sourceUrl, uploadFiles } from './storage.ts';

/**
 * One chunk task (`POST /tasks`): the chunk's part of the source read through a presigned URL,
 * every rung encoded with `threads` ffmpeg threads once a slot is free, the segments and then
 * the manifest stored. Nothing of it stays on this machine.
 */
export async function runChunkTask(task: ChunkTask, run: { workDir: string; slots: Slots; threads: number; signal: AbortSignal; onProgress(seconds: number): void }): Promise<ChunkManifest> {
  const { workDir, signal } = run;
  const s3 = openStorage(task.storage);
  const dir = await mkdtemp(join(workDir, `chunk-${task.jobId}-${task.chunk.index}-`));
  try {
    const folders = { outDir: join(dir, 'out'), chunksDir: join(dir, 'chunks') };
    const input = await sourceUrl(s3, task.source, signal);
    // The slot is this machine's cores: the upload after the encode leaves them to the next chunk.
    const encode = encodeHere({ input, ...folders, source: task.video });
    const part = { chunk: task.chunk, renditions: task.renditions };
    await run.slots.run(signal, () => encode(part, { last: task.last, threads: run.threads, signal, onProgress: run.onProgress }));
    const manifest = await chunkManifest(folders, task.chunk, task.renditions);
    await uploadFiles(s3, folders.outDir, task.output, manifestSegments(manifest).map((segment) => segment.file), signal);
    await saveChunk(s3, task.output, task.chunk, manifest, signal);
    return manifest;
  } finally {
    await rm(dir, { recursive: true, force: true });
    s3.destroy();
  }
}

/** At most `size` tasks at once on this transcoder; the others wait their turn in arrival order. */
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Runs `task` once a slot is free; a task aborted while it waits never runs. */
  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else {
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          signal.removeEventListener('abort', leave);
          resolve();
        };
        const leave = () => {
          this.#waiting.splice(this.#waiting.indexOf(turn), 1);
          reject(signal.reason);
        };
        this.#waiting.push(turn);
        signal.addEventListener('abort', leave, { once: true });
      });
    }
    try {
      signal.throwIfAborted();
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
