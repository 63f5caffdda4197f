import { Container, type OutboundHandler } from '@cloudflare/containers';

/**
 * How a container reaches the pool: `http://{POOL_HOST}/{k}/tasks` is the `/tasks` of instance k,
 * routed by the Worker (containers have no addresses of their own).
 */
const POOL_HOST = 'pool.transcoder.internal';
const instanceName = (k: number) => `transcoder-${k}`;

/** The container instances of this jurisdiction (`TRANSCODER_INSTANCES`, at most the `max_instances` of wrangler.toml). */
function instanceCount(env: MediaEnv): number {
  const count = Number(env.TRANSCODER_INSTANCES);
  if (!Number.isInteger(count) || count < 1) throw new Error(`TRANSCODER_INSTANCES must be a positive integer, not "${env.TRANSCODER_INSTANCES}"`);
  return count;
}

/** A chunk task from a container to instance k of the pool; any other path or instance is refused. */
export const routeToPool: OutboundHandler<MediaEnv> = (request, env) => {
  const match = /^\/(\d+)\/tasks$/.exec(new URL(request.url).pathname);
  const k = Number(match?.[1]);
  if (!match || k >= instanceCount(env)) return Response.json({ error: { code: 'not_found', message: 'No such transcoder in the pool.' } }, { status: 404 });
  return env.TRANSCODER.getByName(instanceName(k)).fetch(new Request(new URL('/tasks', 'http://transcoder'), request));
};

/** The ffmpeg transcoder image (`transcoder/`) as a Cloudflare Container, one of `TRANSCODER_INSTANCES`. */
export class Transcoder extends Container<MediaEnv> {
  override defaultPort = 8080;
  override sleepAfter = '10m';

  constructor(ctx: ConstructorParameters<typeof Container<MediaEnv>>[0], env: MediaEnv) {
    super(ctx, env);
    const pool = Array.from({ length: instanceCount(env) }, (_, k) => `http://${POOL_HOST}/${k}`);
    // The container signs its callbacks to the api with the jurisdiction's shared key, and sends its jobs' chunks over every instance.
    this.envVars = { TRANSCODER_CALLBACK_SECRET: env.TRANSCODER_CALLBACK_SECRET, TRANSCODER_POOL: pool.join(',') };
  }
}
Transcoder.outboundByHost = { [POOL_HOST]: routeToPool };

/** The instance that runs a job (its whole-file passes and its playlists): the same one for every call about that job. */
function leaderOf(jobId: string, instances: number): number {
  let hash = 0;
  for (const char of jobId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % instances;
}

export type TranscoderFetch = (path: string, init: RequestInit & { traceparent: string; jobId?: string }) => Promise<Response>;

/**
 * One way to talk to the transcoder about a job: its container instance in production, the local
 * Node process (reached over HTTP at `TRANSCODER_URL`, which sends chunks to its local pool) when
 * developing without Docker.
 */
export function transcoderFetch(env: MediaEnv, transcoderUrl: string | undefined): TranscoderFetch {
  return (path, { traceparent, jobId, ...init }) => {
    const headers = new Headers(init.headers);
    headers.set('traceparent', traceparent);
    if (transcoderUrl) return fetch(new URL(path, transcoderUrl), { ...init, headers });
    const instance = env.TRANSCODER.getByName(instanceName(jobId ? leaderOf(jobId, instanceCount(env)) : 0));
    return instance.fetch(new Request(new URL(path, 'http://transcoder'), { ...init, headers }));
  };
}
