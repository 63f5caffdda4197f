import { env } from 'cloudflare:workers';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { readZatcaQr } from '../../contracts/payments.ts';
import { entitlements, orders, paymentEvents, payments, refunds, videos } from '../../db/schema.ts';
import type { CourseDetail } from '../../workers/api/catalog/schemas.ts';
import type { OrderView, Receipt } from '../../workers/api/payments/schemas.ts';
import { reconcilePayments } from '../../workers/api/payments/reconcile.ts';
import type { Delivery } from '../../scripts/services/payment-sandbox.ts';
import { withDatabase } from './backing.ts';
import { publishedCourse, unique } from './catalog-fixtures.ts';
import { call, eventually, signedInAs, type SignedIn } from './client.ts';


const CARDS = {
  us: { paid: '4242424242424242', declined: '4000000000000002' },
  sa: { paid: '4201320111111010', declined: '4201320000311101' },
} as const;
const PROVIDER = { us: 'stripe', sa: 'moyasar' } as const;
type Where = keyof typeof CARDS;

const settings = (j: Where) => inject('settings')[j] ?? {};
const sandbox = (path: string, init?: RequestInit) => fetch(new URL(path, settings('us').PAYMENT_SANDBOX_URL), init);

async function pay(checkoutId: string, card: string, deliver = true): Promise<{ outcome: string; paymentId?: string }> {
  const response = await sandbox(`/__sandbox/checkouts/${checkoutId}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ card, deliver }) });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

/** The sandbox holds each webhook (the Workers under test have no port to POST to): the test delivers them. */
async function deliveries(j: Where, checkoutId: string): Promise<Delivery[]> {
  const response = await sandbox(`/__sandbox/outbox?key=${encodeURIComponent(settings(j).PAYMENT_SECRET_KEY ?? '')}&checkout=${encodeURIComponent(checkoutId)}`);
  return ((await response.json()) as { deliveries: Delivery[] }).deliveries;
}

/** Delivers a held webhook to the jurisdiction's endpoint, as the provider would. */
const deliver = (j: Where, delivery: Pick<Delivery, 'headers' | 'body'>) =>
  call<{ received: boolean }>(`/api/payments/webhooks/${PROVIDER[j]}`, { jurisdiction: j, body: delivery.body, headers: { ...delivery.headers, 'content-type': 'application/json' } });

async function pricedCourse(j: Where, prices: Record<string, number>, instructor?: SignedIn) {
  const owner = instructor ?? (await signedInAs('instructor', j));
  const created = await call<CourseDetail>('/api/courses', { jurisdiction: j, token: owner.accessToken, json: { title: `Paid ${unique()}` } });
  const id = created.body.id;
  // Two lessons with ready videos: the first a free preview, the second paid.
  const lessonIds: string[] = [];
  const videoIds: string[] = [];
  for (const isPreview of [true, false]) {
    const videoId = crypto.randomUUID();
    const prefix = `media/${videoId}/${crypto.randomUUID()}/`;
    await withDatabase(j, (db) =>
      db.insert(videos).values({ id: videoId, courseId: id, originJurisdiction: j, uploaderId: owner.user.id, status: 'ready', filename: 'l.mp4', contentType: 'video/mp4', sizeBytes: 1, sourceKey: `raw/${videoId}/l.mp4`, progressPercent: 100, outputPrefix: prefix, masterKey: `${prefix}master.m3u8`, durationSeconds: 60, renditions: [] }),
    );
    const lesson = await call<{ id: string }>(`/api/courses/${id}/lessons`, { jurisdiction: j, token: owner.accessToken, json: { title: isPreview ? 'Preview' : 'Paid lesson', isPreview, videoId } });
    expect(lesson.status, JSON.stringify(lesson.body)).toBe(201);
    lessonIds.push(lesson.body.id);
    videoIds.push(videoId);
  }
  const priced = await call<CourseDetail>(`/api/courses/${id}/pricing`, { jurisdiction: j, method: 'PUT', token: owner.accessToken, json: { isPaid: true, prices } });
  expect(priced.status, JSON.stringify(priced.body)).toBe(200);
  expect((await call(`/api/courses/${id}/publish`, { jurisdiction: j, method: 'POST', token: owner.accessToken })).status).toBe(200);
  return { id, owner, previewVideo: videoIds[0]!, paidVideo: videoIds[1]!, paidLesson: lessonIds[1]! };
}

const checkout = (j: Where, learner: SignedIn, courseId: string, key = `buy-${crypto.randomUUID()}`) =>
  call<OrderView>(`/api/courses/${courseId}/checkout`, { jurisdiction: j, method: 'POST', token: learner.accessToken, headers: { 'idempotency-key': key } });

const checkoutIdOf = (j: Where, orderId: string) =>
  withDatabase(j, async (db) => (await db.select({ id: orders.providerCheckoutId }).from(orders).where(eq(orders.id, orderId)))[0]?.id ?? '');

const orderOf = (j: Where, learner: SignedIn, orderId: string) => call<OrderView>(`/api/orders/${orderId}`, { jurisdiction: j, token: learner.accessToken });
const settled = (j: Where, learner: SignedIn, orderId: string, status: OrderView['status']) =>
  eventually(async () => {
    const order = await orderOf(j, learner, orderId);
    return order.body.status === status && order.body;
  }, 30_000, `order ${orderId} becoming ${status}`);

const watch = (j: Where, learner: SignedIn | undefined, videoId: string) => call(`/api/videos/${videoId}/playback`, { jurisdiction: j, token: learner?.accessToken });

/** Buys through the hosted page and its webhook; answers the paid order. */
async function buy(j: Where, learner: SignedIn, courseId: string) {
  const order = await checkout(j, learner, courseId);
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  const checkoutId = await checkoutIdOf(j, order.body.id);
  expect((await pay(checkoutId, CARDS[j].paid)).outcome).toBe('paid');
  const [paid] = (await deliveries(j, checkoutId)).filter((d) => d.type === 'checkout.session.completed' || d.type === 'payment_paid');
  expect((await deliver(j, paid!)).status).toBe(200);
  return { order: await settled(j, learner, order.body.id, 'paid'), checkoutId, paid: paid! };
}

describe('paid courses', () => {
  it.each(['us', 'sa'] as const)('in %s: checkout → provider page → signed webhook → paid, enrolled, lessons play; a double click is one order', async (j) => {
    const course = await pricedCourse(j, { us: 1_999, sa: 7_499 });
    const learner = await signedInAs('learner', j);
    const before = await call<{ offer: string; prices: unknown[] }>(`/api/courses/${course.id}`, { jurisdiction: j, token: learner.accessToken });
    expect(before.body.offer).toBe('buy');
    expect(before.body.prices).toEqual([
      { jurisdiction: 'sa', currency: 'SAR', amountMinor: 7_499 },
      { jurisdiction: 'us', currency: 'USD', amountMinor: 1_999 },
    ]);
    // Without an order: enrolling is refused, the paid lesson does not play, the preview does (for anyone).
    expect((await call(`/api/courses/${course.id}/enrollment`, { jurisdiction: j, method: 'POST', token: learner.accessToken })).body).toMatchObject({ error: { code: 'payment_required' } });
    expect((await watch(j, learner, course.paidVideo)).status).toBe(403);
    expect((await watch(j, undefined, course.previewVideo)).status).toBe(200);

    // A double click: the same key twice at once, and a second tab with another key, answer one order.
    const key = `buy-${crypto.randomUUID()}`;
    const [first, second] = await Promise.all([checkout(j, learner, course.id, key), checkout(j, learner, course.id, key)]);
    const third = await checkout(j, learner, course.id);
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    expect(new Set([first.body.id, second.body.id, third.body.id]).size).toBe(1);
    expect(first.body).toMatchObject({ status: 'pending', amountMinor: j === 'us' ? 1_999 : 7_499, currency: j === 'us' ? 'USD' : 'SAR', taxMinor: j === 'us' ? 0 : 978 });
    expect(first.body.checkoutUrl).toMatch(new RegExp(`/pay/${PROVIDER[j]}/`));
    expect(await withDatabase(j, async (db) => (await db.select().from(orders).where(eq(orders.userId, learner.user.id))).length)).toBe(1);
    // The key names one purchase: reused for another course, it is refused.
    const other = await pricedCourse(j, { [j]: 500 });
    expect((await checkout(j, learner, other.id, key)).body).toMatchObject({ error: { code: 'idempotency_key_reused' } });

    const checkoutId = await checkoutIdOf(j, first.body.id);
    expect((await pay(checkoutId, CARDS[j].paid)).outcome).toBe('paid');
    for (const delivery of await deliveries(j, checkoutId)) expect((await deliver(j, delivery)).status).toBe(200);
    const paid = await settled(j, learner, first.body.id, 'paid');
    expect(paid.paymentId).toEqual(expect.any(String));
    const after = await call<{ offer: string; enrollment: unknown }>(`/api/courses/${course.id}`, { jurisdiction: j, token: learner.accessToken });
    expect(after.body.offer).toBe('owned');
    expect(after.body.enrollment).not.toBeNull();
    expect((await watch(j, learner, course.paidVideo)).status).toBe(200);
    // Buying again is refused; the purchases page lists it.
    expect((await checkout(j, learner, course.id)).body).toMatchObject({ error: { code: 'already_owned' } });
    const purchases = await call<{ items: OrderView[] }>('/api/me/purchases', { jurisdiction: j, token: learner.accessToken });
    expect(purchases.body.items.map((order) => [order.id, order.status])).toEqual([[first.body.id, 'paid']]);
    // Another learner's order, or its refund, is not theirs to see or do.
    const stranger = await signedInAs('learner', j);
    expect((await orderOf(j, stranger, first.body.id)).body).toMatchObject({ error: { code: 'not_found' } });
    expect((await call(`/api/orders/${first.body.id}/refund`, { jurisdiction: j, method: 'POST', token: stranger.accessToken })).status).toBe(403);
    expect((await orderOf(j, learner, first.body.id)).body.status).toBe('paid');
  }, 90_000);

  it('gives a receipt; in sa a simplified tax invoice whose ZATCA QR decodes to the seller, VAT number, time, total and VAT', async () => {
    const course = await pricedCourse('sa', { sa: 11_500 });
    const learner = await signedInAs('learner', 'sa');
    const { order } = await buy('sa', learner, course.id);
    const receipt = await call<Receipt>(`/api/payments/${order.paymentId}/receipt`, { jurisdiction: 'sa', token: learner.accessToken });
    expect(receipt.body).toMatchObject({ kind: 'simplified_tax_invoice', totalMinor: 11_500, taxMinor: 1_500, taxRateBasisPoints: 1_500, currency: 'SAR', seller: { vatNumber: '300000000000003' } });
    expect(readZatcaQr(receipt.body.zatcaQr ?? '')).toEqual({ sellerName: receipt.body.seller.name, vatNumber: '300000000000003', timestamp: receipt.body.issuedAt, total: '115.00', vat: '15.00' });
    // Someone else's receipt is not found; the payment rows never reach the other jurisdiction.
    const stranger = await signedInAs('learner', 'sa');
    expect((await call(`/api/payments/${order.paymentId}/receipt`, { jurisdiction: 'sa', token: stranger.accessToken })).status).toBe(404);
    expect(await withDatabase('us', async (db) => [(await db.select().from(orders).where(eq(orders.id, order.id))).length, (await db.select().from(payments).where(eq(payments.orderId, order.id))).length])).toEqual([0, 0]);
    const usLearner = await signedInAs('learner', 'us');
    const usCourse = await pricedCourse('us', { us: 2_500 });
    const { order: usOrder } = await buy('us', usLearner, usCourse.id);
    expect((await call<Receipt>(`/api/payments/${usOrder.paymentId}/receipt`, { token: usLearner.accessToken })).body).toMatchObject({ kind: 'receipt', zatcaQr: null, taxMinor: 0, totalMinor: 2_500 });
    expect(await withDatabase('sa', async (db) => (await db.select().from(orders).where(eq(orders.id, usOrder.id))).length)).toBe(0);
  }, 90_000);

  it('keeps a declined order pending with the provider’s reason, and never enrolls', async () => {
    const course = await pricedCourse('sa', { sa: 5_000 });
    const learner = await signedInAs('learner', 'sa');
    const order = await checkout('sa', learner, course.id);
    const checkoutId = await checkoutIdOf('sa', order.body.id);
    expect((await pay(checkoutId, CARDS.sa.declined)).outcome).toBe('declined');
    const failed = (await deliveries('sa', checkoutId)).find((d) => d.type === 'payment_failed');
    expect((await deliver('sa', failed!)).status).toBe(200);
    const declined = await eventually(async () => {
      const { body } = await orderOf('sa', learner, order.body.id);
      return body.lastFailure !== null && body;
    }, 20_000, 'the decline applied');
    expect(declined).toMatchObject({ status: 'pending', paymentId: null });
    expect(declined.checkoutUrl).toEqual(expect.any(String));
    expect((await call<{ offer: string }>(`/api/courses/${course.id}`, { jurisdiction: 'sa', token: learner.accessToken })).body.offer).toBe('buy');
    // Stripe's page tells the learner and sends nothing.
    const usCourse = await pricedCourse('us', { us: 900 });
    const usLearner = await signedInAs('learner');
    const usOrder = await checkout('us', usLearner, usCourse.id);
    const usCheckout = await checkoutIdOf('us', usOrder.body.id);
    expect((await pay(usCheckout, CARDS.us.declined)).outcome).toBe('declined');
    expect(await deliveries('us', usCheckout)).toEqual([]);
  }, 90_000);

  it('refuses a webhook whose signature does not verify (401) and changes nothing', async () => {
    for (const j of ['us', 'sa'] as const) {
      const course = await pricedCourse(j, { [j]: 1_000 });
      const learner = await signedInAs('learner', j);
      const order = await checkout(j, learner, course.id);
      const checkoutId = await checkoutIdOf(j, order.body.id);
      await pay(checkoutId, CARDS[j].paid);
      const [real] = await deliveries(j, checkoutId);
      const secret = settings(j).PAYMENT_WEBHOOK_SECRET ?? '';
      // Stripe signs the body (HMAC in the header); Moyasar puts the shared secret token in it.
      const forged =
        j === 'us'
          ? [
              { headers: real!.headers, body: real!.body.replace('"amount_total":1000', '"amount_total":1') },
              { headers: {}, body: real!.body },
              { headers: { 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` }, body: real!.body },
            ]
          : [
              { headers: {}, body: real!.body.replace(secret, `${secret.slice(0, -1)}x`) },
              { headers: {}, body: real!.body.replace(`"secret_token":"${secret}",`, '') },
              { headers: {}, body: 'not json' },
              // The right token on a payment Moyasar never made: its API is asked, and says so.
              { headers: {}, body: real!.body.replace(/"data":\{"id":"[0-9a-f-]+"/, `"data":{"id":"${crypto.randomUUID()}"`) },
            ];
      expect(forged.every((delivery) => delivery.body !== real!.body || JSON.stringify(delivery.headers) !== JSON.stringify(real!.headers))).toBe(true);
      for (const delivery of forged) {
        const answer = await deliver(j, delivery);
        expect(answer.status, `${j}: ${JSON.stringify(answer.body)}`).toBe(401);
        expect(answer.body).toMatchObject({ error: { code: 'invalid_signature' } });
      }
      // The other jurisdiction's provider path is not this one's, nor an encoded one; a huge body is refused unread.
      expect((await call(`/api/payments/webhooks/${PROVIDER[j === 'us' ? 'sa' : 'us']}`, { jurisdiction: j, body: real!.body, headers: real!.headers })).status).toBe(404);
      for (const path of [`${PROVIDER[j]}%2f`, `%2f${PROVIDER[j]}`, `${PROVIDER[j]}%00`, `${PROVIDER[j]}%ff`]) {
        const answer = await call(`/api/payments/webhooks/${path}`, { jurisdiction: j, body: real!.body, headers: real!.headers });
        expect(answer.status, path).toBeGreaterThanOrEqual(400);
        expect(answer.status, path).toBeLessThan(500);
        expect(answer.body, path).toMatchObject({ error: { code: expect.any(String) } });
      }
      expect((await call(`/api/payments/webhooks/${PROVIDER[j]}`, { jurisdiction: j, body: `{"pad":"${'x'.repeat(300 * 1024)}"}`, headers: real!.headers })).body).toMatchObject({ error: { code: 'payload_too_large' } });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await orderOf(j, learner, order.body.id)).body.status).toBe('pending');
      expect(await withDatabase(j, async (db) => (await db.select().from(paymentEvents).where(eq(paymentEvents.eventId, real!.eventId))).length)).toBe(0);
    }
  }, 90_000);

  it('applies the same webhooks delivered 5 times and out of order once: one payment, one refund, access ended', async () => {
    const course = await pricedCourse('us', { us: 4_200 });
    const learner = await signedInAs('learner');
    const order = await checkout('us', learner, course.id);
    const checkoutId = await checkoutIdOf('us', order.body.id);
    const { paymentId } = await pay(checkoutId, CARDS.us.paid);
    // A refund made at the provider's dashboard: its webhook may arrive first.
    const refund = await sandbox('/v1/refunds', {
      method: 'POST',
      headers: { authorization: `Bearer ${settings('us').PAYMENT_SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payment_intent: paymentId ?? '' }),
    });
    expect(refund.status).toBe(200);
    const held = await deliveries('us', checkoutId);
    const paid = held.find((d) => d.type === 'checkout.session.completed')!;
    const refunded = held.find((d) => d.type === 'refund.created')!;
    expect(refunded).toBeDefined();
    expect((await deliver('us', refunded)).status).toBe(200);
    const answers = await Promise.all([...Array.from({ length: 5 }, () => deliver('us', paid)), ...Array.from({ length: 4 }, () => deliver('us', refunded))]);
    expect(answers.map((answer) => answer.status)).toEqual(Array(9).fill(200));
    await settled('us', learner, order.body.id, 'refunded');
    const ledger = await withDatabase('us', async (db) => {
      const paymentRows = await db.select().from(payments).where(eq(payments.orderId, order.body.id));
      const refundRows = paymentRows[0] ? await db.select().from(refunds).where(eq(refunds.paymentId, paymentRows[0].id)) : [];
      const applied = await db.select().from(paymentEvents).where(sql`${paymentEvents.eventId} in (${paid.eventId}, ${refunded.eventId})`);
      const [entitlement] = await db.select().from(entitlements).where(and(eq(entitlements.userId, learner.user.id), eq(entitlements.courseId, course.id)));
      return { payments: paymentRows.length, refunds: refundRows.map((row) => row.amountMinor), applied: applied.length, revoked: entitlement?.revokedAt !== null };
    });
    expect(ledger).toEqual({ payments: 1, refunds: [4_200], applied: 2, revoked: true });
    expect((await watch('us', learner, course.paidVideo)).status).toBe(403);
  }, 90_000);

  it('finds a lost webhook by reconciliation after 15 minutes', async () => {
    const course = await pricedCourse('us', { us: 3_100 });
    const learner = await signedInAs('learner');
    const order = await checkout('us', learner, course.id);
    const checkoutId = await checkoutIdOf('us', order.body.id);
    expect((await pay(checkoutId, CARDS.us.paid, false)).outcome).toBe('paid');
    expect((await deliveries('us', checkoutId)).map((d) => d.state)).toEqual(['lost']);
    // Not yet 15 minutes: reconciliation leaves it alone.
    await reconcilePayments(env);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await orderOf('us', learner, order.body.id)).body.status).toBe('pending');
    await withDatabase('us', (db) => db.update(orders).set({ createdAt: sql`now() - interval '16 minutes'` }).where(eq(orders.id, order.body.id)));
    expect((await reconcilePayments(env)).found).toBeGreaterThanOrEqual(1);
    expect(await settled('us', learner, order.body.id, 'paid')).toMatchObject({ paymentId: expect.any(String) });
    expect((await watch('us', learner, course.paidVideo)).status).toBe(200);
  }, 90_000);

  it('lets an admin refund (access ends at once, the webhook after changes nothing) and grant a course; the ledger equals its rows', async () => {
    const instructor = await signedInAs('instructor');
    const course = await pricedCourse('us', { us: 1 }, instructor);
    const second = await pricedCourse('us', { us: 9_999_999 }, instructor);
    const [learner, other, admin] = await Promise.all([signedInAs('learner'), signedInAs('learner'), signedInAs('admin')]);
    const { order, checkoutId } = await buy('us', learner, course.id);
    const big = await buy('us', other, second.id);
    expect([order.amountMinor, big.order.amountMinor]).toEqual([1, 9_999_999]);
    const progress = () => call(`/api/lessons/${course.paidLesson}/progress`, { method: 'PUT', token: learner.accessToken, json: { positionSeconds: 5, durationSeconds: 60 } });
    expect((await progress()).status).toBe(200);

    expect((await call(`/api/orders/${order.id}/refund`, { method: 'POST', token: learner.accessToken })).status).toBe(403);
    const refunded = await call<OrderView>(`/api/orders/${order.id}/refund`, { method: 'POST', token: admin.accessToken });
    expect(refunded.body).toMatchObject({ status: 'refunded', refundedMinor: 1 });
    expect((await progress()).body).toMatchObject({ error: { code: 'not_enrolled' } });
    expect((await watch('us', learner, course.paidVideo)).status).toBe(403);
    expect((await call(`/api/orders/${order.id}/refund`, { method: 'POST', token: admin.accessToken })).body).toMatchObject({ error: { code: 'not_refundable' } });
    // The provider's refund webhook arrives later: still one refund.
    const late = (await deliveries('us', checkoutId)).find((d) => d.type === 'refund.created');
    expect((await deliver('us', late!)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    // A grant gives access without an order; withdrawing it ends it.
    expect((await call(`/api/courses/${course.id}/grants`, { token: admin.accessToken, json: { email: learner.user.email } })).status).toBe(204);
    expect((await watch('us', learner, course.paidVideo)).status).toBe(200);
    expect((await call(`/api/courses/${course.id}/grants/${learner.user.id}`, { method: 'DELETE', token: admin.accessToken })).status).toBe(204);
    expect((await watch('us', learner, course.paidVideo)).status).toBe(403);

    const ledger = await call<{ rows: Array<{ key: string; payments: number; paidMinor: number; refunds: number; refundedMinor: number; netMinor: number }> }>('/api/payments/ledger?by=course', { token: instructor.accessToken });
    const rows = Object.fromEntries(ledger.body.rows.map((row) => [row.key, row]));
    expect(rows[course.id]).toMatchObject({ payments: 1, paidMinor: 1, refunds: 1, refundedMinor: 1, netMinor: 0 });
    expect(rows[second.id]).toMatchObject({ payments: 1, paidMinor: 9_999_999, refunds: 0, refundedMinor: 0, netMinor: 9_999_999 });
    const byInstructor = await call<{ rows: Array<{ key: string; paidMinor: number; netMinor: number }> }>('/api/payments/ledger?by=instructor', { token: admin.accessToken });
    const sums = await withDatabase('us', (db) =>
      db.execute<{ paid: number; refunded: number }>(sql`select coalesce(sum(p.amount_minor), 0)::int as paid, (select coalesce(sum(r.amount_minor), 0)::int from refunds r join payments p2 on p2.id = r.payment_id join orders o2 on o2.id = p2.order_id join courses c2 on c2.id = o2.course_id where c2.instructor_id = ${instructor.user.id}) as refunded from payments p join orders o on o.id = p.order_id join courses c on c.id = o.course_id where c.instructor_id = ${instructor.user.id}`),
    );
    expect(byInstructor.body.rows.find((row) => row.key === instructor.user.id)).toMatchObject({ paidMinor: sums.rows[0]?.paid, netMinor: (sums.rows[0]?.paid ?? 0) - (sums.rows[0]?.refunded ?? 0) });
  }, 120_000);

  it('takes prices in whole minor units per jurisdiction, replicates them, and sells only where priced', async () => {
    const instructor = await signedInAs('instructor');
    const course = await publishedCourse(instructor, {}, 1);
    const price = (json: unknown) => call(`/api/courses/${course.course.id}/pricing`, { method: 'PUT', token: instructor.accessToken, json });
    for (const bad of [{ isPaid: true, prices: { us: 19.99 } }, { isPaid: true, prices: { us: 0 } }, { isPaid: true, prices: { us: -5 } }, { isPaid: true, prices: { xx: 100 } }, { isPaid: false, prices: { us: 100 } }, { isPaid: true, prices: { us: 10_000_001 } }]) {
      const answer = await price(bad);
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.body).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect((await call<CourseDetail>(`/api/courses/${course.course.id}`)).body).toMatchObject({ isPaid: false, prices: [] });
    // Priced in us only: sa shows it paid and does not sell it.
    expect((await price({ isPaid: true, prices: { us: 1_234 } })).status).toBe(200);
    const replica = await eventually(async () => {
      const answer = await call<CourseDetail & { offer: string }>(`/api/courses/${course.course.id}`, { jurisdiction: 'sa' });
      return answer.status === 200 && answer.body.isPaid && answer.body;
    }, 30_000, 'the price reaching sa');
    expect(replica).toMatchObject({ offer: 'not_sold', prices: [{ jurisdiction: 'us', currency: 'USD', amountMinor: 1_234 }] });
    const saLearner = await signedInAs('learner', 'sa');
    expect((await checkout('sa', saLearner, course.course.id)).body).toMatchObject({ error: { code: 'not_for_sale' } });
    expect((await price({ isPaid: true, prices: { us: 1_234, sa: 4_999 } })).status).toBe(200);
    await eventually(async () => (await call<CourseDetail>(`/api/courses/${course.course.id}`, { jurisdiction: 'sa' })).body.prices.length === 2, 30_000, 'the sa price reaching sa');
    const sold = await checkout('sa', saLearner, course.course.id);
    expect(sold.status, JSON.stringify(sold.body)).toBe(201);
    expect(sold.body).toMatchObject({ currency: 'SAR', amountMinor: 4_999, provider: 'moyasar' });
    expect((await call<{ offer: string }>(`/api/courses/${course.course.id}`, { jurisdiction: 'sa' })).body.offer).toBe('buy');
  }, 90_000);
});
