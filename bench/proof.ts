import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool, neonConfig } from '@neondatabase/serverless';
import { api as apiAt } from '../scripts/demo-video.ts';
import { DEMO_PASSWORD } from '../scripts/seed.ts';
import { startLocalDeployments } from '../scripts/local-deployments.ts';
import { neonSettingsFor } from '../scripts/services/postgres.ts';
import { generateClip } from '../scripts/clips.ts';
import { AnalyticsConfig } from '../workers/analytics/config.ts';
import { replayDeadLetters } from '../workers/analytics/dead-letters.ts';
import { openClickHouse } from '../workers/lib/clickhouse.ts';
import { readConfig } from '../workers/lib/config.ts';
import { openStorage } from '../workers/lib/storage.ts';
import { continueTrace } from '../workers/lib/trace.ts';
import { printCells } from './harness.ts';
import { printRoutes, routes, runLoad, type Accepted, type Learner, type LoadTargets } from './load.ts';

/**
 * `npm run proof`: the whole platform (one jurisdiction as `npm run dev` runs it) under a steady
 * mixed load while its dependencies are stopped and restarted one after another, then an account of
 * every write it accepted: each analytics event in ClickHouse exactly once, each learner's last
 * accepted progress save and enrollment in PostgreSQL, each upload `ready` or `failed` with a reason,
 * one notification per finished upload. Exits 1 on any difference. `--seconds` sets each fault's
 * length (down, then as long again to recover); `--scale` multiplies the offered rates.
 */
const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, scale: { type: 'string', default: '1' }, learners: { type: 'string', default: '50' } } });
const FAULT_SECONDS = Number(args.seconds);
const SCALE = Number(args.scale);
const LEARNERS = Number(args.learners);
const DRAIN_MS = 5 * 60_000;
const UNLIMITED = '100000000/60s';

const deployment = await startLocalDeployments({
  jurisdictions: ['us'],
  namePrefix: `kce_proof_${process.pid}_`,
  demo: true,
  vars: { RATE_LIMIT_LOGIN: UNLIMITED, RATE_LIMIT_LOGIN_FAILURES: UNLIMITED, RATE_LIMIT_REGISTER: UNLIMITED, RATE_LIMIT_LOCATE: UNLIMITED, RATE_LIMIT_ANALYTICS: UNLIMITED, RATE_LIMIT_ANALYTICS_USER: UNLIMITED },
  log: process.env.BENCH_VERBOSE ? (line) => console.error(line) : undefined,
});
const url = deployment.urls.us;
const settings = deployment.settings.us;
const { platform } = deployment;

