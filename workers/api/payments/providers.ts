import Stripe from 'stripe';
import { z } from 'zod';
import { jurisdictionById, type PaymentProvider } from '../../../contracts/jurisdictions.ts';
import type { PaymentSettings } from '../../lib/config.ts';
import type { PaymentChange } from '../../lib/contracts.ts';
import { AppError } from '../../lib/errors.ts';

/** What the platform asks of a payment provider: the same few calls for Stripe and Moyasar. */
export interface PaymentGateway {
  provider: PaymentProvider;
  /** A hosted payment page for one order; the provider makes it once per order id. */
  createCheckout(request: CheckoutRequest): Promise<{ checkoutId: string; url: string }>;
  /** What the provider says of a checkout now, as the change its webhook reports (null: still open). */
  lookup(checkoutId: string): Promise<PaymentChange | null>;
  /** Returns the whole payment; answers the change its webhook will report too (same refund id). */
  refund(paymentId: string, amountMinor: number, idempotencyKey: string): Promise<Extract<PaymentChange, { kind: 'refunded' }>>;
  /** Verifies a webhook (`invalid_signature` when it fails) and reads its change; null for an event the platform does not use. */
  readWebhook(body: string, headers: Headers): Promise<{ eventId: string; type: string; change: PaymentChange } | null>;
}

export interface CheckoutRequest {
  orderId: string;
  amountMinor: number;
  currency: string;
  productName: string;
  customerEmail: string;
  successUrl: string;
  cancelUrl: string;
}

type Settings = z.output<typeof PaymentSettings>;

/** The provider the jurisdictions table names for this deployment's jurisdiction. */
export function gatewayFor(settings: Settings & { JURISDICTION: string }): PaymentGateway {
  const provider = jurisdictionById(settings.JURISDICTION)?.payments.provider;
  if (!provider) throw new AppError('invalid_configuration', `JURISDICTION "${settings.JURISDICTION}" is not a row of contracts/jurisdictions.ts: no payment provider for it.`);
  return provider === 'stripe' ? stripeGateway(settings) : moyasarGateway(settings);
}

const badSignature = () => new AppError('invalid_signature', 'The webhook’s signature does not verify: it was not sent by this jurisdiction’s payment provider, or it was changed.');

function providerFailed(provider: string, error: unknown): AppError {
  return new AppError('payment_provider_error', `The payment provider (${provider}) could not be reached or refused the request: ${error instanceof Error ? error.message : String(error)}. Try again in a moment.`);
}

async function calling<T>(provider: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof AppError ? error : providerFailed(provider, error);
  }
}

function stripeGateway(settings: Settings): PaymentGateway {
  const sandbox = settings.PAYMENT_SANDBOX_URL ? new URL(settings.PAYMENT_SANDBOX_URL) : undefined;
  const stripe = new Stripe(settings.PAYMENT_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 2,
    ...(sandbox && { host: sandbox.hostname, port: sandbox.port, protocol: 'http' as const }),
  });
  const paidChange = (session: Stripe.Checkout.Session, at = new Date()): PaymentChange => ({
    kind: 'paid',
    checkoutId: session.id,
    paymentId: typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? session.id),
    amountMinor: session.amount_total ?? 0,
    currency: (session.currency ?? '').toUpperCase(),
    method: 'card',
    at: at.toISOString(),
  });
  return {
    provider: 'stripe',
    createCheckout: (request) =>
      calling('stripe', async () => {
        const session = await stripe.checkout.sessions.create(
          {
            mode: 'payment',
            line_items: [{ quantity: 1, price_data: { currency: request.currency.toLowerCase(), unit_amount: request.amountMinor, product_data: { name: request.productName } } }],
            success_url: request.successUrl,
            cancel_url: request.cancelUrl,
            client_reference_id: request.orderId,
            customer_email: request.customerEmail,
            metadata: { order_id: request.orderId },
          },
          { idempotencyKey: `checkout-${request.orderId}` },
        );
        if (!session.url) throw new Error('Stripe answered a Checkout Session without a URL');
        return { checkoutId: session.id, url: session.url };
      }),
    lookup: (checkoutId) =>
      calling('stripe', async () => {
        const session = await stripe.checkout.sessions.retrieve(checkoutId);
        if (session.payment_status === 'paid') return paidChange(session);
        return session.status === 'expired' ? { kind: 'expired', checkoutId } : null;
      }),
    refund: (paymentId, amountMinor, idempotencyKey) =>
      calling('stripe', async () => {
        const refund = await stripe.refunds.create({ payment_intent: paymentId, amount: amountMinor }, { idempotencyKey });
        return { kind: 'refunded', paymentId, refundId: refund.id, amountMinor: refund.amount };
      }),
    async readWebhook(body, headers) {
      const signature = headers.get('stripe-signature');
      if (!signature) throw badSignature();
      let event: Stripe.Event;
      try {
        event = await stripe.webhooks.constructEventAsync(body, signature, settings.PAYMENT_WEBHOOK_SECRET, 300, Stripe.createSubtleCryptoProvider());
      } catch {
        throw badSignature();
      }
      const read = (change: PaymentChange) => ({ eventId: event.id, type: event.type, change });
      switch (event.type) {
        case 'checkout.session.completed':
        case 'checkout.session.async_payment_succeeded':
          return event.data.object.payment_status === 'paid' ? read(paidChange(event.data.object, new Date(event.created * 1000))) : null;
        case 'checkout.session.async_payment_failed':
          return read({ kind: 'declined', checkoutId: event.data.object.id, reason: 'The payment failed.' });
        case 'checkout.session.expired':
          return read({ kind: 'expired', checkoutId: event.data.object.id });
        case 'refund.created': {
          const refund = event.data.object;
          const paymentId = typeof refund.payment_intent === 'string' ? refund.payment_intent : refund.payment_intent?.id;
          return paymentId && refund.status !== 'failed' && refund.status !== 'canceled' ? read({ kind: 'refunded', paymentId, refundId: refund.id, amountMinor: refund.amount }) : null;
        }
        default:
          return null;
      }
    },
  };
}

