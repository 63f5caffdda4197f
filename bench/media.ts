import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { generateClip } from '../scripts/clips.ts';
import { DEMO_PASSWORD, demoUsers } from '../scripts/seed.ts';
import { storageAt } from '../workers/lib/storage.ts';
import { expectCache, measure, measureHelloWorld, printTable, recordResults, startDeployment, summarize, type Measurement } from './harness.ts';

/**
 * `npm run bench:media`: the video flows the other benchmarks leave out, on `wrangler dev` with the
 * demo (its instructor and course) and the local transcoder, each beside a floor from the same run:
 * - upload: POST /api/videos/upload (the presign) beside hello world; the PUT of UPLOAD_MB to a
 *   presigned URL it answered beside a PutObject of the same bytes with the S3 SDK (storage alone).
 *   Those bytes are never completed, so nothing is transcoded: only the transfer is measured.
 * - notify: VIDEOS short clips uploaded, completed and transcoded one at a time; for each, from the
 *   moment its row turned `ready` (its updatedAt, the database's clock on this machine) to the
 *   answer of GET /api/notifications that first lists its `video_ready`, polled every POLL_MS.
 * - watch: one segment through GET /media/{token}/..., the same Range request each time, from the
 *   edge cache (x-cache: hit, after one whole fetch filled it) and from storage (x-cache: miss: a
 *   partial answer is never cached, so a segment never fetched whole misses every time).
 * BENCH_SECONDS, BENCH_CONCURRENCY and BENCH_VIDEOS make a quick check.
 */
const JURISDICTION = 'us';
const COURSE = `edge-computing-101-${JURISDICTION}`;
const NOTIFY_BUDGET_MS = 60_000; // the original design's: notified within a minute
const UPLOAD_MB = 8;
const UPLOAD_CONCURRENCY = 4; // instructors uploading at once
const VIDEOS = Number(process.env.BENCH_VIDEOS ?? 3);
const POLL_MS = 100;
const TRANSCODE_TIMEOUT_MS = 5 * 60_000;
const load = {
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 20),
  durationMs: Number(process.env.BENCH_SECONDS ?? 10) * 1000,
};
const uploadLoad = { ...load, concurrency: UPLOAD_CONCURRENCY };

interface Upload {
  videoId: string;
  upload: { url: string; headers: Record<string, string> };
}
interface Notification {
  type: string;
  data: { videoId?: string };
}

