import { availableParallelism } from 'node:os';
import { neonConfig, Pool } from '@neondatabase/serverless';
import type { Delivery } from '../scripts/services/payment-sandbox.ts';
import { neonSettingsFor } from '../scripts/services/postgres.ts';
import { measureHelloWorld, printCells, printTable, recordResults, startDeployment, summarize } from './harness.ts';

/**
 * `npm run bench:payments` (us, Stripe through the local sandbox): BENCH_ORDERS (850) checkouts
 * created through the API (p50/p95 beside the hello-world route at the same concurrency), each paid
 * on the sandbox with its webhook held, BENCH_REFUNDS (50) of them refunded at the provider; then
 * every held webhook (paid and refunded events) plus 10 % duplicates — 1,000 deliveries by default —
 * shuffled and POSTed to the webhook endpoint as a provider would. Measures the rate the endpoint
 * accepts them and the time until every order is settled (a refund that arrives before its payment
 * waits for the queue's retry), then checks the ledger exact: one payment per order, one refund per
 * refunded order, every amount to the minor unit.
 */
const ORDERS = Number(process.env.BENCH_ORDERS ?? 850);
const REFUNDS = Number(process.env.BENCH_REFUNDS ?? 50);
const DUPLICATE_SHARE = 0.1;
const CONCURRENCY = 4;
const SETTLE_TIMEOUT_MS = 180_000;

