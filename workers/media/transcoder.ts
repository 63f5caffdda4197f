import { Container } from '@cloudflare/containers';

/** The ffmpeg transcoder image (`transcoder/`) as a Cloudflare Container. */
export class Transcoder extends Container<MediaEnv> {
  override defaultPort = 8080;
  override sleepAfter = '10m';

  constructor(ctx: ConstructorParameters<typeof Container<MediaEnv>>[0], env: MediaEnv) {
    super(ctx, env);
    // The container signs its callbacks to the api with the jurisdiction's shared key.
    this.envVars = { TRANSCODER_CALLBACK_SECRET: env.TRANSCODER_CALLBACK_SECRET };
  }
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
