import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { courses } from '../../../db/schema.ts';
import { accountGone, AppError, notFound } from '../../lib/errors.ts';
import { CourseDetail, CourseIdParam } from '../catalog/schemas.ts';
import { findCourse } from '../catalog/courses.ts';
import type { ApiEnv } from '../context.ts';
import { findUser } from '../identity/accounts.ts';
import { requireRole, requireUser } from '../middleware/auth.ts';
import { documented } from '../openapi.ts';
import { setPricing } from '../catalog/pricing.ts';
import { grantCourse, ledgerTotals, listOrders, openCheckout, orderView, placeOrder, receiptOf, refundOrder, revokeGrant } from '../payments/ledger.ts';
import { Grant, GrantParams, IdempotencyKey, Ledger, LedgerQuery, OrderIdParam, OrderList, OrderQuery, OrderView, PaymentIdParam, Pricing, ProviderParam, Receipt, WebhookReceived } from '../payments/schemas.ts';
import { limitBody, valid } from '../validation.ts';
import { editCourse } from './courses.ts';

/** Buying a course, its prices, and an admin's grants: under `/api/courses/:id`. */
export const coursePaymentRoutes = new Hono<ApiEnv>()
  .use(limitBody(8 * 1024))
  .put(
    '/:id/pricing',
    documented({
      summary: 'Make a course free, or paid with a price per jurisdiction (minor units of its currency, tax included)',
      tags: ['payments'],
      access: 'signed-in',
      answers: { 200: CourseDetail },
      refuses: ['invalid_request', 'not_found', 'forbidden', 'replica_read_only', 'cache_unavailable', 'payload_too_large'],
    }),
    requireUser, valid('param', CourseIdParam), valid('json', Pricing), async (c) => {
    const { id } = c.req.valid('param');
    const { db } = c.var.services.database();
    await editCourse(c, id, () => setPricing(db, id, c.req.valid('json')));
    return c.json(await findCourse(db, id));
  })
  .post(
    '/:id/checkout',
    documented({
      summary: 'Buy a course: an order and the payment provider’s hosted page (the same Idempotency-Key answers the same order)',
      tags: ['payments'],
      access: 'signed-in',
      answers: { 201: OrderView, 200: OrderView },
      refuses: ['invalid_request', 'not_found', 'not_for_sale', 'already_owned', 'idempotency_key_reused', 'payment_provider_error', 'payload_too_large'],
    }),
    requireUser, valid('param', CourseIdParam), valid('header', IdempotencyKey), async (c) => {
    const { id } = c.req.valid('param');
    const { config, database, payments } = c.var.services;
    const { db } = database();
    const buyer = await findUser(db, c.var.user.sub);
    if (!buyer) throw accountGone();
    const { order, created } = await placeOrder(db, { userId: buyer.id, courseId: id, idempotencyKey: c.req.valid('header')['idempotency-key'], jurisdiction: config.JURISDICTION });
    const [course] = await db.select({ title: courses.title, slug: courses.slug }).from(courses).where(eq(courses.id, id)).limit(1);
    if (!course) throw notFound(`course "${id}"`);
    const origin = config.JURISDICTION_URLS[config.JURISDICTION] ?? new URL(c.req.url).origin;
    await openCheckout(db, payments(), order, { productName: course.title, customerEmail: buyer.email, returnUrl: `${origin}/courses/${encodeURIComponent(course.slug)}` });
    return c.json(await orderView(db, order.id, c.var.user), created ? 201 : 200);
  })
  .post(
    '/:id/grants',
    documented({ summary: 'Give a learner of this jurisdiction a course without payment (admins)', tags: ['payments'], access: 'signed-in', answers: { 204: null }, refuses: ['invalid_request', 'not_found', 'forbidden', 'payload_too_large'] }),
    requireUser, requireRole('admin'), valid('param', CourseIdParam), valid('json', Grant), async (c) => {
    await grantCourse(c.var.services.database().db, c.req.valid('param').id, c.req.valid('json').email, c.var.user.sub);
    return c.body(null, 204);
  })
  .delete(
    '/:id/grants/:userId',
    documented({ summary: 'Withdraw an admin’s grant (a purchase stays)', tags: ['payments'], access: 'signed-in', answers: { 204: null }, refuses: ['invalid_request', 'forbidden'] }),
    requireUser, requireRole('admin'), valid('param', GrantParams), async (c) => {
    const { id, userId } = c.req.valid('param');
    await revokeGrant(c.var.services.database().db, id, userId);
    return c.body(null, 204);
  });