const deployment = await startDeployment({ jurisdiction: 'us' });
try {
  const { url, settings } = deployment;
  const sandbox = settings.PAYMENT_SANDBOX_URL ?? '';
  const key = settings.PAYMENT_SECRET_KEY ?? '';
  Object.assign(neonConfig, neonSettingsFor(settings.NEON_WS_PROXY ?? ''));
  const pool = new Pool({ connectionString: settings.DATABASE_URL });

  // One learner buys ORDERS different courses, each priced differently down to the cent.
  const learner = await json<{ accessToken: string; user: { id: string } }>(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${Date.now()}@bench.test`, password: 'bench password 1', displayName: 'Bench Learner', jurisdiction: 'us' }),
  });
  const seeded = await pool.query<{ id: string; amount: number }>(`
    with made as (
      insert into courses (origin_jurisdiction, instructor_name, slug, title, status, is_paid, published_at)
      select 'us', 'Bench Instructor', 'payments-bench-' || g, 'Payments bench ' || g, 'published', true, now() from generate_series(1, ${ORDERS}) g
      returning id, slug)
    insert into course_prices (course_id, jurisdiction, currency, amount_minor)
    select id, 'us', 'USD', 100 + substring(slug from '\\d+$')::int * 7 from made returning course_id as id, amount_minor as amount`);
  const courses = seeded.rows;
  console.log(`seeded ${courses.length} paid courses; ${availableParallelism()} cores, wrangler dev (us), PostgreSQL ${process.env.DATABASE_URL ? 'server' : 'PGlite'}\n`);

  // Checkouts: each a new order and a Checkout Session at the (sandbox) provider.
  const hello = await measureHelloWorld(url, { concurrency: CONCURRENCY, durationMs: 5_000 });
  const orders: Array<{ orderId: string; courseId: string; amount: number }> = [];
  const latencies: number[] = [];
  let checkoutErrors = 0;
  let firstError: string | undefined;
  const begun = performance.now();
  await inParallel(courses, CONCURRENCY, async (course) => {
    const sent = performance.now();
    const response = await fetch(`${url}/api/courses/${course.id}/checkout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${learner.accessToken}`, 'idempotency-key': `bench-${course.id}` },
    });
    const body = (await response.json()) as { id?: string; status?: string; amountMinor?: number; checkoutUrl?: string };
    const took = performance.now() - sent;
    // Each sample must be a new pending order at the course's price with a hosted page.
    if (response.status === 201 && body.id && body.status === 'pending' && body.amountMinor === course.amount && body.checkoutUrl) {
      latencies.push(took);
      orders.push({ orderId: body.id, courseId: course.id, amount: course.amount });
    } else {
      checkoutErrors++;
      firstError ??= `${response.status} ${JSON.stringify(body).slice(0, 300)}`;
    }
  });
  const checkouts = summarize('POST /api/courses/:id/checkout (new order + provider session)', latencies, { seconds: (performance.now() - begun) / 1000, errors: checkoutErrors, firstError });

  // Customers pay on the provider's page; its webhooks are held, not sent (the benchmark delivers them).
  const sessions = new Map((await pool.query<{ id: string; checkout: string }>('select id, provider_checkout_id as checkout from orders')).rows.map((row) => [row.id, row.checkout]));
  const paymentIntents: string[] = [];
  await inParallel(orders, CONCURRENCY, async (order) => {
    const paid = await json<{ outcome: string; paymentId: string }>(`${sandbox}/__sandbox/checkouts/${sessions.get(order.orderId)}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ card: '4242424242424242', deliver: false }),
    });
    if (paid.outcome !== 'paid') throw new Error(`the sandbox did not take the payment of order ${order.orderId}: ${JSON.stringify(paid)}`);
    paymentIntents.push(paid.paymentId);
  });
  const refunded = paymentIntents.slice(0, REFUNDS);
  await inParallel(refunded, CONCURRENCY, (paymentIntent) =>
    json(`${sandbox}/v1/refunds`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ payment_intent: paymentIntent }) }),
  );
  const held = (await json<{ deliveries: Delivery[] }>(`${sandbox}/__sandbox/outbox?key=${encodeURIComponent(key)}`)).deliveries;
  const distinct = held.length;
  const duplicates = Array.from({ length: Math.round((distinct * DUPLICATE_SHARE) / (1 - DUPLICATE_SHARE)) }, () => held[Math.floor(Math.random() * distinct)]!);
  const deliveries = shuffle([...held, ...duplicates]);

  // Deliveries, as a provider makes them: each must be accepted (200) to count.
  const accepted: number[] = [];
  let refusedDeliveries = 0;
  let firstRefusal: string | undefined;
  const deliveryStart = performance.now();
  await inParallel(deliveries, CONCURRENCY * 2, async (delivery) => {
    const sent = performance.now();
    const response = await fetch(`${url}/api/payments/webhooks/stripe`, { method: 'POST', headers: { ...delivery.headers, 'content-type': 'application/json' }, body: delivery.body });
    const text = await response.text();
    if (response.status === 200) accepted.push(performance.now() - sent);
    else {
      refusedDeliveries++;
      firstRefusal ??= `${response.status} ${text.slice(0, 300)}`;
    }
  });
  const deliverySeconds = (performance.now() - deliveryStart) / 1000;
  const receipts = summarize(`POST /api/payments/webhooks/stripe (${deliveries.length} deliveries, ${duplicates.length} duplicates, shuffled)`, accepted, { seconds: deliverySeconds, errors: refusedDeliveries, firstError: firstRefusal });

  // Settled: every order paid, or refunded for the refunded ones.
  const expected = { paid: orders.length - refunded.length, refunded: refunded.length };
  let state = { paid: 0, refunded: 0 };
  while (performance.now() - deliveryStart < SETTLE_TIMEOUT_MS) {
    state = (await pool.query<{ paid: number; refunded: number }>("select count(*) filter (where status = 'paid')::int as paid, count(*) filter (where status = 'refunded')::int as refunded from orders")).rows[0]!;
    if (state.paid === expected.paid && state.refunded === expected.refunded) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const settledSeconds = (performance.now() - deliveryStart) / 1000;

  const ledger = (
    await pool.query<{ payments: number; paid_sum: string; distinct_orders: number; refunds: number; refunded_sum: string; applied: number; entitled: number; expected_sum: string; expected_refunds: string }>(`
      select (select count(*)::int from payments) as payments,
             (select sum(amount_minor)::text from payments) as paid_sum,
             (select count(distinct order_id)::int from payments) as distinct_orders,
             (select count(*)::int from refunds) as refunds,
             (select coalesce(sum(amount_minor), 0)::text from refunds) as refunded_sum,
             (select count(*)::int from payment_events) as applied,
             (select count(*)::int from entitlements where revoked_at is null) as entitled,
             (select sum(amount_minor)::text from orders) as expected_sum,
             (select coalesce(sum(o.amount_minor), 0)::text from orders o where o.status = 'refunded') as expected_refunds`)
  ).rows[0]!;
  await pool.end();

  printTable([hello, checkouts, receipts]);
  console.log('');
  const checks: Array<[string, string, string]> = [
    ['orders settled', `${state.paid} paid + ${state.refunded} refunded`, `${expected.paid} paid + ${expected.refunded} refunded`],
    ['payment rows (one per order)', `${ledger.payments} over ${ledger.distinct_orders} orders`, `${orders.length} over ${orders.length} orders`],
    ['paid, minor units', ledger.paid_sum, ledger.expected_sum],
    ['refund rows', String(ledger.refunds), String(refunded.length)],
    ['refunded, minor units', ledger.refunded_sum, ledger.expected_refunds],
    ['events applied (duplicates skipped)', String(ledger.applied), String(distinct)],
    ['learners entitled', String(ledger.entitled), String(expected.paid)],
  ];
  printCells([['ledger check', 'found', 'expected'], ...checks.map(([what, found, wanted]) => [what, found, wanted])]);
  const exact = checks.every(([, found, wanted]) => found === wanted) && state.paid === expected.paid && state.refunded === expected.refunded;
  console.log(
    `\nwebhooks accepted at ${(accepted.length / deliverySeconds).toFixed(0)} per second; ${distinct} events applied at ${(distinct / settledSeconds).toFixed(0)} per second; every order settled ${settledSeconds.toFixed(1)} s after the first delivery (refunds that came before their payment wait for the queue's retry); ledger ${exact ? 'exact' : 'NOT exact'}\n`,
  );
  const settle = summarize('every order settled (first delivery → last order applied)', [settledSeconds * 1000], { seconds: settledSeconds, errors: exact ? 0 : 1, firstError: exact ? undefined : 'the ledger is not exact' });
  await recordResults('pay', [
    { budget: '—', measured: checkouts, baseline: hello },
    { budget: 'async', measured: receipts, rate: { unit: 'webhooks/s', measured: accepted.length / deliverySeconds } },
    { budget: 'async', measured: settle, rate: null },
  ]);
  if (!exact || checkouts.errors > 0 || receipts.errors > 0 || checkouts.requests === 0) process.exitCode = 1;
} finally {
  await deployment.stop();
}

async function json<T = unknown>(input: string, init?: RequestInit): Promise<T> {
  const response = await fetch(input, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${input} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}


