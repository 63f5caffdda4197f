import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The ffmpeg version line, read once; a transcoder without ffmpeg reports itself unhealthy. */
async function ffmpegVersion(): Promise<string> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-version']);
  return stdout.split('\n')[0] ?? 'ffmpeg (unknown version)';
}

export function startTranscoderServer(port: number, host = '0.0.0.0') {
  const version = ffmpegVersion();
  version.catch(() => undefined);
  const server = createServer(async (request, response) => {
    const traceparent = request.headers['traceparent'];
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && request.url === '/health') {
      try {
        reply(200, { ok: true, ffmpeg: await version });
      } catch (error) {
        reply(503, { ok: false, error: `ffmpeg is not available: ${String(error)}` });
      }
    } else {
      reply(404, { error: { code: 'not_found', message: `There is no ${request.method} ${request.url}.` } });
    }
    console.log(JSON.stringify({ level: 'info', message: 'request', traceparent, method: request.method, path: request.url, status: response.statusCode }));
  });
  return new Promise<typeof server>((resolve) => server.listen(port, host, () => resolve(server)));
}

if (import.meta.main) {
  const port = Number(process.env.PORT ?? 8080);
  await startTranscoderServer(port, process.env.HOST);
  console.log(JSON.stringify({ level: 'info', message: `transcoder listening on ${port}` }));
}
