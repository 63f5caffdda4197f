import { openCache } from '../lib/cache.ts';
import { readConfig } from '../lib/config.ts';
import { ContentSync, NotificationMessage, PaymentEvent } from '../lib/contracts.ts';
import { openDatabase } from '../lib/db.ts';
import { refusedMessages } from '../../db/schema.ts';
import { dispatchQueue, eachMessage, type Refusal } from '../lib/queue.ts';
import { openStorage } from '../lib/storage.ts';
import { app } from './app.ts';
import { changingCatalog } from './catalog/cache.ts';
import { applyContentSync } from './catalog/replication.ts';
import { ApiConfig } from './context.ts';
import { storeNotification } from './notifications.ts';
import { applyPaymentEvent } from './payments/ledger.ts';
import { reconcilePayments } from './payments/reconcile.ts';

/** Opens the database for one message and closes it after, as a request would. */
async function withDatabase<T>(env: Env, use: (db: ReturnType<typeof openDatabase>['db'], config: ApiConfig) => Promise<T>): Promise<T> {
  const config = readConfig(ApiConfig, env);
  const database = openDatabase(config);
  try {
    return await use(database.db, config);
  } finally {
    await database.close();
  }
}

/** Kept with its reason in Postgres, where an operator reads it; a redelivery records nothing twice. */
function recordRefusal({ queue, id, attempts, reason, body }: Refusal, env: Env): Promise<void> {
  return withDatabase(env, async (db) => {
    await db.insert(refusedMessages).values({ queue, messageId: id, attempts, reason, body }).onConflictDoNothing();
  });
}

export default {
  fetch: app.fetch,
  queue: (batch, env) =>
    dispatchQueue(batch, env, {
      // Applied between catalog generation bumps, so this jurisdiction's cached pages show it at once.
      'content-sync': eachMessage(
        ContentSync,
        (message, env: Env) =>
          withDatabase(env, async (db, config) => {
            await changingCatalog(openCache(config), () => applyContentSync(db, openStorage(config), config.REPLICATION_SOURCES, message));
          }),
        recordRefusal,
      ),
      notifications: eachMessage(NotificationMessage, (message, env: Env) => withDatabase(env, (db) => storeNotification(db, message))),
      // A refusal (an amount that does not match its order) is kept for an operator, never granted.
      // One connection for the batch: a webhook storm is many small transactions.
      'payment-events': (batch, env: Env) => withDatabase(env, (db) => eachMessage(PaymentEvent, async (message) => void (await applyPaymentEvent(db, message)), recordRefusal)(batch, env)),
    }),
  scheduled: async (_controller, env, ctx) => {
    ctx.waitUntil(reconcilePayments(env));
  },
} satisfies ExportedHandler<Env>;
