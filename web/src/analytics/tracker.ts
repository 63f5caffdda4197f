import { client, currentAccessToken } from '../api/client.ts';
import type { paths } from '../api/schema.ts';
import type { AnalyticsEvent } from '../api/types.ts';

/** What the SPA may send: the event contract minus what the tracker fills in (`v`, `event_id`, `ts`). */
export type TrackedEvent = Omit<AnalyticsEvent, 'v' | 'event_id' | 'ts'>;

/** The beacon takes a plain URL; typed, it still has to be one of the API's paths. */
const EVENTS = '/api/analytics/events' satisfies keyof paths;
const FLUSH_EVERY_MS = 5_000;
const MAX_BATCH = 200;
const pending: AnalyticsEvent[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

/** Queues an event; batches leave every few seconds and when the page is hidden. */
export function track(event: TrackedEvent): void {
  pending.push({ ...event, v: 1, event_id: crypto.randomUUID(), ts: new Date().toISOString() });
  if (pending.length >= MAX_BATCH) void flush();
  else timer ??= setTimeout(() => void flush(), FLUSH_EVERY_MS);
}

async function flush(): Promise<void> {
  clearTimeout(timer);
  timer = undefined;
  const events = pending.splice(0, MAX_BATCH);
  if (!events.length) return;
  const response = await client.POST(EVENTS, { body: { events }, keepalive: true }).then(
    ({ response }) => response,
    () => undefined,
  );
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
  if (!navigator.sendBeacon(EVENTS, JSON.stringify({ events }))) pending.unshift(...events);
}

addEventListener('pagehide', flushOnHide);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') flushOnHide();
});