/** The parts of Moyasar's payment and invoice objects the platform reads (docs.moyasar.com/api). */
const MoyasarPayment = z.object({
  id: z.string(),
  status: z.string(),
  amount: z.int(),
  currency: z.string(),
  refunded: z.int().default(0),
  invoice_id: z.string().nullish(),
  updated_at: z.string().optional(),
  source: z.object({ type: z.string(), company: z.string().nullish(), message: z.string().nullish() }).partial().nullish(),
});
type MoyasarPayment = z.infer<typeof MoyasarPayment>;
const MoyasarInvoice = z.object({ id: z.string(), status: z.string(), url: z.string(), payments: z.array(MoyasarPayment).nullish() });
const MoyasarWebhook = z.object({ id: z.string(), type: z.string(), secret_token: z.string(), data: MoyasarPayment });

/** Moyasar's refunds have no id of their own: the payment and the total refunded name one (a webhook and the API's answer agree on it). */
function moyasarRefund(payment: MoyasarPayment): Extract<PaymentChange, { kind: 'refunded' }> {
  return { kind: 'refunded', paymentId: payment.id, refundId: `${payment.id}:refunded:${payment.refunded}`, amountMinor: payment.refunded };
}

function moyasarPaid(payment: MoyasarPayment, checkoutId: string): PaymentChange {
  const method = payment.source?.type === 'creditcard' ? (payment.source.company ?? 'card') : (payment.source?.type ?? null);
  return { kind: 'paid', checkoutId, paymentId: payment.id, amountMinor: payment.amount, currency: payment.currency.toUpperCase(), method, at: new Date(payment.updated_at ?? Date.now()).toISOString() };
}

const digest = async (text: string) => new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));

function moyasarGateway(settings: Settings): PaymentGateway {
  const base = settings.PAYMENT_SANDBOX_URL ?? 'https://api.moyasar.com';
  const send = (method: string, path: string, body?: unknown) =>
    fetch(new URL(path, base), {
      method,
      headers: { authorization: `Basic ${btoa(`${settings.PAYMENT_SECRET_KEY}:`)}`, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const answer = async <T extends z.ZodType>(shape: T, response: Response): Promise<z.output<T>> => {
    const json: unknown = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(`${response.status} ${(json as { message?: string }).message ?? ''}`.trim());
    return shape.parse(json);
  };
  const call = <T extends z.ZodType>(shape: T, method: string, path: string, body?: unknown) => calling('moyasar', async () => answer(shape, await send(method, path, body)));
  /** A GET of something that may not exist at Moyasar: null then. */
  const find = <T extends z.ZodType>(shape: T, path: string) =>
    calling('moyasar', async () => {
      const response = await send('GET', path);
      return response.status === 404 ? null : answer(shape, response);
    });
  return {
    provider: 'moyasar',
    async createCheckout(request) {
      const invoice = await call(MoyasarInvoice, 'POST', '/v1/invoices', {
        amount: request.amountMinor,
        currency: request.currency,
        description: request.productName,
        success_url: request.successUrl,
        back_url: request.cancelUrl,
        metadata: { order_id: request.orderId },
      });
      return { checkoutId: invoice.id, url: invoice.url };
    },
    async lookup(checkoutId) {
      const invoice = await find(MoyasarInvoice, `/v1/invoices/${encodeURIComponent(checkoutId)}`);
      if (!invoice) return null;
      const payment = invoice.payments?.find((candidate) => candidate.status === 'paid' || candidate.status === 'refunded');
      if (payment) return moyasarPaid(payment, checkoutId);
      return invoice.status === 'expired' || invoice.status === 'canceled' ? { kind: 'expired', checkoutId } : null;
    },
    async refund(paymentId, amountMinor) {
      return moyasarRefund(await call(MoyasarPayment, 'POST', `/v1/payments/${encodeURIComponent(paymentId)}/refund`, { amount: amountMinor }));
    },
    async readWebhook(body) {
      let parsed: z.infer<typeof MoyasarWebhook>;
      try {
        parsed = MoyasarWebhook.parse(JSON.parse(body));
      } catch {
        throw badSignature();
      }
      // Moyasar's scheme: the webhook's shared secret inside the body, compared in constant time.
      if (!crypto.subtle.timingSafeEqual(await digest(parsed.secret_token), await digest(settings.PAYMENT_WEBHOOK_SECRET))) throw badSignature();
      const payment = parsed.data;
      const read = (change: PaymentChange) => ({ eventId: parsed.id, type: parsed.type, change });
      if (!payment.invoice_id && parsed.type !== 'payment_refunded') return null;
      switch (parsed.type) {
        case 'payment_paid': {
          // The token authenticates the sender but signs nothing: the payment is taken as Moyasar's API states it.
          const stated = await find(MoyasarPayment, `/v1/payments/${encodeURIComponent(payment.id)}`);
          if (!stated || stated.invoice_id !== payment.invoice_id || (stated.status !== 'paid' && stated.status !== 'refunded')) throw badSignature();
          return read(moyasarPaid(stated, payment.invoice_id ?? ''));
        }
        case 'payment_failed':
          return read({ kind: 'declined', checkoutId: payment.invoice_id ?? '', reason: payment.source?.message ?? 'The payment was declined.' });
        case 'payment_refunded':
          return read(moyasarRefund(payment));
        default:
          return null;
      }
    },
  };
}
