/**
 * Uploads a video straight to storage through the API's presigned URLs: one PUT up to 100 MiB, a
 * multipart upload above, whose parts are retried on their own and which resumes after a reload.
 * XMLHttpRequest rather than fetch: only it reports upload progress.
 */
import { VIDEO_TYPES } from '../../../contracts/media.ts';
import { client, unwrap } from '../api/client.ts';
import type { paths } from '../api/schema.ts';

/** Storage (not the API) refused or dropped a PUT; `status` 0 is a network failure. */
export class StorageError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`storage answered ${status}`);
    this.status = status;
  }
}

/** The browser could not read a part's ETag: storage's CORS rules do not expose it. */
export class MissingEtagError extends Error {}

const PARALLEL_PARTS = 4;
const TRIES = 3;
const URL_BATCH = 20;
const RESUME_PREFIX = 'kce.instructor.upload.';

/** Enough to recognise the same file chosen again after a reload, and to cut it into the same parts. */
export interface ResumeRecord {
  videoId: string;
  name: string;
  size: number;
  lastModified: number;
  partSize: number;
  partCount: number;
}

export function resumeRecord(lessonId: string): ResumeRecord | undefined {
  try {
    const stored = localStorage.getItem(RESUME_PREFIX + lessonId);
    return stored ? (JSON.parse(stored) as ResumeRecord) : undefined;
  } catch {
    return undefined;
  }
}

function forgetResume(lessonId: string): void {
  localStorage.removeItem(RESUME_PREFIX + lessonId);
}

/** Part n's length: the part size, but the last part holds what is left. */
const partBytes = (record: ResumeRecord, partNumber: number) => Math.min(record.partSize, record.size - (partNumber - 1) * record.partSize);

const sameFile = (record: ResumeRecord, file: File) => record.name === file.name && record.size === file.size && record.lastModified === file.lastModified;

/** Browsers leave `type` empty for some containers (mkv on many systems): go by the extension then. */
const TYPES_BY_EXTENSION = new Map<string, string>([...[...VIDEO_TYPES].map(([type, extension]) => [extension, type] as const), ['mpeg', 'video/mpeg']]);
/** The types `POST /api/videos/upload` accepts. */
type VideoType = paths['/api/videos/upload']['post']['requestBody']['content']['application/json']['contentType'];
function videoType(file: File): VideoType {
  // Asserted, not checked: the API judges the type, and its `invalid_request` names the accepted ones.
  return (file.type || TYPES_BY_EXTENSION.get(file.name.split('.').pop()?.toLowerCase() ?? '') || 'application/octet-stream') as VideoType;
}

/**
 * Bytes per second over the last few seconds: steadier than the last progress event, quicker to
 * follow a changing connection than the average since the start.
 */
export class Throughput {
  private samples: Array<{ at: number; bytes: number }> = [];
  constructor(private readonly windowMs = 5_000) {}

  add(bytes: number, at = performance.now()): void {
    this.samples.push({ at, bytes });
    // Keep one sample older than the window, so the window is always fully spanned.
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) < at - this.windowMs) this.samples.shift();
  }

  /** `undefined` until half a second has been measured. */
  bytesPerSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 500) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

/** Network trouble, throttling, a server error or an expired URL (403): another try may work. */
const retryable = (error: unknown) => error instanceof StorageError && (error.status === 0 || error.status === 403 || error.status === 429 || error.status >= 500);

/** `attempt(n)` up to three times, waiting 1 s then 2 s between tries. */
async function withRetries<T>(attempt: (n: number) => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (signal.aborted || n >= TRIES || !retryable(error)) throw error;
      await sleep(1000 * 2 ** (n - 1), signal);
    }
  }
}

/** One PUT of `body`, reporting bytes sent; resolves to the ETag storage answered with. */
function put(url: string, body: Blob, headers: Record<string, string>, onSent: (bytes: number) => void, signal: AbortSignal): Promise<string | null> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const xhr = new XMLHttpRequest();
    const abort = () => xhr.abort();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve(xhr.getResponseHeader('ETag')) : reject(new StorageError(xhr.status)));
    xhr.onerror = () => reject(new StorageError(0));
    xhr.onabort = () => reject(signal.reason);
    xhr.onloadend = () => signal.removeEventListener('abort', abort);
    signal.addEventListener('abort', abort, { once: true });
    xhr.send(body);
  });
}

export interface UploadCallbacks {
  /** The video exists (it can be cancelled from now on). */
  onStarted(videoId: string): void;
  /** Bytes of the file storage has, counting those in flight. */
  onProgress(sentBytes: number): void;
}

interface Part {
  partNumber: number;
  etag: string;
}

