import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client-web';
import type { StoredEvent } from '../lib/contracts.ts';

/** Absent course, lesson and video ids are stored as the nil UUID: those columns are sort keys. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** ISO 8601 in UTC (`2026-01-31T12:00:00.000Z`) as ClickHouse reads a DateTime64 by default. */
export function clickhouseTime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

export function rowOf(event: StoredEvent) {
  return {
    event_id: event.event_id,
    type: event.type,
    ts: clickhouseTime(event.ts),
    received_at: clickhouseTime(event.received_at),
    user_id: event.user_id,
    course_id: event.course_id ?? NIL_UUID,
    lesson_id: event.lesson_id ?? NIL_UUID,
    video_id: event.video_id ?? NIL_UUID,
    position_s: event.position_s ?? null,
    duration_s: event.duration_s ?? null,
    playback_rate: event.playback_rate ?? null,
    rendition: event.rendition ?? '',
    props: event.props,
    jurisdiction: event.jurisdiction,
    country: event.country,
    device: event.device,
    trace_id: event.trace_id,
  };
}

/**
 * One insert for all the events, through `events_incoming`: ClickHouse keeps only the event ids it
 * does not have yet, so inserting the same events again changes nothing (see the migration).
 */
export async function insertEvents(clickhouse: ClickHouseClient, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  await clickhouse.insert({ table: 'events_incoming', values: events.map(rowOf), format: 'JSONEachRow' });
}

/** ClickHouse answered that the rows themselves are wrong: sending them again cannot help. */
const REFUSED_DATA = new Set([
  'TYPE_MISMATCH',
  'INCORRECT_DATA',
  'VIOLATED_CONSTRAINT',
  'CANNOT_CONVERT_TYPE',
  'ARGUMENT_OUT_OF_BOUND',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
]);

export function isRefusedData(error: unknown): boolean {
  const type = error instanceof ClickHouseError ? (error.type ?? '') : '';
  return REFUSED_DATA.has(type) || type.startsWith('CANNOT_PARSE_');
}
