import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { NeonDatabase } from 'drizzle-orm/neon-serverless';
import { jurisdictionById } from '../../../contracts/jurisdictions.ts';
import { decimalAmount, includedTax, zatcaQr } from '../../../contracts/payments.ts';
import { coursePrices, courses, enrollments, entitlements, orders, paymentEvents, payments, refunds, users } from '../../../db/schema.ts';
import type { PaymentEvent } from '../../lib/contracts.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { RefusedMessage } from '../../lib/queue.ts';
import { findUserByEmail } from '../identity/accounts.ts';
import type { AccessClaims } from '../identity/tokens.ts';
import type { PaymentGateway } from './providers.ts';
import type { OrderView, Receipt } from './schemas.ts';

type Db = NeonDatabase;
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Order = typeof orders.$inferSelect;
type Caller = Pick<AccessClaims, 'sub' | 'role'>;

/** Paid courses play only for learners entitled to them: a paid order or an admin's grant, not revoked. */
export async function isEntitled(db: Pick<Db, 'select'>, userId: string, courseId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: entitlements.userId })
    .from(entitlements)
    .where(and(eq(entitlements.userId, userId), eq(entitlements.courseId, courseId), isNull(entitlements.revokedAt)))
    .limit(1);
  return row !== undefined;
}

/** Entitles and enrolls: a purchase (its order) or an admin's grant. A later grant or purchase lifts a revocation. */
async function entitle(tx: Tx, userId: string, courseId: string, source: { orderId: string } | { grantedBy: string }): Promise<void> {
  const values = { source: 'orderId' in source ? ('purchase' as const) : ('grant' as const), orderId: 'orderId' in source ? source.orderId : null, grantedBy: 'grantedBy' in source ? source.grantedBy : null, revokedAt: null, createdAt: new Date() };
  await tx.insert(entitlements).values({ userId, courseId, ...values }).onConflictDoUpdate({ target: [entitlements.userId, entitlements.courseId], set: values });
  await tx.insert(enrollments).values({ userId, courseId }).onConflictDoNothing();
}

export async function grantCourse(db: Db, courseId: string, email: string, admin: string): Promise<void> {
  const user = await findUserByEmail(db, email);
  if (!user) throw notFound(`account with this email in this jurisdiction`);
  const [course] = await db.select({ id: courses.id }).from(courses).where(eq(courses.id, courseId)).limit(1);
  if (!course) throw notFound(`course "${courseId}"`);
  await db.transaction((tx) => entitle(tx, user.id, courseId, { grantedBy: admin }));
}

/** Withdraws an admin's grant; access bought with an order stays (a refund ends that). */
export async function revokeGrant(db: Db, courseId: string, userId: string): Promise<void> {
  await db
    .update(entitlements)
    .set({ revokedAt: new Date() })
    .where(and(eq(entitlements.userId, userId), eq(entitlements.courseId, courseId), eq(entitlements.source, 'grant'), isNull(entitlements.revokedAt)));
}

/** How a course is offered to this viewer here: free, theirs, to buy, or not sold in this jurisdiction. */
export type Offer = 'free' | 'owned' | 'buy' | 'not_sold';
export async function offerOf(db: Db, course: { id: string; isPaid: boolean; prices: Array<{ jurisdiction: string }> }, jurisdiction: string, userId: string | undefined): Promise<Offer> {
  if (!course.isPaid) return 'free';
  if (userId && (await isEntitled(db, userId, course.id))) return 'owned';
  return course.prices.some((price) => price.jurisdiction === jurisdiction) ? 'buy' : 'not_sold';
}

/** An order as its learner and the admin pages see it. */
async function orderViews(db: Db, where: ReturnType<typeof and>, limit: number): Promise<OrderView[]> {
  const rows = await db
    .select({
      order: orders,
      courseTitle: courses.title,
      courseSlug: courses.slug,
      paymentId: payments.id,
      refundedMinor: sql<number>`coalesce((select sum(${refunds.amountMinor}) from ${refunds} where ${refunds.paymentId} = ${payments.id}), 0)::int`,
    })
    .from(orders)
    .innerJoin(courses, eq(courses.id, orders.courseId))
    .leftJoin(payments, eq(payments.orderId, orders.id))
    .where(where)
    .orderBy(desc(orders.createdAt))
    .limit(limit);
  return rows.map(({ order, ...row }) => ({
    id: order.id,
    courseId: order.courseId,
    status: order.status,
    provider: order.provider,
    currency: order.currency,
    amountMinor: order.amountMinor,
    taxMinor: order.taxMinor,
    checkoutUrl: order.status === 'pending' ? order.checkoutUrl : null,
    lastFailure: order.lastFailure,
    createdAt: order.createdAt.toISOString(),
    ...row,
  }));
}