const deployment = await startDeployment({ jurisdiction: JURISDICTION, demo: true });
const { settings, url } = deployment;
const storage = storageAt({
  endpoint: settings.S3_ENDPOINT!,
  region: settings.S3_REGION!,
  bucket: settings.S3_BUCKET!,
  accessKeyId: settings.S3_ACCESS_KEY_ID!,
  secretAccessKey: settings.S3_SECRET_ACCESS_KEY!,
});
const clipDir = await mkdtemp(join(tmpdir(), 'kce-bench-media-'));
try {
  /** The api's JSON answer, or a throw with its status and body. */
  const api = async <T,>(path: string, init: { token?: string; json?: unknown; method?: string } = {}): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const instructor = demoUsers(JURISDICTION).find((user) => user.role === 'instructor');
  if (!instructor) throw new Error('the demo has no instructor');
  const { accessToken: token } = await api<{ accessToken: string }>('/api/auth/login', { json: { email: instructor.email, password: DEMO_PASSWORD } });
  const authorization = { authorization: `Bearer ${token}` };
  const course = await api<{ id: string }>(`/api/courses/${COURSE}`, { token });
  const startUpload = (sizeBytes: number) =>
    fetch(`${url}/api/videos/upload`, {
      method: 'POST',
      headers: { ...authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ courseId: course.id, filename: 'bench.mp4', sizeBytes, contentType: 'video/mp4' }),
    });
  console.log(`\nwrangler dev (${JURISDICTION}), PostgreSQL ${process.env.DATABASE_URL ? 'server' : 'PGlite'}, S3 (s3rver), ${availableParallelism()} cores\n`);

  // 1. Upload. Every presign answered is one more URL for the PUTs, each used in turn.
  const bytes = Buffer.alloc(UPLOAD_MB * 1024 ** 2, 7);
  const presigned: Upload[] = [];
  const presignHello = await measureHelloWorld(url, uploadLoad);
  const presign = await measure('POST /api/videos/upload (presign)', uploadLoad, async () => {
    const response = await startUpload(bytes.byteLength);
    if (response.ok) presigned.push((await response.clone().json()) as Upload);
    return response;
  });
  let next = 0;
  const put = await measure(`PUT ${UPLOAD_MB} MB to a presigned URL`, uploadLoad, () => {
    const { upload } = presigned[next++ % presigned.length]!;
    return fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
  });
  let raw = 0;
  // measure() counts answers: the SDK's success stands in as one.
  const rawPut = await measure(`PutObject ${UPLOAD_MB} MB (S3 SDK, raw storage)`, uploadLoad, () =>
    storage.s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: `bench/raw-${raw++}`, Body: bytes, ContentType: 'video/mp4' })).then(() => new Response(null, { status: 204 })),
  );
  printTable([presignHello, presign, put, rawPut]);

  // 2. Notify: each video on its own, so no sample waits behind another's transcode.
  const clip = join(clipDir, 'clip.mp4');
  await generateClip(clip, { seconds: 12, size: '640x360' });
  const clipBytes = await readFile(clip);
  const notified: number[] = [];
  const videoIds: string[] = [];
  const started = performance.now();
  for (let i = 0; i < VIDEOS; i++) {
    const upload = (await (await startUpload(clipBytes.byteLength)).json()) as Upload;
    const stored = await fetch(upload.upload.url, { method: 'PUT', headers: upload.upload.headers, body: clipBytes });
    if (!stored.ok) throw new Error(`storage refused the clip: ${stored.status} ${await stored.text()}`);
    await api(`/api/videos/${upload.videoId}/complete`, { token, json: {} });
    const deadline = performance.now() + TRANSCODE_TIMEOUT_MS;
    let listedAt: number | undefined;
    while (listedAt === undefined) {
      if (performance.now() > deadline) throw new Error(`no notification for video ${upload.videoId} within ${TRANSCODE_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const { items } = await api<{ items: Notification[] }>('/api/notifications?limit=100', { token });
      const mine = items.find((item) => item.data.videoId === upload.videoId);
      if (mine && mine.type !== 'video_ready') throw new Error(`video ${upload.videoId}: notified ${mine.type}`);
      if (mine) listedAt = Date.now();
    }
    const video = await api<{ status: string; updatedAt: string }>(`/api/videos/${upload.videoId}`, { token });
    if (video.status !== 'ready') throw new Error(`video ${upload.videoId} notified ready but is ${video.status}`);
    notified.push(listedAt - Date.parse(video.updatedAt));
    videoIds.push(upload.videoId);
    console.log(`video ${i + 1} of ${VIDEOS}: listed ${(listedAt - Date.parse(video.updatedAt)).toFixed(0)} ms after it turned ready`);
  }
  const notify = summarize(`video ready → listed by GET /api/notifications (poll ${POLL_MS} ms)`, notified, { seconds: (performance.now() - started) / 1000 });
  printTable([notify]);

  // 3. Watch: a segment of the first video's first media playlist.
  const playback = await api<{ master: string }>(`/api/videos/${videoIds[0]}/playback`, { token });
  const text = async (at: string) => {
    const response = await fetch(at);
    if (!response.ok) throw new Error(`${at} answered ${response.status}`);
    return response.text();
  };
  const uris = (playlist: string) => playlist.split('\n').filter((line) => line && !line.startsWith('#'));
  const mediaPlaylist = new URL(uris(await text(playback.master))[0]!, playback.master).href;
  const [hitSegment, missSegment] = uris(await text(mediaPlaylist)).map((uri) => new URL(uri, mediaPlaylist).href);
  if (!hitSegment || !missSegment) throw new Error(`${mediaPlaylist} lists fewer than two segments`);
  const ranged = (segment: string) => fetch(segment, { headers: { range: 'bytes=0-' } });
  // The whole fetch fills the cache after its answer (waitUntil): wait for the first hit.
  await text(hitSegment);
  for (let attempt = 0; (await ranged(hitSegment)).headers.get('x-cache') !== 'hit'; attempt++) {
    if (attempt === 50) throw new Error(`${hitSegment} never came from the cache`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const watch = [
    await measureHelloWorld(url, load),
    await measure('GET /media segment, Range (edge cache hit)', load, () => ranged(hitSegment).then(expectCache('hit'))),
    await measure('GET /media segment, Range (cache miss: from storage)', load, () => ranged(missSegment).then(expectCache('miss'))),
  ];
  printTable(watch);

  const [watchHello, ...segments] = watch as [Measurement, ...Measurement[]];
  const megabytesPerSecond = (row: Measurement) => row.rps * UPLOAD_MB;
  await recordResults('upload', [
    { budget: '—', measured: presign, baseline: presignHello },
    { budget: '—', measured: put, baseline: rawPut, rate: { unit: 'MB/s', measured: megabytesPerSecond(put), baseline: megabytesPerSecond(rawPut) } },
  ]);
  await recordResults('watch', segments.map((measured) => ({ budget: '—', measured, baseline: watchHello })));
  await recordResults('notify', [{ budget: `< ${NOTIFY_BUDGET_MS / 1000} s`, measured: notify, rate: null }]);
  console.log(`\nnotify p95 ${notify.p95.toFixed(0)} ms: ${notify.p95 < NOTIFY_BUDGET_MS ? 'within' : 'over'} the design's ${NOTIFY_BUDGET_MS / 1000} s budget\n`);
  if ([presign, put, rawPut, ...watch].some((row) => row.requests === 0 || row.errors > 0)) process.exitCode = 1;
} finally {
  storage.s3.destroy();
  await rm(clipDir, { recursive: true, force: true });
  await deployment.stop();
}
