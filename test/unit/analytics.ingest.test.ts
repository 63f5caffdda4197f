import { describe, expect, it } from 'vitest';
import { AnalyticsEventBatch, type StoredEvent } from '../../workers/lib/contracts.ts';
import { checkEvents, countryOf, deviceClass, enrich, packEvents } from '../../workers/api/analytics/ingest.ts';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const TRACEPARENT = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;

function event(overrides: Record<string, unknown> = {}) {
  return { event_id: crypto.randomUUID(), type: 'page_view', ts: '2026-03-10T11:59:00.000Z', ...overrides };
}

const origin = { userId: null, jurisdiction: 'us', country: 'US', device: 'desktop' as const, receivedAt: NOW, traceId: 'c'.repeat(32) };

describe('checkEvents', () => {
  it('accepts valid events and names what is wrong with each of the others, by index', () => {
    const { accepted, rejected } = checkEvents(
      [
        event(),
        event({ type: 'teleport' }),
        event({ ts: '2026-03-10T13:00:00.000Z' }),
        event({ ts: '2026-03-01T12:00:00.000Z' }),
        event({ props: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) }),
        event({ props: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'x'.repeat(256)])) }),
        event({ event_id: "1' OR '1'='1" }),
        event({ surprise: true }),
        'not an event',
        event({ type: 'video_progress', video_id: crypto.randomUUID(), position_s: 30, duration_s: 120, props: { quality: 'auto', muted: false, volume: 0.5 } }),
      ],
      NOW,
    );
    expect(accepted).toHaveLength(2);
    expect(rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const reasons = rejected.map((r) => r.reason);
    expect(reasons[0]).toMatch(/^type: /);
    expect(reasons[1]).toBe('ts: is in the future');
    expect(reasons[2]).toBe('ts: is more than 7 days old');
    expect(reasons[3]).toMatch(/props: must have at most 20 keys/);
    expect(reasons[4]).toMatch(/props: must be at most 2048 bytes/);
    expect(reasons[5]).toMatch(/^event_id: /);
    expect(reasons[6]).toMatch(/surprise/);
    expect(reasons[7]).toMatch(/^event: /);
  });

  it('takes times with an offset and a little clock skew', () => {
    const { accepted } = checkEvents([event({ ts: '2026-03-10T14:03:00+02:00' })], NOW);
    expect(accepted).toHaveLength(1);
  });
});

describe('enrich', () => {
  it('adds what the server knows, in UTC, with props as strings', () => {
    const [accepted] = checkEvents([event({ ts: '2026-03-10T13:59:00.5+02:00', props: { muted: true, volume: 0.5 } })], NOW).accepted;
    const stored = enrich(accepted!, { ...origin, userId: '6d1f3c2e-8a4b-4c5d-9e6f-7a8b9c0d1e2f' });
    expect(stored).toMatchObject({
      v: 1,
      ts: '2026-03-10T11:59:00.500Z',
      received_at: '2026-03-10T12:00:00.000Z',
      props: { muted: 'true', volume: '0.5' },
      user_id: '6d1f3c2e-8a4b-4c5d-9e6f-7a8b9c0d1e2f',
      jurisdiction: 'us',
      country: 'US',
      device: 'desktop',
      trace_id: 'c'.repeat(32),
    });
  });
});

describe('countryOf', () => {
  it.each([
    ['SA', undefined, 'SA'],
    [undefined, 'gb', 'GB'],
    [undefined, undefined, 'XX'],
    [undefined, "' OR 1=1 --", 'XX'],
    ['T1', 'US', 'T1'],
  ])('cf %s, header %s → %s', (cf, header, country) => {
    expect(countryOf(cf, header)).toBe(country);
  });
});

describe('deviceClass', () => {
  it.each([
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36', 'desktop'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148', 'mobile'],
    ['Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36', 'mobile'],
    ['Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15', 'tablet'],
    ['Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/130.0 Safari/537.36', 'tablet'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot'],
    [undefined, 'unknown'],
  ])('%s is %s', (userAgent, device) => {
    expect(deviceClass(userAgent)).toBe(device);
  });
});

describe('packEvents', () => {
  const stored = (propsBytes: number): StoredEvent =>
    enrich(checkEvents([event({ props: { note: 'x'.repeat(Math.min(propsBytes, 256)) } })], NOW).accepted[0]!, origin);
  const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

  it('puts a usual request in one message and one sendBatch', () => {
    const batches = packEvents(Array.from({ length: 50 }, () => stored(20)), TRACEPARENT);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(1);
    expect(batches[0]![0]!.events).toHaveLength(50);
    expect(AnalyticsEventBatch.safeParse(batches[0]![0]).success).toBe(true);
  });

  it('fills each message up to 128 KB and each sendBatch up to 256 KB, losing and reordering nothing', () => {
    const events = Array.from({ length: 1_200 }, () => stored(256));
    const batches = packEvents(events, TRACEPARENT);
    const messages = batches.flat();
    expect(messages.flatMap((message) => message.events)).toEqual(events);
    for (const message of messages) expect(bytes(message) + 100).toBeLessThanOrEqual(128_000);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(100);
      expect(batch.reduce((sum, message) => sum + bytes(message) + 100, 0)).toBeLessThanOrEqual(256_000);
    }
    // As few as the limits allow: every message but the last is too full for one more event.
    const eventBytes = bytes(events[0]) + 1;
    for (const message of messages.slice(0, -1)) expect(bytes(message) + 100 + eventBytes).toBeGreaterThan(128_000);
    expect(batches.length).toBe(Math.ceil(messages.length / 2));
  });

  it('sends nothing for no events', () => {
    expect(packEvents([], TRACEPARENT)).toEqual([]);
  });
});
