import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planChunks } from '../../transcoder/src/chunks.ts';
import type { TranscodeResult } from '../../contracts/transcoder.ts';
import { BUCKET, makeClip, startHarness, watchWork, type Harness } from './harness.ts';

const run = promisify(execFile);

describe('transcoder: a job whose transcoders die', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('encodes again only the chunks the killed run had not finished, and publishes the whole video', { timeout: 180_000 }, async () => {
    const seconds = 40;
    await harness.put('raw/lecture.mp4', await makeClip({ width: 1280, height: 720, seconds }));
    const job = harness.jobFor('raw/lecture.mp4');
    const manifests = `${job.output.prefix}chunks/`;
    const plan = planChunks(seconds);
    expect(plan.map((chunk) => chunk.startSeconds)).toEqual([0, 4, 12, 28]);

    // Killed (the whole process group, as a container dies) once the first two chunks are stored:
    // each in two parts (its lowest rung, first for every chunk, then its others), one manifest each.
    const ladder = ['720p', '480p', '360p'];
    const partsOf = (keys: string[], index: number) => keys.filter((key) => key.startsWith(`${manifests}${index}_`));
    await harness.post(job);
    await vi.waitFor(async () => expect(partsOf(await harness.keysUnder(manifests), 1)).toHaveLength(2), { timeout: 90_000, interval: 100 });
    await harness.transcoder.kill();
    const stored = await harness.keysUnder(manifests);
    // A chunk is finished when its parts' manifests cover every rendition.
    const covered = (index: number) => new Set(partsOf(stored, index).flatMap((key) => key.slice(manifests.length).replace(/\.json$/, '').split('_').slice(1)));
    const finished = plan.filter((chunk) => ladder.every((name) => covered(chunk.index).has(name))).map((chunk) => chunk.index);
    expect(finished).toEqual(expect.arrayContaining([0, 1]));
    // Mid-chunk: at least one chunk was still being encoded.
    expect(finished.length).toBeLessThan(plan.length);

    // The media Worker's sweep posts the same job again to the restarted transcoder.
    await harness.transcoder.restart();
    const work = watchWork(harness.workDir);
    await harness.post(job);
    const final = await harness.waitForFinal(job.jobId, 120_000);
    const { chunkStarts } = await work.stop();
    expect(final.type).toBe('ready');
    expect((final as { result: TranscodeResult }).result.renditions.map((rendition) => rendition.name)).toEqual(ladder);
    const unfinished = plan.filter((chunk) => !finished.includes(chunk.index)).map((chunk) => chunk.startSeconds);
    expect([...chunkStarts].sort((a, b) => a - b)).toEqual(unfinished);

    // Complete, and the manifests are gone.
    await expectComplete(job.output.prefix, (final as { result: TranscodeResult }).result, seconds);
  });

  it('runs again, on another transcoder, only the chunk whose transcoder was killed mid-chunk', { timeout: 180_000 }, async () => {
    const seconds = 40;
    await harness.put('raw/pooled.mp4', await makeClip({ width: 1280, height: 720, seconds }));
    const job = harness.jobFor('raw/pooled.mp4');
    const [leader, other] = harness.transcoder.members;
    const work = watchWork(harness.workDir);
    await harness.post(job);
    // The job's transcoder sends its second chunk to the other one, free while the first is encoded.
    const victim = await vi.waitFor(
      () => {
        const run = [...work.chunkRuns.values()].find((chunkRun) => chunkRun.parent === other!.pid);
        if (!run) throw new Error('no chunk on the second transcoder yet');
        return run;
      },
      { timeout: 60_000, interval: 20 },
    );
    await other!.kill();
    const final = await harness.waitForFinal(job.jobId, 120_000);
    const { chunkRuns } = await work.stop();
    await other!.restart();
    expect(final.type).toBe('ready');
    // Every part ran once (each chunk is two: its lowest rung, then its others), but the killed one:
    // again, on the transcoder still alive, as every part after it.
    const runs = [...chunkRuns.values()];
    for (const chunk of planChunks(seconds)) {
      expect(runs.filter((run) => run.start === chunk.startSeconds), `chunk at ${chunk.startSeconds} s`).toHaveLength(chunk.startSeconds === victim.start ? 3 : 2);
    }
    const again = runs.filter((run) => run.start === victim.start).map((run) => run.parent);
    expect(again[0]).toBe(victim.parent);
    expect(new Set(again.slice(1))).toEqual(new Set([leader!.pid]));
    await expectComplete(job.output.prefix, (final as { result: TranscodeResult }).result, seconds);
  });

  /** Every rendition decodes from start to end, as long as the source, and the chunk manifests are gone. */
  async function expectComplete(prefix: string, result: TranscodeResult, seconds: number): Promise<void> {
    const keys = await harness.keysUnder(prefix);
    expect(keys.filter((key) => key.startsWith(`${prefix}chunks/`))).toEqual([]);
    for (const rendition of result.renditions) {
      const playlist = (await harness.read(`${prefix}${rendition.playlist}`)).body.toString('utf8');
      const listed = [...playlist.matchAll(/^(segment_\d+\.m4s)$/gm)].map((match) => `${prefix}${rendition.name}/${match[1]}`);
      expect(listed.length).toBe(seconds / 4);
      for (const key of listed) expect(keys).toContain(key);
      const url = `${harness.s3.endpoint}/${BUCKET}/${prefix}${rendition.playlist}`;
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', url]).catch(() => ({ stdout: 'unreadable' }));
      expect(Number(stdout), `${rendition.name}: ${stdout}`).toBeCloseTo(seconds, 0);
    }
  }
});