export async function orderView(db: Db, orderId: string, caller: Caller): Promise<OrderView> {
  const [view] = await orderViews(db, and(eq(orders.id, orderId), caller.role === 'admin' ? undefined : eq(orders.userId, caller.sub)), 1);
  if (!view) throw notFound(`order "${orderId}"`);
  return view;
}

export const listOrders = (db: Db, filter: { userId?: string; status?: Order['status'] }, limit = 100) =>
  orderViews(db, and(filter.userId ? eq(orders.userId, filter.userId) : undefined, filter.status ? eq(orders.status, filter.status) : undefined), limit);

/**
 * The order of a purchase attempt: the same idempotency key from the same learner answers the same
 * order (`created: false`); a pending one for the same course, at the same price, is reused too (a
 * second tab). The price and its tax are fixed at this moment.
 */
export async function placeOrder(db: Db, input: { userId: string; courseId: string; idempotencyKey: string; jurisdiction: string }): Promise<{ order: Order; created: boolean }> {
  const { userId, courseId, idempotencyKey, jurisdiction } = input;
  const [replay] = await db.select().from(orders).where(and(eq(orders.userId, userId), eq(orders.idempotencyKey, idempotencyKey))).limit(1);
  if (replay) {
    if (replay.courseId !== courseId) throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used for another course: make a new key for each purchase.');
    return { order: replay, created: false };
  }
  const [course] = await db.select({ status: courses.status, isPaid: courses.isPaid }).from(courses).where(eq(courses.id, courseId)).limit(1);
  if (!course || course.status !== 'published') throw notFound(`published course "${courseId}"`);
  const [price] = await db.select().from(coursePrices).where(and(eq(coursePrices.courseId, courseId), eq(coursePrices.jurisdiction, jurisdiction))).limit(1);
  if (!course.isPaid) throw new AppError('not_for_sale', 'This course is free: enroll in it instead.');
  if (!price) throw new AppError('not_for_sale', 'This course is not sold in this jurisdiction.');
  if (await isEntitled(db, userId, courseId)) throw new AppError('already_owned', 'You already have this course.');
  const [open] = await db
    .select()
    .from(orders)
    .where(and(eq(orders.userId, userId), eq(orders.courseId, courseId), eq(orders.status, 'pending'), eq(orders.amountMinor, price.amountMinor), sql`${orders.createdAt} > now() - interval '30 minutes'`))
    .orderBy(desc(orders.createdAt))
    .limit(1);
  if (open) return { order: open, created: false };
  const rate = jurisdictionById(jurisdiction)?.payments.tax?.rateBasisPoints ?? 0;
  const provider = jurisdictionById(jurisdiction)?.payments.provider ?? 'stripe';
  const [order] = await db
    .insert(orders)
    .values({ userId, courseId, idempotencyKey, provider, currency: price.currency, amountMinor: price.amountMinor, taxMinor: includedTax(price.amountMinor, rate) })
    .onConflictDoNothing()
    .returning();
  // A concurrent request with the same key won the insert: answer its order.
  if (!order) return placeOrder(db, input);
  return { order, created: true };
}

/**
 * The provider's hosted page for an order, made once: the row is locked while the provider is asked,
 * so a concurrent request for the same order waits and then reads the page made.
 */
export async function openCheckout(db: Db, gateway: PaymentGateway, order: Order, describe: { productName: string; customerEmail: string; returnUrl: string }): Promise<Order> {
  if (order.checkoutUrl || order.status !== 'pending') return order;
  return db.transaction(async (tx) => {
    const [locked] = await tx.select().from(orders).where(eq(orders.id, order.id)).for('update');
    if (!locked || locked.checkoutUrl || locked.status !== 'pending') return locked ?? order;
    const back = (state: string) => `${describe.returnUrl}${describe.returnUrl.includes('?') ? '&' : '?'}order=${order.id}&checkout=${state}`;
    const checkout = await gateway.createCheckout({
      orderId: order.id,
      amountMinor: order.amountMinor,
      currency: order.currency,
      productName: describe.productName,
      customerEmail: describe.customerEmail,
      successUrl: back('returned'),
      cancelUrl: back('canceled'),
    });
    const [opened] = await tx.update(orders).set({ providerCheckoutId: checkout.checkoutId, checkoutUrl: checkout.url, updatedAt: new Date() }).where(eq(orders.id, order.id)).returning();
    return opened ?? locked;
  });
}

