import { SIGNATURE_HEADER, signEvent, TIMESTAMP_HEADER, type TranscodeEvent } from '../../contracts/transcoder.ts';
import { log } from './log.ts';
import { withRetries, type Backoff } from './retry.ts';

/** About four minutes of retries: these events carry results, losing one loses the transcode (or its early start). */
const FINAL_EVENT_BACKOFF: Backoff = { attempts: 10, firstDelayMs: 1_000, maxDelayMs: 60_000 };
const ATTEMPT_TIMEOUT_MS = 10_000;

/** The receiver answered, and said no: sending the same event again would get the same answer. */
class CallbackRefused extends Error {}

/** One signed POST of an event; the timestamp is taken per attempt, so late retries are still fresh. */
export async function postEvent(url: string, secret: string, event: TranscodeEvent, traceparent: string | undefined): Promise<void> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: await signEvent(secret, timestamp, body),
  };
  if (traceparent) headers['traceparent'] = traceparent;
  const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
  const answer = await response.text();
  if (response.ok) return;
  const message = `the callback answered ${response.status}: ${answer.slice(0, 200)}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) throw new CallbackRefused(message);
  throw new Error(message);
}

/** Delivers a `playable`, `ready` or `failed` event, retrying with backoff; gives up (and logs it) only after the last attempt or a refusal. */
export async function deliverEvent(url: string, secret: string, event: TranscodeEvent, traceparent: string | undefined, signal: AbortSignal): Promise<void> {
  const fields = { jobId: event.jobId, type: event.type, traceparent };
  try {
    await withRetries(() => postEvent(url, secret, event, traceparent), FINAL_EVENT_BACKOFF, {
      signal,
      isPermanent: (error) => error instanceof CallbackRefused,
      onRetry: (error, attempt) => log('warn', 'callback failed, retrying', { ...fields, attempt, error: String(error) }),
    });
  } catch (error) {
    if (!signal.aborted) log('error', 'callback not delivered; the result stays available at GET /jobs/:jobId', { ...fields, error: String(error) });
  }
}
