import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { ensureBinary } from './system.ts';

export interface LocalTranscoder {
  url: string;
  stop(): Promise<void>;
}

const server = fileURLToPath(new URL('../../transcoder/src/server.ts', import.meta.url));

/** The transcoder as a plain Node process with the system's ffmpeg: locally there is no Docker. */
export async function startTranscoder(): Promise<LocalTranscoder> {
  ensureBinary('ffmpeg', 'ffmpeg');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const killChild = () => child.kill('SIGTERM');
  process.once('exit', killChild);
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the transcoder exited with code ${child.exitCode} while starting`);
    const ready = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ready) break;
    if (attempt === 100) throw new Error(`the transcoder did not answer on ${url} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: async () => {
      process.off('exit', killChild);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
