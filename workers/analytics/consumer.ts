import type { ClickHouseClient } from '@clickhouse/client-web';
import { openClickHouse } from '../lib/clickhouse.ts';
import { readConfig } from '../lib/config.ts';
import { AnalyticsEventBatch, type StoredEvent } from '../lib/contracts.ts';
import { log } from '../lib/log.ts';
import { openStorage } from '../lib/storage.ts';
import { continueTrace } from '../lib/trace.ts';
import { AnalyticsConfig } from './config.ts';
import { writeDeadLetters } from './dead-letters.ts';
import { insertEvents, isRefusedData } from './events.ts';

interface Delivery {
  message: Message<unknown>;
  events: StoredEvent[];
}

/**
 * `analytics-events`: the whole batch in one ClickHouse insert. ClickHouse unreachable or failing
 * → throw, and `dispatchQueue` retries the batch with exponential delay (then the dead-letter
 * queue). ClickHouse refusing the rows → each message is inserted alone and only the refused ones,
 * with any body that is not a batch of events, go to the dead-letter queue at once: retrying them
 * cannot help, and they must not hold back the others.
 */
export async function storeEvents(batch: MessageBatch<unknown>, env: AnalyticsEnv): Promise<void> {
  const deliveries: Delivery[] = [];
  const unreadable: Array<Message<unknown>> = [];
  for (const message of batch.messages) {
    const parsed = AnalyticsEventBatch.safeParse(message.body);
    if (parsed.success) deliveries.push({ message, events: parsed.data.events });
    else unreadable.push(message);
  }
  const clickhouse = openClickHouse(readConfig(AnalyticsConfig, env), continueTrace(null).traceparent);
  const refused = await insertOrIsolate(clickhouse, deliveries).finally(() => clickhouse.close());
  const poison = [...unreadable, ...refused];
  if (poison.length === 0) return;
  log('error', 'analytics events dead-lettered: ClickHouse or the contract refuses them', {
    queue: batch.queue,
    messages: poison.map((message) => message.id),
    unreadable: unreadable.length,
  });
  for (const message of poison) await env.ANALYTICS_EVENTS_DLQ.send(message.body, { contentType: 'json' });
}

async function insertOrIsolate(clickhouse: ClickHouseClient, deliveries: readonly Delivery[]): Promise<Array<Message<unknown>>> {
  try {
    await insertEvents(clickhouse, deliveries.flatMap((delivery) => delivery.events));
    return [];
  } catch (error) {
    if (!isRefusedData(error)) throw error;
  }
  // One insert per message finds the refused ones; the insert skips events already stored.
  const refused: Array<Message<unknown>> = [];
  for (const delivery of deliveries) {
    try {
      await insertEvents(clickhouse, delivery.events);
    } catch (error) {
      if (!isRefusedData(error)) throw error;
      refused.push(delivery.message);
    }
  }
  return refused;
}

/** `analytics-events-dlq`: the raw events into storage, for `npm run analytics:replay`. */
export async function storeDeadLetters(batch: MessageBatch<unknown>, env: AnalyticsEnv): Promise<void> {
  const storage = openStorage(readConfig(AnalyticsConfig, env));
  const key = await writeDeadLetters(storage, batch.messages.map((message) => message.body), new Date());
  log('warn', 'analytics dead letters written to storage', { key, messages: batch.messages.length });
}