/**
 * Applies one provider event, once: its id is recorded in the same transaction, so a redelivery
 * (or a reconciliation that found the same payment) changes nothing. A refund that arrives before
 * its payment fails and is retried by the queue until the payment is in.
 */
export async function applyPaymentEvent(db: Db, event: PaymentEvent): Promise<'applied' | 'duplicate'> {
  return db.transaction(async (tx) => {
    const [fresh] = await tx.insert(paymentEvents).values({ provider: event.provider, eventId: event.eventId, type: event.type }).onConflictDoNothing().returning();
    if (!fresh) return 'duplicate';
    const { change, provider } = event;
    if (change.kind === 'refunded') {
      await recordRefund(tx, provider, change);
      return 'applied';
    }
    const [order] = await tx.select().from(orders).where(and(eq(orders.provider, provider), eq(orders.providerCheckoutId, change.checkoutId))).for('update');
    // Not yet known: the checkout's row may still be committing; the queue retries, then dead-letters.
    if (!order) throw new Error(`no order has ${provider} checkout "${change.checkoutId}" (yet)`);
    if (change.kind === 'declined') {
      if (order.status === 'pending') await tx.update(orders).set({ lastFailure: change.reason, updatedAt: new Date() }).where(eq(orders.id, order.id));
    } else if (change.kind === 'expired') {
      if (order.status === 'pending') await tx.update(orders).set({ status: 'expired', updatedAt: new Date() }).where(eq(orders.id, order.id));
    } else {
      if (change.amountMinor !== order.amountMinor || change.currency !== order.currency) {
        throw new RefusedMessage(`${provider} reports ${change.amountMinor} ${change.currency} paid for order ${order.id}, which costs ${order.amountMinor} ${order.currency}: not granted; an operator must look.`);
      }
      const [known] = await tx.select({ providerPaymentId: payments.providerPaymentId }).from(payments).where(eq(payments.orderId, order.id)).limit(1);
      // The same payment reported again (a webhook after reconciliation): already applied.
      if (known?.providerPaymentId === change.paymentId) return 'applied';
      if (known) throw new RefusedMessage(`${provider} reports a second payment (${change.paymentId}) for order ${order.id}, already paid by ${known.providerPaymentId}: refund one at the provider.`);
      await tx
        .insert(payments)
        .values({ orderId: order.id, provider, providerPaymentId: change.paymentId, currency: change.currency, amountMinor: change.amountMinor, taxMinor: order.taxMinor, method: change.method, paidAt: new Date(change.at) });
      if (order.status !== 'refunded') {
        await tx.update(orders).set({ status: 'paid', lastFailure: null, updatedAt: new Date() }).where(eq(orders.id, order.id));
        await entitle(tx, order.userId, order.courseId, { orderId: order.id });
      }
    }
    return 'applied';
  });
}

/** A refund, once by its provider id; once the payment is refunded whole, the order is refunded and its access ends. */
async function recordRefund(tx: Tx, provider: string, change: Extract<PaymentEvent['change'], { kind: 'refunded' }>): Promise<void> {
  const [payment] = await tx.select().from(payments).where(and(eq(payments.provider, provider), eq(payments.providerPaymentId, change.paymentId))).for('update');
  if (!payment) throw new Error(`refund of ${provider} payment "${change.paymentId}" before the payment itself: retried`);
  await tx.insert(refunds).values({ paymentId: payment.id, provider, providerRefundId: change.refundId, amountMinor: change.amountMinor }).onConflictDoNothing();
  const [total] = await tx.select({ refunded: sql<number>`coalesce(sum(${refunds.amountMinor}), 0)::int` }).from(refunds).where(eq(refunds.paymentId, payment.id));
  if ((total?.refunded ?? 0) < payment.amountMinor) return;
  await tx.update(orders).set({ status: 'refunded', updatedAt: new Date() }).where(eq(orders.id, payment.orderId));
  await tx.update(entitlements).set({ revokedAt: new Date() }).where(and(eq(entitlements.orderId, payment.orderId), isNull(entitlements.revokedAt)));
}