const api = <T>(path: string, init: Parameters<typeof apiAt>[2] = {}) => apiAt<T>(url, path, init);
const signIn = async (email: string) => (await api<{ accessToken: string }>('/api/auth/login', { json: { email, password: DEMO_PASSWORD } })).accessToken;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let failed = false;
try {
  console.log('seeding the demo video (a real upload and transcode)…');
  await deployment.seedDemoVideos();
  const course = await api<{ id: string; slug: string; lessons: { id: string; position: number; videoId: string | null }[] }>('/api/courses/edge-computing-101-us');
  const lesson = course.lessons.find((candidate) => candidate.videoId);
  if (!lesson) throw new Error('the demo course has no video: the demo seed failed (BENCH_VERBOSE=1 shows why)');

  const learners: Learner[] = [];
  for (let i = 0; i < LEARNERS; i++) {
    const { accessToken, user } = await api<{ accessToken: string; user: { id: string } }>('/api/auth/register', {
      json: { email: `proof-${i}-${process.pid}@proof.test`, password: 'proof-password', displayName: `Proof ${i}`, jurisdiction: 'us' },
    });
    await api(`/api/courses/${course.id}/enrollment`, { token: accessToken, json: {} });
    learners.push({ id: user.id, token: accessToken, saved: 0, sent: 0, saving: false });
  }
  const playback = await api<{ master: string }>(`/api/courses/${course.id}/video?lessonId=${lesson.id}`, { token: learners[0]!.token });
  const targets: LoadTargets = {
    url,
    courseId: course.id,
    courseSlug: course.slug,
    lessonId: lesson.id,
    learners,
    adminToken: await signIn('admin@us.demo.test'),
    segmentUrls: await publishedFiles(playback.master),
  };
  const accepted: Accepted = { events: new Map(), progress: new Map(), overlaps: 0 };

  const timeline: string[][] = [['at s', 'event']];
  let started = Date.now();
  const mark = (event: string) => timeline.push([((Date.now() - started) / 1000).toFixed(1), event]);
  const instructor = await signIn('instructor@us.demo.test');
  const uploaded: string[] = [];
  const clipPath = join(deployment.dataDir, 'proof-clip.mp4');
  // Long enough that its transcode is still running when the transcoder or the database goes.
  await generateClip(clipPath, { seconds: 30, size: '640x360' });
  const clip = await readFile(clipPath);
  /** An upload the platform accepts (or, storage being down, refuses to the instructor's face). */
  const uploadOne = async (what: string) => {
    const videoId = await upload(instructor, course.id, clip).catch((error: unknown) => void mark(`${what}: upload refused (${String(error)})`));
    if (!videoId) return undefined;
    uploaded.push(videoId);
    mark(`${what}: video ${videoId.slice(0, 8)} uploaded`);
    return videoId;
  };
  /** Waits until the video's transcode has started, so the fault meets it mid-way. */
  const transcoding = async (videoId: string | undefined) => {
    while (videoId && !['processing', 'playable'].includes((await api<{ status: string }>(`/api/videos/${videoId}`, { token: instructor })).status)) await sleep(250);
  };

  // Faults in turn, each down for FAULT_SECONDS then as long to recover, after a clean stretch;
  // the transcoder and the database each go while an upload is being transcoded.
  const faults: { name: string; stop(): Promise<void>; start(): Promise<void>; before?(): Promise<void>; during?(): Promise<unknown> }[] = [
    { name: 'Redis', stop: () => platform.redis.us!.killRedis(), start: () => platform.redis.us!.restartRedis() },
    { name: 'ClickHouse', stop: () => platform.clickhouse.kill(), start: () => platform.clickhouse.restart() },
    { name: 'S3', stop: () => platform.s3.kill(), start: () => platform.s3.restart(), during: () => uploadOne('while storage is down') },
    { name: 'transcoder', stop: () => platform.transcoder.kill(), start: () => platform.transcoder.restart(), before: async () => transcoding(await uploadOne('before the transcoder goes')) },
    { name: 'PostgreSQL', stop: () => platform.postgres.kill(), start: () => platform.postgres.restart(), before: async () => transcoding(await uploadOne('before the database goes')) },
  ];
  // A clean stretch, each fault and its recovery, a clean end; and time for the uploads the faults wait for.
  const seconds = FAULT_SECONDS * (2 * faults.length + 2) + 30;
  console.log(`\nmixed load for ${seconds} s: ${LEARNERS} learners, an instructor uploading, an admin reading reports; faults: ${faults.map((fault) => fault.name).join(', ')}, one batch delivered twice\n`);
  started = Date.now();

  const [results] = await Promise.all([
    runLoad(url, routes(targets, accepted, SCALE), seconds),
    (async () => {
      await sleep(FAULT_SECONDS * 1000);
      mark('one analytics batch delivered twice');
      await deliverTwice(targets, accepted);
      await uploadOne('in the clean stretch');
      for (const fault of faults) {
        await fault.before?.();
        mark(`${fault.name} stopped`);
        await fault.stop();
        await fault.during?.();
        await sleep(FAULT_SECONDS * 1000);
        await fault.start();
        mark(`${fault.name} restarted`);
        await sleep(FAULT_SECONDS * 1000);
      }
    })(),
  ]);
  printRoutes(results);
  console.log('');
  printCells(timeline);
  console.log(`\nresident memory (MB): ${residentMemory()}\n`);

  console.log('account: waiting for the queues to drain and the uploads to finish…');
  const account = await settle(accepted, learners, uploaded, started);
  printCells([['what', 'accepted', 'stored once', 'missing', 'doubled'], ...account.map((row) => row.map(String))]);
  if (accepted.overlaps > 0) console.log(`(${accepted.overlaps} progress saves overlapped a learner's stalled one and were not counted)`);
  failed = account.some(([, , , missing, doubled]) => missing !== 0 || doubled !== 0);
  console.log(failed ? '\nPROOF FAILED: something accepted was lost or doubled' : '\nproof passed: nothing accepted was lost or doubled');
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await deployment.stop();
}
process.exitCode = failed ? 1 : 0;

