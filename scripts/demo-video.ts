import { access, readFile } from 'node:fs/promises';
import { generateClip } from './clips.ts';

/**
 * The demo's "one short generated video transcoded into a lesson": made with the system ffmpeg and
 * sent through the real upload flow (presign, PUT to storage, complete, transcode), so a fresh
 * `npm run dev` shows a playable lesson and exercises the whole pipeline once.
 */
const DEMO_COURSE = 'edge-computing-101';
const POLL_MS = 1000;
const TIMEOUT_MS = 5 * 60_000;

interface Lesson { id: string; position: number; videoId: string | null }
interface VideoStatus { status: string; percent: number; error: { message: string } | null }

/** Both jurisdictions ask at once: one ffmpeg run per start, whoever asks first. */
const clips = new Map<string, Promise<Buffer>>();
function demoClip(path: string): Promise<Buffer> {
  const clip = clips.get(path) ?? makeClip(path);
  clips.set(path, clip);
  return clip;
}

/** 10 s of 1280x720, made once and kept. */
async function makeClip(path: string): Promise<Buffer> {
  if (!(await access(path).then(() => true, () => false))) await generateClip(path, { seconds: 10, size: '1280x720' });
  return readFile(path);
}

/** Calls the api and returns its JSON, or throws with the api's error message. */
export async function api<T>(baseUrl: string, path: string, init: { token?: string; method?: string; json?: unknown } = {}): Promise<T> {
  const method = init.method ?? (init.json === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const body = await response.json() as T & { error?: { message: string } };
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${body.error?.message ?? JSON.stringify(body)}`);
  return body;
}

async function transcoded(baseUrl: string, token: string, videoId: string, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  let reported = -Infinity;
  while (Date.now() < deadline) {
    const video = await api<VideoStatus>(baseUrl, `/api/videos/${videoId}`, { token });
    if (video.status === 'ready') return;
    if (video.status === 'failed') throw new Error(`the transcode failed: ${video.error?.message ?? 'no reason given'}`);
    // Every 20 % or so, not every poll.
    if (video.percent >= reported + 20) {
      reported = video.percent;
      log(`demo video ${video.percent}%`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`video ${videoId} was not ready within ${TIMEOUT_MS / 1000} s`);
}

/** The demo clip's words, in both languages, so captions, the transcript and spoken-word search show at once. */
const DEMO_CAPTIONS = {
  en: {
    label: 'English',
    cues: ['Welcome to Edge Computing 101.', 'Your code runs close to every learner, inside their jurisdiction.', 'Let us start with a short introduction.'],
  },
  ar: {
    label: 'العربية',
    cues: ['مرحبًا بكم في مقدّمة الحوسبة الطرفية.', 'تعمل الشيفرة قريبًا من كل متعلّم، داخل منطقته.', 'لنبدأ بمقدّمة قصيرة.'],
  },
};
const CUE_TIMES = ['00:00:00.500 --> 00:00:03.000', '00:00:03.200 --> 00:00:06.500', '00:00:06.700 --> 00:00:09.500'];

/** The demo video's caption tracks, unless it has some: the jurisdiction's language is the default. */
async function captioned(baseUrl: string, token: string, videoId: string, jurisdiction: string): Promise<void> {
  const { items } = await api<{ items: unknown[] }>(baseUrl, `/api/videos/${videoId}/captions`, { token });
  if (items.length > 0) return;
  for (const [language, { label, cues }] of Object.entries(DEMO_CAPTIONS)) {
    const content = `WEBVTT\n\n${cues.map((text, index) => `${CUE_TIMES[index]}\n${text}\n`).join('\n')}`;
    const isDefault = language === (jurisdiction === 'sa' ? 'ar' : 'en');
    await api(baseUrl, `/api/videos/${videoId}/captions/${language}`, { token, method: 'PUT', json: { label, isDefault, content } });
  }
}

/**
 * Gives the first lesson of the jurisdiction's demo course a transcoded demo video with caption
 * tracks, unless it has them already (so a second start does nothing). Never throws: a failure is a warning, the
 * platform is still usable without the video.
 */
export async function seedDemoVideo(options: { jurisdiction: string; baseUrl: string; email: string; password: string; clipPath: string }): Promise<void> {
  const { jurisdiction, baseUrl } = options;
  const log = (line: string) => console.log(`[seed ${jurisdiction}] ${line}`);
  try {
    const { accessToken: token } = await api<{ accessToken: string }>(baseUrl, '/api/auth/login', { json: { email: options.email, password: options.password } });
    const course = await api<{ id: string; lessons: Lesson[] }>(baseUrl, `/api/courses/${DEMO_COURSE}-${jurisdiction}`, { token });
    const [lesson] = course.lessons.toSorted((a, b) => a.position - b.position);
    if (!lesson) throw new Error(`the demo course ${DEMO_COURSE}-${jurisdiction} has no lessons`);
    if (lesson.videoId) {
      await captioned(baseUrl, token, lesson.videoId, jurisdiction);
      return;
    }

    const clip = await demoClip(options.clipPath);
    const presigned = await api<{ videoId: string; upload: { mode: string; url: string; headers: Record<string, string> } }>(baseUrl, '/api/videos/upload', {
      token,
      json: { courseId: course.id, lessonId: lesson.id, filename: 'demo-clip.mp4', sizeBytes: clip.byteLength, contentType: 'video/mp4' },
    });
    const put = await fetch(presigned.upload.url, { method: 'PUT', headers: presigned.upload.headers, body: clip });
    if (!put.ok) throw new Error(`storage refused the upload: ${put.status} ${await put.text()}`);
    const { videoId } = presigned;
    await api(baseUrl, `/api/videos/${videoId}/complete`, { token, json: {} });
    await transcoded(baseUrl, token, videoId, log);
    await captioned(baseUrl, token, videoId, jurisdiction);
    log(`demo video ready, with English and Arabic captions, in lesson ${lesson.id} of ${DEMO_COURSE}-${jurisdiction} (video ${videoId})`);
  } catch (error) {
    console.warn(`[seed ${jurisdiction}] WARNING: the demo video was not added: ${error instanceof Error ? error.message : String(error)}`);
  }
}
