import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { JURISDICTION_IDS } from '../../contracts/jurisdictions.ts';
import './provided.ts';
import { bundleWorker } from '../../scripts/bundle-workers.ts';
import { generateClip } from '../../scripts/clips.ts';
import { startPlatform } from '../../scripts/platform.ts';
import { freePort } from '../../scripts/services/ports.ts';
import { ffmpegProcessesIn } from '../transcoder/harness.ts';

const TEST_BASE_URLS = Object.fromEntries(JURISDICTION_IDS.map((j) => [j, `https://${j}.api.test`]));

/**
 * Starts the real backing services on free ports (PostgreSQL from DATABASE_URL or PGlite, Redis,
 * s3rver, ClickHouse from CLICKHOUSE_URL or chdb, the transcoder), bundles the Workers that run beside
 * the one under test, and offers a loopback control endpoint for outage tests.
 */
export default async function setup(project: TestProject) {
  const bundleDir = await mkdtemp(join(tmpdir(), 'kce-test-bundles-'));
  const [platform, ...bundles] = await Promise.all([
    startPlatform({
      jurisdictions: JURISDICTION_IDS,
      baseUrls: TEST_BASE_URLS,
      databaseUrl: process.env.DATABASE_URL,
      clickhouseUrl: process.env.CLICKHOUSE_URL,
      clickhouseOutageDrills: true,
      namePrefix: `kce_test_${process.pid}_`,
      temporary: true,
    }),
    bundleWorker('api', 'sa', join(bundleDir, 'api')),
    bundleWorker('analytics', 'us', join(bundleDir, 'analytics')),
    bundleWorker('media', 'us', join(bundleDir, 'media')),
  ]);
  const [api, analytics, media] = bundles as [string, string, string];

  // Outage drills: tests in workerd cannot kill processes, so they ask the harness over loopback.
  const control = createServer(async (request, response) => {
    const clip = CLIPS.get(/^\/clips\/(\w+)\.mp4$/.exec(request.url ?? '')?.[1] ?? '');
    if (request.method === 'GET' && clip) {
      response.writeHead(200, { 'content-type': 'video/mp4' }).end(await (clip.made ??= makeClip(bundleDir, clip)));
      return;
    }
    const received = /^\/clickhouse\/received-queries\?query_id_prefix=(\w+)$/.exec(request.url ?? '')?.[1];
    if (request.method === 'GET' && received) {
      // A server keeps system.query_log, which the test reads instead.
      if (process.env.CLICKHOUSE_URL) return void response.writeHead(501).end();
      const queries = await platform.clickhouse.receivedQueries(received);
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(queries));
    }
    // The ffmpeg runs of a job, on every local transcoder: their folders are named after the job.
    const job = /^\/transcoder\/ffmpeg\/([0-9a-f-]{36})$/.exec(request.url ?? '')?.[1];
    if (request.method === 'GET' && job) {
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await ffmpegProcessesIn(job)));
    }
    if (request.method === 'GET' && request.url === '/clickhouse/refused') {
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(platform.clickhouse.refusedWhileDown()));
    }
    // A server named by CLICKHOUSE_URL or DATABASE_URL is not ours to stop: its drill closes the door in front of it.
    const drill = /^\/(clickhouse|transcoder|postgres|s3)\/(kill|restart)$/.exec(request.url ?? '');
    if (request.method === 'POST' && drill) {
      const service = platform[drill[1] as 'clickhouse' | 'transcoder' | 'postgres' | 's3'];
      await (drill[2] === 'kill' ? service.kill() : service.restart());
      return void response.writeHead(204).end();
    }
    const match = /^\/redis\/(\w+)\/(kill|restart)$/.exec(request.url ?? '');
    const redis = match ? platform.redis[match[1]!] : undefined;
    if (request.method !== 'POST' || !match || !redis) return void response.writeHead(404).end();
    await (match[2] === 'kill' ? redis.killRedis() : redis.restartRedis());
    response.writeHead(204).end();
  });
  const controlPort = await freePort();
  await new Promise<void>((resolve) => control.listen(controlPort, '127.0.0.1', resolve));

  project.provide('settings', platform.settings);
  project.provide('bundles', { api, analytics, media });
  project.provide('controlUrl', `http://127.0.0.1:${controlPort}`);

  return async () => {
    control.close();
    await platform.stop();
    await rm(bundleDir, { recursive: true, force: true });
  };
}

/**
 * Video tests cannot run ffmpeg inside workerd: clips made once, on first request. `sample` is one
 * chunk; `lecture` is four (three chunk borders) and long enough to be watched while it is encoded.
 */
const CLIPS = new Map<string, { name: string; seconds: number; size: `${number}x${number}`; made?: Promise<Buffer> }>([
  ['sample', { name: 'sample', seconds: 3, size: '640x360' }],
  ['lecture', { name: 'lecture', seconds: 40, size: '1280x720' }],
]);

async function makeClip(dir: string, clip: { name: string; seconds: number; size: `${number}x${number}` }): Promise<Buffer> {
  const file = join(dir, `${clip.name}.mp4`);
  await generateClip(file, clip);
  return readFile(file);
}
