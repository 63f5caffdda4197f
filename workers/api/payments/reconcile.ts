import { readConfig } from '../../lib/config.ts';
import { openDatabase } from '../../lib/db.ts';
import { log } from '../../lib/log.ts';
import { continueTrace } from '../../lib/trace.ts';
import { ApiConfig } from '../context.ts';
import { stalePendingOrders } from './ledger.ts';
import { gatewayFor } from './providers.ts';

/** A webhook lost on its way is found by asking after this long. */
export const RECONCILE_AFTER_SECONDS = 15 * 60;

/**
 * The cron's reconciliation: asks the provider about every order still pending after 15 minutes.
 * What it reports goes through the same queue as a webhook would, under an event id of its own; a
 * payment found twice (here and by a late webhook) is recorded once, by the provider's payment id.
 */
export async function reconcilePayments(env: Env): Promise<{ asked: number; found: number }> {
  const config = readConfig(ApiConfig, env);
  const database = openDatabase(config);
  const gateway = gatewayFor(config);
  const { traceparent } = continueTrace(null);
  let found = 0;
  try {
    const stale = await stalePendingOrders(database.db, RECONCILE_AFTER_SECONDS);
    for (const order of stale) {
      const checkoutId = order.providerCheckoutId ?? '';
      const change = await gateway.lookup(checkoutId).catch((error: unknown) => {
        // One provider error must not stop the others: this order is asked again at the next run.
        log('warn', 'payment reconciliation could not ask the provider', { orderId: order.id, error: String(error) });
        return null;
      });
      if (!change) continue;
      await env.PAYMENT_EVENTS.send({ v: 1, traceparent, provider: gateway.provider, eventId: `reconciliation:${checkoutId}:${change.kind}`, type: 'reconciliation', change }, { contentType: 'json' });
      found++;
    }
    log('info', 'payment reconciliation', { asked: stale.length, found });
    return { asked: stale.length, found };
  } finally {
    await database.close();
  }
}
