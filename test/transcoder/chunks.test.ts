import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZES, planChunks } from '../../transcoder/src/chunks.ts';
import { SEGMENT_SECONDS } from '../../transcoder/src/ffmpeg.ts';

describe('planChunks', () => {
  it('starts short, then settles on long chunks; a tail shorter than a segment joins the last chunk', () => {
    const spans = (seconds: number) => planChunks(seconds).map((chunk) => [chunk.startSeconds, chunk.endSeconds]);
    expect(spans(150)).toEqual([[0, 4], [4, 12], [12, 28], [28, 60], [60, 108], [108, 150]]);
    expect(spans(111.5)).toEqual([[0, 4], [4, 12], [12, 28], [28, 60], [60, 111.5]]);
    expect(spans(6)).toEqual([[0, 6]]);
    expect(spans(0.5)).toEqual([[0, 0.5]]);
  });

  it('tiles [0, duration) exactly, every boundary but the end on the segment grid, segments numbered on', () => {
    const sizes = fc.record({
      rampSeconds: fc.array(fc.integer({ min: 1, max: 8 }).map((segments) => segments * SEGMENT_SECONDS), { maxLength: 4 }),
      steadySeconds: fc.integer({ min: 1, max: 15 }).map((segments) => segments * SEGMENT_SECONDS),
    });
    const duration = fc.double({ min: 0.04, max: 4 * 3600, noNaN: true });
    fc.assert(
      fc.property(duration, fc.option(sizes, { nil: undefined }), (seconds, chunkSizes) => {
        const chunks = planChunks(seconds, chunkSizes ?? CHUNK_SIZES);
        expect(chunks[0]!.startSeconds).toBe(0);
        expect(chunks.at(-1)!.endSeconds).toBe(seconds);
        chunks.forEach((chunk, i) => {
          expect(chunk.index).toBe(i);
          expect(chunk.endSeconds).toBeGreaterThan(chunk.startSeconds);
          expect(chunk.startSeconds % SEGMENT_SECONDS).toBe(0);
          expect(chunk.firstSegment).toBe(chunk.startSeconds / SEGMENT_SECONDS);
          if (i > 0) expect(chunk.startSeconds).toBe(chunks[i - 1]!.endSeconds);
        });
      }),
    );
  });
});
