import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client-web';
import { StoredEvent } from '../lib/contracts.ts';
import type { Storage } from '../lib/storage.ts';
import { insertEvents } from './events.ts';

/**
 * Dead letters of `analytics-events` wait in the jurisdiction's bucket as NDJSON, one event per
 * line, under `analytics-dlq/<day>/`, until `npm run analytics:replay` inserts them.
 */
export const DEAD_LETTER_PREFIX = 'analytics-dlq/';

/** The events of each message, one line each; a body that is not a batch of events is kept whole. */
export function deadLetterLines(bodies: readonly unknown[]): string[] {
  return bodies.flatMap((body) => {
    const events = (body as { events?: unknown } | null)?.events;
    return (Array.isArray(events) ? events : [body]).map((item) => JSON.stringify(item));
  });
}

export async function writeDeadLetters(storage: Storage, bodies: readonly unknown[], now: Date): Promise<string> {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const key = `${DEAD_LETTER_PREFIX}${now.toISOString().slice(0, 10)}/${stamp}-${crypto.randomUUID()}.ndjson`;
  const body = `${deadLetterLines(bodies).join('\n')}\n`;
  await storage.s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }));
  return key;
}

export interface ReplayReport {
  /** Files whose events are all in ClickHouse now; they were deleted. */
  replayed: string[];
  /** Events inserted (or found already there: a replay can run any number of times). */
  events: number;
  /** Files kept: lines that are not events, or ClickHouse still refusing them. */
  kept: Array<{ key: string; reason: string }>;
}

/**
 * Inserts every dead-lettered event again. The insert skips events already stored, so a replay
 * interrupted halfway, or run twice, counts nothing twice. A file goes only once all of it is in.
 */
export async function replayDeadLetters(storage: Storage, clickhouse: ClickHouseClient): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: [], events: 0, kept: [] };
  for await (const key of deadLetterKeys(storage)) {
    const object = await storage.s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
    const text: string = (await object.Body?.transformToString()) ?? '';
    const lines = text.split('\n').filter((line) => line.trim());
    const parsed = lines.map((line) => StoredEvent.safeParse(parseJson(line)));
    const events = parsed.flatMap((result) => (result.success ? [result.data] : []));
    const unreadable = parsed.length - events.length;
    try {
      await insertEvents(clickhouse, events);
    } catch (error) {
      report.kept.push({ key, reason: `ClickHouse refused its events: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    report.events += events.length;
    if (unreadable > 0) {
      report.kept.push({ key, reason: `${unreadable} of ${parsed.length} lines are not events of the current contract` });
      continue;
    }
    await storage.s3.send(new DeleteObjectCommand({ Bucket: storage.bucket, Key: key }));
    report.replayed.push(key);
  }
  return report;
}

async function* deadLetterKeys(storage: Storage): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await storage.s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: DEAD_LETTER_PREFIX, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
    token = page.NextContinuationToken;
  } while (token);
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