/** The master playlist's variant playlists and their segments, as absolute URLs. */
async function publishedFiles(master: string): Promise<string[]> {
  const lines = async (of: string) => (await (await fetch(of)).text()).split('\n').filter((line) => line && !line.startsWith('#'));
  const variants = (await lines(master)).map((line) => new URL(line, master).href);
  const segments = await Promise.all(variants.map(async (variant) => (await lines(variant)).map((line) => new URL(line, variant).href)));
  return [master, ...variants, ...segments.flat()];
}

/** The same events sent twice, as a redelivered batch would be: stored once. */
async function deliverTwice(targets: LoadTargets, accepted: Accepted): Promise<void> {
  const events = Array.from({ length: 5 }, () => ({ event_id: crypto.randomUUID(), type: 'video_play', ts: new Date().toISOString(), course_id: targets.courseId }));
  for (let i = 0; i < 2; i++) await api('/api/analytics/events', { token: targets.learners[0]!.token, json: { events } });
  for (const event of events) accepted.events.set(event.event_id, Date.now());
}

/** A 6 s clip through the real upload flow; its id once storage has it and the transcode is queued. */
async function upload(token: string, courseId: string, clip: Buffer): Promise<string> {
  const started = await api<{ videoId: string; upload: { url: string; headers: Record<string, string> } }>('/api/videos/upload', {
    token,
    json: { courseId, filename: 'proof.mp4', sizeBytes: clip.byteLength, contentType: 'video/mp4' },
  });
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: clip });
  if (!put.ok) throw new Error(`storage answered ${put.status}`);
  await api(`/api/videos/${started.videoId}/complete`, { token, json: {} });
  return started.videoId;
}

/** Resident memory of every process this run started, by what it is (wrangler, workerd, Redis, ClickHouse, the transcoders…). */
function residentMemory(): string {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .flatMap((match) => (match ? [{ pid: Number(match[1]), ppid: Number(match[2]), rss: Number(match[3]), args: match[4]! }] : []));
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) if (!ours.has(row.pid) && ours.has(row.ppid)) grew = Boolean(ours.add(row.pid));
  }
  const KINDS = ['workerd', 'wrangler', 'esbuild', 'redis-server', 'clickhouse', 'transcoder', 'ffmpeg'];
  const byKind = new Map<string, number>();
  for (const row of rows) {
    if (!ours.has(row.pid) || row.args.startsWith('ps ')) continue;
    const kind = KINDS.find((name) => row.args.includes(name)) ?? (row.pid === process.pid ? 'this run (load, S3, proxies)' : row.args.split(' ')[0]!);
    byKind.set(kind, (byKind.get(kind) ?? 0) + row.rss / 1024);
  }
  return [...byKind].map(([kind, mb]) => `${kind} ${mb.toFixed(0)}`).join(', ');
}

/**
 * Events the queue gave up on wait in storage as dead letters (ClickHouse refused them, or it was
 * away longer than the retries): an operator's `npm run analytics:replay` brings them in, and so does the account.
 */
async function replayDeadLettered(): Promise<void> {
  const config = readConfig(AnalyticsConfig, settings);
  const clickhouse = openClickHouse(config, continueTrace(null).traceparent);
  try {
    const report = await replayDeadLetters(openStorage(config), clickhouse);
    console.log(`dead letters: ${report.events} events in ${report.replayed.length} files replayed${report.kept.map(({ key, reason }) => `; kept ${key}: ${reason}`).join('')}`);
  } finally {
    await clickhouse.close();
  }
}

