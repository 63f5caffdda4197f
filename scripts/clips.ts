import { execFile } from 'node:child_process';
import { rename } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * A test-pattern H.264/AAC MP4 with a tone, made by the system ffmpeg: the demo's video, the
 * integration tests' sample and the browser tests' upload. Written aside and renamed, so a crash
 * leaves no half file behind under `path`.
 */
export async function generateClip(path: string, { seconds, size }: { seconds: number; size: `${number}x${number}` }): Promise<void> {
  const partial = `${path}.partial.mp4`;
  await promisify(execFile)('ffmpeg', [
    '-y', '-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'fast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-shortest', '-movflags', '+faststart',
    partial,
  ]);
  await rename(partial, path);
}
