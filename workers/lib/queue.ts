import { log } from './log.ts';

/** The logical queues; deployed names carry the jurisdiction: `kce-us-video-jobs`, `kce-us-video-jobs-dlq`. */
export const QUEUE_KINDS = ['video-jobs', 'analytics-events', 'notifications', 'content-sync', 'payment-events'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number] | `${(typeof QUEUE_KINDS)[number]}-dlq`;

export function queueKind(queueName: string): QueueKind | undefined {
  const kind = /^kce-[a-z]+-(.+)$/.exec(queueName)?.[1];
  const base = kind?.replace(/-dlq$/, '');
  return QUEUE_KINDS.some((k) => k === base) ? (kind as QueueKind) : undefined;
}

/** Exponential delay before a redelivery: 5 s, 10 s, 20 s ... capped at one hour. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(5 * 2 ** Math.max(0, attempts - 1), 3_600);
}

export type BatchHandler<E> = (batch: MessageBatch<unknown>, env: E) => Promise<void>;

/**
 * Routes a batch to the handler of its queue. A queue this Worker has no handler for, or a handler
 * that throws, gets its messages retried with exponential delay: after the queue's `max_retries` they
 * land in its dead-letter queue. Nothing is acknowledged that was not handled.
 */
export async function dispatchQueue<E>(
  batch: MessageBatch<unknown>,
  env: E,
  handlers: Partial<Record<QueueKind, BatchHandler<E>>>,
): Promise<void> {
  const kind = queueKind(batch.queue);
  const handler = kind ? handlers[kind] : undefined;
  if (!handler) {
    log('error', 'no consumer for this queue in this Worker; retrying towards the dead-letter queue', {
      queue: batch.queue,
      messages: batch.messages.length,
    });
    retryAll(batch);
    return;
  }
  try {
    await handler(batch, env);
  } catch (error) {
    log('error', 'queue batch failed; retrying', { queue: batch.queue, error: String(error) });
    retryAll(batch);
  }
}

function retryAll(batch: MessageBatch<unknown>): void {
  for (const message of batch.messages) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
}

/** Thrown by a handler for a message that no retry can make succeed: it breaks a rule, not a dependency. */
export class RefusedMessage extends Error {}

export interface Refusal {
  queue: string;
  id: string;
  attempts: number;
  reason: string;
  body: unknown;
}

/**
 * A handler that takes each message on its own: a valid body is handled and acknowledged; an
 * invalid body or a failure is retried with exponential delay (and so reaches the dead-letter queue).
 * A `RefusedMessage` is recorded by `refuse` with its reason and acknowledged at once instead.
 */
export function eachMessage<E, T>(
  contract: { safeParse(body: unknown): { success: true; data: T } | { success: false; error: unknown } },
  handle: (body: T, env: E) => Promise<void>,
  refuse?: (refusal: Refusal, env: E) => Promise<void>,
): BatchHandler<E> {
  return async (batch, env) => {
    for (const message of batch.messages) {
      const parsed = contract.safeParse(message.body);
      try {
        if (!parsed.success) throw new Error(`the message does not match its contract: ${String(parsed.error)}`);
        await handle(parsed.data, env);
        message.ack();
      } catch (error) {
        if (error instanceof RefusedMessage && refuse && (await refused(refuse, { queue: batch.queue, id: message.id, attempts: message.attempts, reason: error.message, body: message.body }, env))) {
          message.ack();
          continue;
        }
        log('error', 'queue message failed; retrying', { queue: batch.queue, id: message.id, attempts: message.attempts, error: String(error) });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      }
    }
  };
}

/** Records a refusal; false (so the message is retried) if even that fails. */
async function refused<E>(refuse: (refusal: Refusal, env: E) => Promise<void>, refusal: Refusal, env: E): Promise<boolean> {
  try {
    await refuse(refusal, env);
  } catch (error) {
    log('error', 'queue message refused but the refusal was not recorded', { queue: refusal.queue, id: refusal.id, reason: refusal.reason, error: String(error) });
    return false;
  }
  log('error', 'queue message refused: recorded with its reason, not retried', { queue: refusal.queue, id: refusal.id, attempts: refusal.attempts, reason: refusal.reason });
  return true;
}
