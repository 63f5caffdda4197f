import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPaymentSandbox, type PaymentSandbox, type SandboxAccount } from '../../scripts/services/payment-sandbox.ts';

const ACCOUNTS: SandboxAccount[] = [
  { jurisdiction: 'us', provider: 'stripe', secretKey: 'sk_test_us', webhookSecret: 'whsec_us_secret' },
  { jurisdiction: 'eu', provider: 'stripe', secretKey: 'sk_test_eu', webhookSecret: 'whsec_eu_secret' },
  { jurisdiction: 'sa', provider: 'moyasar', secretKey: 'sk_test_sa', webhookSecret: 'moyasar-sa-token' },
];

interface Delivery { eventId: string; type: string; checkoutId: string; headers: Record<string, string>; body: string; state: string; attempts: number }
interface PayAnswer { outcome: string; paymentId?: string; eventIds: string[] }

describe('payment sandbox', () => {
  let sandbox: PaymentSandbox;
  const stripeFor = (key: string) =>
    new Stripe(key, { host: '127.0.0.1', port: Number(new URL(sandbox.url).port), protocol: 'http', httpClient: Stripe.createFetchHttpClient() });
  const outbox = async (key: string, checkout?: string): Promise<Delivery[]> => {
    const query = new URLSearchParams({ key, ...(checkout ? { checkout } : {}) });
    const answer = (await (await fetch(`${sandbox.url}/__sandbox/outbox?${query}`)).json()) as { deliveries: Delivery[] };
    return answer.deliveries;
  };
  const pay = async (id: string, body: Record<string, unknown>): Promise<PayAnswer> =>
    (await fetch(`${sandbox.url}/__sandbox/checkouts/${id}/pay`, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<PayAnswer>;
  const postForm = (path: string, form: Record<string, string>) =>
    fetch(`${sandbox.url}${path}`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
  const sessionParams = (name: string): Stripe.Checkout.SessionCreateParams => ({
    mode: 'payment',
    line_items: [{ price_data: { currency: 'usd', unit_amount: 4900, product_data: { name } }, quantity: 1 }],
    success_url: 'http://app.test/paid?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://app.test/cancelled',
    client_reference_id: 'order-1',
    metadata: { order_id: 'order-1' },
  });

  beforeAll(async () => {
    sandbox = await startPaymentSandbox({ accounts: ACCOUNTS });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  describe('Stripe', () => {
    const stripe = () => stripeFor('sk_test_us');

    it('creates an idempotent session, pays it with a signed webhook, and refunds once', async () => {
      const session = await stripe().checkout.sessions.create(sessionParams('Course A'), { idempotencyKey: 'order-1' });
      const again = await stripe().checkout.sessions.create(sessionParams('Course A'), { idempotencyKey: 'order-1' });
      expect(again.id).toBe(session.id);
      expect(session).toMatchObject({ object: 'checkout.session', status: 'open', payment_status: 'unpaid', amount_total: 4900, currency: 'usd', payment_intent: null, metadata: { order_id: 'order-1' }, client_reference_id: 'order-1' });
      expect(session.url).toBe(`${sandbox.url}/pay/stripe/${session.id}`);

      const paid = await pay(session.id, { card: '4242 4242 4242 4242' });
      expect(paid.outcome).toBe('paid');
      const [delivery] = await outbox('sk_test_us', session.id);
      expect(delivery).toMatchObject({ type: 'checkout.session.completed', state: 'held', eventId: paid.eventIds[0] });
      const event = await stripe().webhooks.constructEventAsync(delivery!.body, delivery!.headers['Stripe-Signature']!, 'whsec_us_secret');
      expect(event.type).toBe('checkout.session.completed');
      const completed = event.data.object as Stripe.Checkout.Session;
      expect(completed).toMatchObject({ id: session.id, status: 'complete', payment_status: 'paid', payment_intent: paid.paymentId });
      await expect(stripe().webhooks.constructEventAsync(delivery!.body.replace('4900', '1'), delivery!.headers['Stripe-Signature']!, 'whsec_us_secret')).rejects.toThrow();

      expect(await stripe().checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'complete', payment_status: 'paid', payment_intent: paid.paymentId });

      const refund = await stripe().refunds.create({ payment_intent: paid.paymentId! });
      expect(refund).toMatchObject({ object: 'refund', amount: 4900, currency: 'usd', status: 'succeeded', payment_intent: paid.paymentId });
      const refundEvent = (await outbox('sk_test_us', session.id)).at(-1)!;
      expect(refundEvent.type).toBe('refund.created');
      expect((await stripe().webhooks.constructEventAsync(refundEvent.body, refundEvent.headers['Stripe-Signature']!, 'whsec_us_secret')).data.object).toMatchObject({ id: refund.id });
      await expect(stripe().refunds.create({ payment_intent: paid.paymentId! })).rejects.toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });
    });

    it('declines without an event, validates, and keeps accounts apart', async () => {
      const session = await stripe().checkout.sessions.create(sessionParams('Course B'));
      expect(await pay(session.id, { card: '4000000000000002' })).toEqual({ outcome: 'declined', eventIds: [] });
      expect(await pay(session.id, { card: '4000002500003155' })).toEqual({ outcome: 'requires_authentication', eventIds: [] });
      expect(await outbox('sk_test_us', session.id)).toEqual([]);
      expect((await stripe().checkout.sessions.retrieve(session.id)).status).toBe('open');

      const bad = sessionParams('Course B');
      bad.line_items![0]!.price_data!.unit_amount = 0;
      await expect(stripe().checkout.sessions.create(bad)).rejects.toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'line_items[0][price_data][unit_amount]' });
      await expect(stripeFor('sk_test_eu').checkout.sessions.retrieve(session.id)).rejects.toMatchObject({ statusCode: 404 });
      await expect(stripeFor('sk_test_wrong').checkout.sessions.retrieve(session.id)).rejects.toMatchObject({ statusCode: 401, type: 'StripeAuthenticationError' });
    });

    it('expires a session with an event', async () => {
      const session = await stripe().checkout.sessions.create(sessionParams('Course C'));
      expect((await stripe().checkout.sessions.expire(session.id)).status).toBe('expired');
      expect((await outbox('sk_test_us', session.id)).map((d) => d.type)).toEqual(['checkout.session.expired']);
      expect(await (await fetch(session.url!)).text()).toContain('expired');
    });

    it('serves the hosted page: escaped, formatted, declines, 3-D Secure and success redirect', async () => {
      const session = await stripe().checkout.sessions.create(sessionParams('Intro <script>alert(1)</script>'));
      const pagePath = `/pay/stripe/${session.id}`;
      const html = await (await fetch(`${sandbox.url}${pagePath}`)).text();
      expect(html).toContain('$49.00');
      expect(html).toContain('Intro &#60;script&#62;alert(1)&#60;/script&#62;');
      expect(html).not.toContain('<script>');

      expect(await (await postForm(pagePath, { card: '4000 0000 0000 0002' })).text()).toContain('Your card was declined.');
      expect(await (await postForm(pagePath, { card: '4000 0025 0000 3155' })).text()).toContain('Complete authentication');
      expect(await (await postForm(pagePath, { authentication: 'fail' })).text()).toContain('We are unable to authenticate your payment method.');
      expect(await outbox('sk_test_us', session.id)).toEqual([]);

      const done = await postForm(pagePath, { card: '', test_card: '4242424242424242' });
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe(`http://app.test/paid?session=${session.id}`);
      expect((await outbox('sk_test_us', session.id)).map((d) => d.type)).toEqual(['checkout.session.completed']);
      expect(await (await fetch(`${sandbox.url}${pagePath}`)).text()).toContain('already been completed');
    });
  });

  describe('Moyasar', () => {
    const moyasar = async (method: string, path: string, body?: unknown, key = 'sk_test_sa') => {
      const response = await fetch(`${sandbox.url}${path}`, {
        method,
        headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const createInvoice = async (extra: Record<string, unknown> = {}) => {
      const { status, body } = await moyasar('POST', '/v1/invoices', { amount: 10000, currency: 'SAR', description: 'Course A', success_url: 'http://app.test/done?order=1', back_url: 'http://app.test/back', ...extra });
      expect(status).toBe(200);
      return body as { id: string; url: string; status: string };
    };
    const events = async (invoiceId: string) => (await outbox('sk_test_sa', invoiceId)).map((d) => JSON.parse(d.body) as { type: string; secret_token: string; data: Record<string, unknown> });

    it('pays an invoice, sends payment_paid, and refunds once', async () => {
      const invoice = await createInvoice();
      expect(invoice).toMatchObject({ status: 'initiated', amount: 10000, currency: 'SAR', amount_format: '100.00 SAR', payments: [], url: `${sandbox.url}/pay/moyasar/${invoice.id}` });
      const paid = await pay(invoice.id, { card: '4201320111111010' });
      expect(paid.outcome).toBe('paid');
      const [event] = await events(invoice.id);
      expect(event).toMatchObject({ type: 'payment_paid', secret_token: 'moyasar-sa-token', live: false, data: { id: paid.paymentId, amount: 10000, invoice_id: invoice.id, status: 'paid', source: { type: 'creditcard', company: 'mada', message: 'APPROVED' } } });

      const got = await moyasar('GET', `/v1/invoices/${invoice.id}`);
      expect(got.body).toMatchObject({ status: 'paid', payments: [{ id: paid.paymentId, status: 'paid' }] });

      const refunded = await moyasar('POST', `/v1/payments/${paid.paymentId}/refund`, {});
      expect(refunded.body).toMatchObject({ id: paid.paymentId, status: 'refunded', refunded: 10000 });
      expect((await events(invoice.id)).at(-1)).toMatchObject({ type: 'payment_refunded', data: { status: 'refunded', refunded: 10000 } });
      expect((await moyasar('POST', `/v1/payments/${paid.paymentId}/refund`, {})).status).toBe(400);
      expect((await moyasar('GET', `/v1/payments/${paid.paymentId}`)).body).toMatchObject({ status: 'refunded' });
    });

    it('declines with payment_failed and keeps the invoice open; validates and authenticates', async () => {
      const invoice = await createInvoice();
      expect((await pay(invoice.id, { card: '4201320000311101' })).outcome).toBe('declined');
      expect(await events(invoice.id)).toMatchObject([{ type: 'payment_failed', data: { status: 'failed', source: { message: 'INSUFFICIENT FUNDS' } } }]);
      expect((await moyasar('GET', `/v1/invoices/${invoice.id}`)).body.status).toBe('initiated');

      const invalid = await moyasar('POST', '/v1/invoices', { amount: 'ten', currency: 'SAR', description: 'x' });
      expect(invalid.status).toBe(400);
      expect(invalid.body).toMatchObject({ type: 'invalid_request_error', errors: { amount: [expect.any(String)] } });
      expect((await moyasar('GET', `/v1/invoices/${invoice.id}`, undefined, 'sk_test_wrong')).body).toMatchObject({ type: 'authentication_error' });
      expect((await moyasar('GET', `/v1/invoices/${invoice.id}`, undefined, 'sk_test_wrong')).status).toBe(401);
    });

    it('pays with STC Pay through the hosted page, after a wrong OTP', async () => {
      const invoice = await createInvoice();
      const pagePath = new URL(invoice.url).pathname;
      const html = await (await fetch(invoice.url)).text();
      expect(html).toContain('100.00 SAR');
      expect(html).toContain('Pay with STC Pay');
      expect(await (await postForm(pagePath, { method: 'stcpay', mobile: '0512345678' })).text()).toContain('Verify');
      expect(await (await postForm(pagePath, { method: 'stcpay-otp', otp: '000001' })).text()).toContain('Invalid OTP');
      expect(await (await postForm(pagePath, { method: 'stcpay', mobile: '0512345678' })).text()).toContain('Verify');
      const done = await postForm(pagePath, { method: 'stcpay-otp', otp: '123456' });
      expect(done.status).toBe(303);
      const location = new URL(done.headers.get('location')!);
      expect(location.searchParams.get('order')).toBe('1');
      expect(location.searchParams.get('status')).toBe('paid');
      const types = await events(invoice.id);
      expect(types.map((e) => e.type)).toEqual(['payment_failed', 'payment_paid']);
      expect(types[1]!.data).toMatchObject({ id: location.searchParams.get('id'), source: { type: 'stcpay', mobile: '0512345678' } });
    });
  });
});

describe('payment sandbox webhook push', () => {
  let receiver: Server;
  let sandbox: PaymentSandbox;
  const received: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(received.length === 1 ? 500 : 200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    sandbox = await startPaymentSandbox({ accounts: [{ jurisdiction: 'sa', provider: 'moyasar', secretKey: 'sk_push', webhookSecret: 'tok', webhookUrl }], retryDelaysMs: [20, 20] });
  });
  afterAll(async () => {
    await sandbox?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('retries a refused webhook until delivered, and never sends a lost one', async () => {
    const auth = { authorization: `Basic ${Buffer.from('sk_push:').toString('base64')}`, 'content-type': 'application/json' };
    const create = async () =>
      ((await (await fetch(`${sandbox.url}/v1/invoices`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: 500, currency: 'SAR', description: 'push' }) })).json()) as { id: string }).id;
    const payIt = (id: string, deliver: boolean) => fetch(`${sandbox.url}/__sandbox/checkouts/${id}/pay`, { method: 'POST', body: JSON.stringify({ method: 'applepay', deliver }) });
    const deliveries = async () => ((await (await fetch(`${sandbox.url}/__sandbox/outbox?key=sk_push`)).json()) as { deliveries: Delivery[] }).deliveries;

    await payIt(await create(), true);
    await expect.poll(async () => (await deliveries())[0]?.state, { timeout: 5_000 }).toBe('delivered');
    const [delivery] = await deliveries();
    expect(delivery!.attempts).toBe(2);
    expect(received).toEqual([delivery!.body, delivery!.body]);

    await payIt(await create(), false);
    expect((await deliveries())[1]).toMatchObject({ type: 'payment_paid', state: 'lost', attempts: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(2);
  });
});