/** Uploads `file` for a lesson and completes it (the transcode is queued); resolves to the video id. */
export async function uploadVideo(courseId: string, lessonId: string, file: File, signal: AbortSignal, callbacks: UploadCallbacks): Promise<string> {
  const record = resumeRecord(lessonId);
  const resumed = record && sameFile(record, file) ? await partsStored(record, signal) : undefined;
  if (resumed && record) {
    callbacks.onStarted(record.videoId);
    const parts = await uploadParts(record, file, resumed, signal, callbacks.onProgress);
    return complete(record.videoId, lessonId, parts, signal);
  }
  // Another file replaces an interrupted upload: storage can drop that one's parts.
  if (record && !resumed) void cancelUpload(record.videoId, lessonId).catch(() => undefined);
  // Not aborted half-way: a video the server has made must be known to be cancelled with the rest.
  const { videoId, upload } = await unwrap(
    client.POST('/api/videos/upload', { body: { courseId, lessonId, filename: file.name, sizeBytes: file.size, contentType: videoType(file) } }),
  );
  if (signal.aborted) {
    await cancelUpload(videoId, lessonId).catch(() => undefined);
    throw signal.reason;
  }
  callbacks.onStarted(videoId);
  if (upload.mode === 'single') {
    await withRetries(() => put(upload.url, file, upload.headers, callbacks.onProgress, signal), signal);
    return complete(videoId, lessonId, undefined, signal);
  }
  const fresh: ResumeRecord = { videoId, name: file.name, size: file.size, lastModified: file.lastModified, partSize: upload.partSize, partCount: upload.partCount };
  localStorage.setItem(RESUME_PREFIX + lessonId, JSON.stringify(fresh));
  const parts = await uploadParts(fresh, file, [], signal, callbacks.onProgress);
  return complete(videoId, lessonId, parts, signal);
}

async function complete(videoId: string, lessonId: string, parts: Part[] | undefined, signal: AbortSignal): Promise<string> {
  await unwrap(client.POST('/api/videos/{id}/complete', { params: { path: { id: videoId } }, body: parts ? { parts } : {}, signal }));
  forgetResume(lessonId);
  return videoId;
}

/** The parts storage already has in full; `undefined` when the upload cannot be resumed (completed, cancelled, gone). */
async function partsStored(record: ResumeRecord, signal: AbortSignal): Promise<Part[] | undefined> {
  try {
    const { parts } = await unwrap(client.GET('/api/videos/{id}/parts', { params: { path: { id: record.videoId } }, signal }));
    return parts.filter((part) => part.size === partBytes(record, part.partNumber)).map(({ partNumber, etag }) => ({ partNumber, etag }));
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
}

async function uploadParts(record: ResumeRecord, file: File, done: Part[], outer: AbortSignal, onProgress: (bytes: number) => void): Promise<Part[]> {
  // A part that fails for good stops the other parts' uploads too.
  const stop = new AbortController();
  const signal = AbortSignal.any([outer, stop.signal]);
  const finished = new Map(done.map((part) => [part.partNumber, part]));
  let finishedBytes = [...finished.keys()].reduce((sum, n) => sum + partBytes(record, n), 0);
  const inFlight = new Map<number, number>();
  const report = () => onProgress(finishedBytes + [...inFlight.values()].reduce((sum, bytes) => sum + bytes, 0));
  report();

  const queue = Array.from({ length: record.partCount }, (_, i) => i + 1).filter((n) => !finished.has(n));
  const urls = new Map<number, string>();
  let asking: Promise<void> | undefined;
  /**
   * URLs come in batches (one API call for the next few parts, shared by the parts waiting for it);
   * a retry asks for a fresh one, since the old may have expired.
   */
  const urlFor = async (partNumber: number, fresh: boolean): Promise<string> => {
    if (fresh) urls.delete(partNumber);
    if (!urls.has(partNumber) && asking) await asking.catch(() => undefined);
    if (!urls.has(partNumber)) {
      const partNumbers = [partNumber, ...queue.slice(0, fresh ? 0 : URL_BATCH - 1)];
      const batch = unwrap(client.POST('/api/videos/{id}/parts', { params: { path: { id: record.videoId } }, body: { partNumbers }, signal })).then(({ parts }) => {
        for (const part of parts) urls.set(part.partNumber, part.url);
      });
      asking = batch;
      await batch.finally(() => {
        if (asking === batch) asking = undefined;
      });
    }
    const url = urls.get(partNumber);
    if (!url) throw new Error(`the API gave no URL for part ${partNumber}`);
    return url;
  };

  const worker = async () => {
    for (let partNumber = queue.shift(); partNumber !== undefined; partNumber = queue.shift()) {
      const n = partNumber;
      const start = (n - 1) * record.partSize;
      const blob = file.slice(start, start + partBytes(record, n));
      const etag = await withRetries(async (attempt) => {
        inFlight.set(n, 0);
        report();
        const url = await urlFor(n, attempt > 1);
        return put(url, blob, {}, (bytes) => (inFlight.set(n, bytes), report()), signal);
      }, signal);
      if (!etag) throw new MissingEtagError('storage did not expose the ETag header');
      inFlight.delete(n);
      finished.set(n, { partNumber: n, etag });
      finishedBytes += blob.size;
      report();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_PARTS, queue.length) }, () =>
      worker().catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
    ),
  );
  return [...finished.values()].sort((a, b) => a.partNumber - b.partNumber);
}

/** Stops an upload in progress: storage drops its parts and the API forgets the video. */
export async function cancelUpload(videoId: string, lessonId: string): Promise<void> {
  forgetResume(lessonId);
  await unwrap(client.DELETE('/api/videos/{id}/upload', { params: { path: { id: videoId } } }));
}