export const ordersRoutes = new Hono<ApiEnv>()
  .use(requireUser, limitBody(4 * 1024))
  .get(
    '/',
    documented({ summary: 'Every order of this jurisdiction, newest first (admins)', tags: ['payments'], access: 'signed-in', answers: { 200: OrderList }, refuses: ['invalid_request', 'forbidden'] }),
    requireRole('admin'), valid('query', OrderQuery), async (c) => {
    const { status, limit } = c.req.valid('query');
    return c.json({ items: await listOrders(c.var.services.database().db, { status }, limit) });
  })
  .get(
    '/:id',
    documented({ summary: 'An order: its state, and its payment once paid (its buyer or an admin)', tags: ['payments'], access: 'signed-in', answers: { 200: OrderView }, refuses: ['invalid_request', 'not_found'] }),
    valid('param', OrderIdParam), async (c) => c.json(await orderView(c.var.services.database().db, c.req.valid('param').id, c.var.user)),
  )
  .post(
    '/:id/refund',
    documented({
      summary: 'Refund a paid order whole at the provider; the learner’s access ends (admins)',
      tags: ['payments'],
      access: 'signed-in',
      answers: { 200: OrderView },
      refuses: ['invalid_request', 'not_found', 'forbidden', 'not_refundable', 'payment_provider_error'],
    }),
    requireRole('admin'), valid('param', OrderIdParam), async (c) => {
    const { id } = c.req.valid('param');
    const { database, payments } = c.var.services;
    const { db } = database();
    await refundOrder(db, payments(), id, c.var.trace.traceparent);
    return c.json(await orderView(db, id, c.var.user));
  });

export const paymentsRoutes = new Hono<ApiEnv>()
  .get(
    '/ledger',
    documented({
      summary: 'Money received and refunded per course or per instructor, summed from the ledger’s rows (admins; instructors for their courses)',
      tags: ['payments'],
      access: 'signed-in',
      answers: { 200: Ledger },
      refuses: ['invalid_request', 'forbidden'],
    }),
    requireUser, requireRole('admin', 'instructor'), valid('query', LedgerQuery), async (c) => {
    const { by } = c.req.valid('query');
    return c.json({ by, rows: await ledgerTotals(c.var.services.database().db, by, c.var.user) });
  })
  .get(
    '/:id/receipt',
    documented({ summary: 'A payment’s receipt; in Saudi Arabia a simplified tax invoice with its ZATCA QR code (its buyer or an admin)', tags: ['payments'], access: 'signed-in', answers: { 200: Receipt }, refuses: ['invalid_request', 'not_found'] }),
    requireUser, valid('param', PaymentIdParam), async (c) => {
    const { config, database } = c.var.services;
    return c.json(await receiptOf(database().db, c.req.valid('param').id, c.var.user, config.JURISDICTION));
  })
  .post(
    '/webhooks/:provider',
    documented({
      summary: 'The payment provider’s webhook: verified by its signature, then queued; applied once per event id',
      tags: ['payments'],
      access: 'public',
      answers: { 200: WebhookReceived },
      refuses: ['not_found', 'invalid_signature', 'payload_too_large'],
    }),
    limitBody(256 * 1024), valid('param', ProviderParam), async (c) => {
    // Read first: an answer sent while the body is still arriving leaves workerd reading a closed request.
    const body = await c.req.text();
    const gateway = c.var.services.payments();
    if (c.req.valid('param').provider !== gateway.provider) throw notFound(`${c.req.valid('param').provider} account in this jurisdiction`);
    const event = await gateway.readWebhook(body, c.req.raw.headers);
    // Events the platform does not use are acknowledged, or the provider would send them again.
    if (event) {
      await c.env.PAYMENT_EVENTS.send({ v: 1, traceparent: c.var.trace.traceparent, provider: gateway.provider, ...event }, { contentType: 'json' }).catch((error: unknown) => {
        // Not acknowledged: the provider retries the delivery.
        throw new AppError('service_unavailable', `The webhook could not be queued (${String(error)}); deliver it again.`);
      });
    }
    return c.json({ received: true as const });
  });
