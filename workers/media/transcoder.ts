import { Container } from '@cloudflare/containers';

/** The ffmpeg transcoder image (`transcoder/`) as a Cloudflare Container. */
export class Transcoder extends Container<MediaEnv> {
  override defaultPort = 8080;
  override sleepAfter = '10m';
}

/**
 * One way to talk to the transcoder: the container in production, the local Node process (reached
 * over HTTP at `TRANSCODER_URL`) when developing without Docker.
 */
export function transcoderFetch(env: MediaEnv, transcoderUrl: string | undefined) {
  return (path: string, init: RequestInit & { traceparent: string }): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('traceparent', init.traceparent);
    if (transcoderUrl) return fetch(new URL(path, transcoderUrl), { ...init, headers });
    return env.TRANSCODER.getByName('transcoder').fetch(new Request(new URL(path, 'http://transcoder'), { ...init, headers }));
  };
}