/** An admin's refund of a paid order, whole: asked of the provider, then applied at once (its webhook later changes nothing). */
export async function refundOrder(db: Db, gateway: PaymentGateway, orderId: string, traceparent: string): Promise<void> {
  const [row] = await db.select({ order: orders, payment: payments }).from(orders).leftJoin(payments, eq(payments.orderId, orders.id)).where(eq(orders.id, orderId)).limit(1);
  if (!row) throw notFound(`order "${orderId}"`);
  if (row.order.status !== 'paid' || !row.payment) throw new AppError('not_refundable', `Only a paid order can be refunded; this one is ${row.order.status}.`);
  const change = await gateway.refund(row.payment.providerPaymentId, row.payment.amountMinor, `refund-${orderId}`);
  await applyPaymentEvent(db, { v: 1, traceparent, provider: gateway.provider, eventId: `refund:${change.refundId}`, type: 'admin.refund', change });
}

/** Orders still pending after `olderThanSeconds` with a checkout at the provider: the ones whose webhook may be lost. */
export async function stalePendingOrders(db: Db, olderThanSeconds: number, limit = 100): Promise<Order[]> {
  return db
    .select()
    .from(orders)
    .where(and(eq(orders.status, 'pending'), sql`${orders.providerCheckoutId} is not null`, lt(orders.createdAt, sql`now() - make_interval(secs => ${olderThanSeconds})`)))
    .orderBy(orders.createdAt)
    .limit(limit);
}

/** A payment's receipt; a simplified tax invoice with the ZATCA QR code where the seller has a VAT number. */
export async function receiptOf(db: Db, paymentId: string, caller: Caller, jurisdiction: string): Promise<Receipt> {
  const [row] = await db
    .select({ payment: payments, order: orders, buyer: users, courseTitle: courses.title })
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .innerJoin(users, eq(users.id, orders.userId))
    .innerJoin(courses, eq(courses.id, orders.courseId))
    .where(and(eq(payments.id, paymentId), caller.role === 'admin' ? undefined : eq(orders.userId, caller.sub)))
    .limit(1);
  if (!row) throw notFound(`payment "${paymentId}"`);
  const { payment, order, buyer } = row;
  const [refunded] = await db.select({ sum: sql<number>`coalesce(sum(${refunds.amountMinor}), 0)::int` }).from(refunds).where(eq(refunds.paymentId, payment.id));
  const { seller, tax } = jurisdictionById(jurisdiction)?.payments ?? { seller: { name: '', vatNumber: null }, tax: null };
  const issuedAt = payment.paidAt.toISOString();
  return {
    paymentId: payment.id,
    receiptNumber: payment.receiptNumber,
    kind: seller.vatNumber ? 'simplified_tax_invoice' : 'receipt',
    issuedAt,
    seller,
    buyer: { name: buyer.displayName, email: buyer.email },
    course: { id: order.courseId, title: row.courseTitle },
    currency: payment.currency,
    totalMinor: payment.amountMinor,
    taxMinor: payment.taxMinor,
    taxRateBasisPoints: tax?.rateBasisPoints ?? 0,
    method: payment.method,
    refundedMinor: refunded?.sum ?? 0,
    zatcaQr: seller.vatNumber
      ? zatcaQr({ sellerName: seller.name, vatNumber: seller.vatNumber, timestamp: issuedAt, total: decimalAmount(payment.amountMinor, payment.currency), vat: decimalAmount(payment.taxMinor, payment.currency) })
      : null,
  };
}

/**
 * Money per course or per instructor, summed from the payment and refund rows in one query (never a
 * running total that could drift from them).
 */
export async function ledgerTotals(db: Db, by: 'course' | 'instructor', caller: Caller) {
  const key = by === 'course' ? sql<string>`${courses.id}::text` : sql<string>`coalesce(${courses.instructorId}::text, '')`;
  const name = by === 'course' ? sql<string>`min(${courses.title})` : sql<string>`min(${courses.instructorName})`;
  const refunded = sql`(select coalesce(sum(${refunds.amountMinor}), 0) from ${refunds} where ${refunds.paymentId} = ${payments.id})`;
  const rows = await db
    .select({
      key,
      name,
      currency: payments.currency,
      payments: sql<number>`count(*)::int`,
      paidMinor: sql<number>`sum(${payments.amountMinor})::int`,
      taxMinor: sql<number>`sum(${payments.taxMinor})::int`,
      refunds: sql<number>`(sum((select count(*) from ${refunds} where ${refunds.paymentId} = ${payments.id})))::int`,
      refundedMinor: sql<number>`sum(${refunded})::int`,
    })
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .innerJoin(courses, eq(courses.id, orders.courseId))
    .where(caller.role === 'admin' ? undefined : eq(courses.instructorId, caller.sub))
    .groupBy(key, payments.currency)
    .orderBy(key);
  return rows.map((row) => ({ ...row, netMinor: row.paidMinor - row.refundedMinor }));
}
