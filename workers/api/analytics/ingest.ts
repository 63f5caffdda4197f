import { z } from 'zod';
import { IngestedEvent, type AnalyticsEvent, type AnalyticsEventBatch, type StoredEvent } from '../../lib/contracts.ts';
import type { Rejection } from './schemas.ts';

/** At most 500 events and 256 KB per request (`navigator.sendBeacon` itself stops at 64 KB). */
export const MAX_EVENTS_PER_REQUEST = 500;
export const MAX_INGEST_BODY_BYTES = 256 * 1024;
/** Older events are refused: a learner offline for a week has little to tell the dashboards. */
const MAX_EVENT_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Client clocks run a little ahead. */
const MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000;

export const EventsRequest = z.strictObject({
  events: z
    .array(z.unknown(), { error: 'must be an array of events' })
    .min(1, 'must hold at least one event')
    .max(MAX_EVENTS_PER_REQUEST, `must hold at most ${MAX_EVENTS_PER_REQUEST} events; send the rest in another request`),
});

/** Each event on its own: valid ones go on, the others come back with the reason. */
export function checkEvents(candidates: readonly unknown[], now: number): { accepted: AnalyticsEvent[]; rejected: Rejection[] } {
  const accepted: AnalyticsEvent[] = [];
  const rejected: Rejection[] = [];
  candidates.forEach((candidate, index) => {
    const parsed = IngestedEvent.safeParse(candidate);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`).join('; ');
      return void rejected.push({ index, reason });
    }
    const at = Date.parse(parsed.data.ts);
    if (at > now + MAX_CLOCK_AHEAD_MS) return void rejected.push({ index, reason: 'ts: is in the future' });
    if (at < now - MAX_EVENT_AGE_MS) return void rejected.push({ index, reason: 'ts: is more than 7 days old' });
    accepted.push(parsed.data);
  });
  return { accepted, rejected };
}

/** What the server knows about the request that carried the events. */
export interface Origin {
  userId: string | null;
  jurisdiction: string;
  country: string;
  device: StoredEvent['device'];
  receivedAt: number;
  traceId: string;
}

export function enrich(event: AnalyticsEvent, origin: Origin): StoredEvent {
  return {
    ...event,
    ts: new Date(event.ts).toISOString(),
    props: Object.fromEntries(Object.entries(event.props ?? {}).map(([key, value]) => [key, String(value)])),
    user_id: origin.userId,
    received_at: new Date(origin.receivedAt).toISOString(),
    jurisdiction: origin.jurisdiction,
    country: origin.country,
    device: origin.device,
    trace_id: origin.traceId,
  };
}

/** Cloudflare's two-letter country of the client (`XX` when unknown, `T1` for Tor). */
export function countryOf(cfCountry: unknown, header: string | undefined): string {
  const country = (typeof cfCountry === 'string' ? cfCountry : header)?.toUpperCase();
  return country && /^[A-Z0-9]{2}$/.test(country) ? country : 'XX';
}

export function deviceClass(userAgent: string | undefined): StoredEvent['device'] {
  if (!userAgent) return 'unknown';
  if (/bot|crawl|spider|slurp|headless|lighthouse/i.test(userAgent)) return 'bot';
  if (/ipad|tablet|kindle|silk|playbook|android(?!.*mobile)/i.test(userAgent)) return 'tablet';
  if (/mobi|iphone|ipod|android|windows phone/i.test(userAgent)) return 'mobile';
  return 'desktop';
}

/**
 * Cloudflare Queues limits: 128 KB per message and 100 messages or 256 KB per `sendBatch`, each
 * message counting about 100 bytes of metadata besides its body (sent as JSON, so its size is known).
 */
const MESSAGE_BYTES = 128_000;
const BATCH_BYTES = 256_000;
const BATCH_MESSAGES = 100;
const METADATA_BYTES = 100;

const encoder = new TextEncoder();
const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).byteLength;

/**
 * The events in as few messages as fit, and the messages in as few `sendBatch` calls as fit: most
 * requests make one message and one call.
 */
export function packEvents(events: readonly StoredEvent[], traceparent: string): AnalyticsEventBatch[][] {
  const envelope = bytesOf({ v: 1, traceparent, events: [] });
  const messages: Array<{ body: AnalyticsEventBatch; bytes: number }> = [];
  for (const event of events) {
    const bytes = bytesOf(event) + 1;
    const last = messages.at(-1);
    if (last && last.bytes + bytes + METADATA_BYTES <= MESSAGE_BYTES) {
      last.body.events.push(event);
      last.bytes += bytes;
    } else {
      messages.push({ body: { v: 1, traceparent, events: [event] }, bytes: envelope + bytes });
    }
  }
  const batches: Array<{ bodies: AnalyticsEventBatch[]; bytes: number }> = [];
  for (const message of messages) {
    const size = message.bytes + METADATA_BYTES;
    const last = batches.at(-1);
    if (last && last.bodies.length < BATCH_MESSAGES && last.bytes + size <= BATCH_BYTES) {
      last.bodies.push(message.body);
      last.bytes += size;
    } else {
      batches.push({ bodies: [message.body], bytes: size });
    }
  }
  return batches.map((batch) => batch.bodies);
}