/** Polls until everything accepted has landed or the drain time is up, then counts what is stored. */
async function settle(accepted: Accepted, learners: Learner[], uploaded: string[], runStarted: number): Promise<(string | number)[][]> {
  const learnerIds = learners.map((learner) => learner.id);
  Object.assign(neonConfig, neonSettingsFor(settings.NEON_WS_PROXY!));
  const pool = new Pool({ connectionString: settings.DATABASE_URL });
  // A drill may have dropped a pooled connection; a query then reconnects (an unheard 'error' would end the run).
  pool.on('error', (error: Error) => console.warn(`a database connection dropped: ${error.message}`));
  const ids = [...accepted.events.keys()];
  const eventCounts = async () => {
    const response = await fetch(`${settings.CLICKHOUSE_URL}/?database=${settings.CLICKHOUSE_DATABASE}&default_format=JSONEachRow`, {
      method: 'POST',
      headers: { 'x-clickhouse-user': settings.CLICKHOUSE_USER!, 'x-clickhouse-key': settings.CLICKHOUSE_PASSWORD! },
      body: `SELECT toString(event_id) AS id, count() AS n FROM events WHERE event_id IN (${ids.map((id) => `'${id}'`).join(',')}) GROUP BY id`,
    });
    if (!response.ok) throw new Error(`ClickHouse answered ${response.status}: ${await response.text()}`);
    return new Map((await response.text()).trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id: string; n: string }).map((row) => [row.id, Number(row.n)]));
  };
  const videoStates = async () => (await pool.query<{ id: string; status: string; error_message: string | null }>('select id, status, error_message from videos where id = any($1)', [uploaded])).rows;
  const deadline = Date.now() + DRAIN_MS;
  let events = new Map<string, number>();
  for (;;) {
    const [counts, videos] = await Promise.all([eventCounts(), videoStates()]);
    events = counts;
    const done = ids.every((id) => counts.has(id)) && videos.every((video) => video.status === 'ready' || video.status === 'failed');
    if (done || Date.now() > deadline) break;
    await sleep(2_000);
  }
  if (ids.some((id) => !events.has(id))) {
    await replayDeadLettered();
    events = await eventCounts();
  }
  const missing = ids.filter((id) => !events.has(id));
  if (missing.length > 0) console.log(`events missing, by when they were accepted (s into the run): ${[...new Set(missing.map((id) => ((accepted.events.get(id)! - runStarted) / 1000).toFixed(1)))].join(', ')}`);
  const progress = (await pool.query<{ user_id: string; position_seconds: number }>('select user_id, position_seconds from lesson_progress where user_id = any($1)', [[...accepted.progress.keys()]])).rows;
  const stored = new Map(progress.map((row) => [row.user_id, Number(row.position_seconds)]));
  // Kept: the last accepted save, or a later one whose answer was lost (positions only grow).
  const sentBy = new Map(learners.map((learner) => [learner.id, learner.sent]));
  const kept = (user: string, position: number) => (stored.get(user) ?? -1) >= position && (stored.get(user) ?? -1) <= (sentBy.get(user) ?? position);
  for (const [user, position] of accepted.progress) if (!kept(user, position)) console.log(`learner ${user}: last accepted save at ${position} s, stored ${String(stored.get(user))}`);
  const enrolled = (await pool.query<{ n: number }>('select count(*)::int as n from enrollments where user_id = any($1)', [learnerIds])).rows[0]?.n ?? 0;
  const videos = await videoStates();
  const notified = (await pool.query<{ video_id: string; n: number }>(`select data->>'videoId' as video_id, count(*)::int as n from notifications where data->>'videoId' = any($1) group by 1`, [uploaded])).rows;
  await pool.end();
  const finished = videos.filter((video) => video.status === 'ready' || (video.status === 'failed' && video.error_message));
  return [
    ['analytics events in ClickHouse', ids.length, [...events.values()].filter((n) => n === 1).length, missing.length, [...events.values()].filter((n) => n > 1).length],
    ['last progress save per learner', accepted.progress.size, [...accepted.progress].filter(([user, position]) => kept(user, position)).length, [...accepted.progress].filter(([user, position]) => !kept(user, position)).length, 0],
    ['enrollments', learnerIds.length, enrolled, learnerIds.length - enrolled, 0],
    ['uploads ready, or failed with a reason', uploaded.length, finished.length, uploaded.length - finished.length, 0],
    ['a notification per finished upload', finished.length, notified.filter((row) => row.n === 1).length, finished.length - notified.length, notified.filter((row) => row.n > 1).length],
  ];
}
