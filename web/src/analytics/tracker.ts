import { currentAccessToken } from '../api/client.ts';

/** What the SPA may send: the event contract minus what the tracker fills in (`event_id`, `ts`). */
export interface TrackedEvent {
  type: 'page_view' | 'course_view' | 'search' | 'enroll' | 'video_play' | 'video_pause' | 'video_seek' | 'video_progress' | 'video_complete' | 'login';
  course_id?: string;
  lesson_id?: string;
  video_id?: string;
  position_s?: number;
  duration_s?: number;
  playback_rate?: number;
  rendition?: string;
  props?: Record<string, string | number | boolean>;
}

const FLUSH_EVERY_MS = 5_000;
const MAX_BATCH = 200;
const pending: Array<TrackedEvent & { event_id: string; ts: string }> = [];
let timer: ReturnType<typeof setTimeout> | undefined;

/** Queues an event; batches leave every few seconds and when the page is hidden. */
export function track(event: TrackedEvent): void {
  pending.push({ ...event, event_id: crypto.randomUUID(), ts: new Date().toISOString() });
  if (pending.length >= MAX_BATCH) void flush();
  else timer ??= setTimeout(() => void flush(), FLUSH_EVERY_MS);
}

async function flush(): Promise<void> {
  clearTimeout(timer);
  timer = undefined;
  const events = pending.splice(0, MAX_BATCH);
  if (!events.length) return;
  const token = currentAccessToken();
  const response = await fetch('/api/analytics/events', {
    method: 'POST',
    keepalive: true,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ events }),
  }).catch(() => undefined);
  // Network failure or a server error: keep the events for the next flush (event ids make resends count once).
  if (!response || response.status >= 500 || response.status === 429) pending.unshift(...events);
  if (pending.length) timer ??= setTimeout(() => void flush(), FLUSH_EVERY_MS);
}

/**
 * On page hide the page may be gone before a fetch answers. Signed out, `sendBeacon` is the tool;
 * signed in, a `keepalive` fetch is the same delivery guarantee and can carry the Authorization
 * header that a beacon cannot, so the events keep their user.
 */
function flushOnHide(): void {
  if (!pending.length) return;
  if (currentAccessToken()) {
    void flush();
    return;
  }
  const events = pending.splice(0, MAX_BATCH);
  if (!navigator.sendBeacon('/api/analytics/events', JSON.stringify({ events }))) pending.unshift(...events);
}

addEventListener('pagehide', flushOnHide);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') flushOnHide();
});
