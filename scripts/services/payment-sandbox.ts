import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Stripe from 'stripe';
import { z } from 'zod';
import { freePort } from './ports.ts';

export interface SandboxAccount {
  /** Which jurisdiction's account (for display/logs only). */
  jurisdiction: string;
  provider: 'stripe' | 'moyasar';
  /** The API secret key the platform authenticates with: Stripe sends `Authorization: Bearer <key>`, Moyasar HTTP Basic with the key as user name and an empty password. */
  secretKey: string;
  /** Stripe: the endpoint's signing secret `whsec_...`; Moyasar: the webhook's secret token. */
  webhookSecret: string;
  /** Where webhooks are POSTed; absent: they are only held (tests deliver them themselves, see /__sandbox). */
  webhookUrl?: string;
}
export interface PaymentSandbox {
  /** http://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}
export interface PaymentSandboxOptions {
  accounts: SandboxAccount[];
  port?: number;
  /** Waits before each redelivery of a refused webhook; after the last, it is marked failed. */
  retryDelaysMs?: number[];
}

type Json = Record<string, unknown>;
type Outcome = { kind: 'paid' } | { kind: 'declined'; message: string } | { kind: 'authenticate' };
interface TestCard { number: string; label: string; outcome: Outcome }
interface Delivery {
  eventId: string;
  type: string;
  checkoutId: string;
  headers: Record<string, string>;
  body: string;
  state: 'held' | 'delivered' | 'failed' | 'lost';
  attempts: number;
}
interface PayResult { outcome: 'paid' | 'declined' | 'requires_authentication'; paymentId?: string; eventIds: string[] }
/** What a hosted page is waiting for: a 3-D Secure answer, or an STC Pay OTP for this mobile number. */
type Pending = { kind: 'authenticate'; card: string } | { kind: 'otp'; mobile: string } | undefined;
interface StripeCheckout { provider: 'stripe'; account: SandboxAccount; session: Json & { id: string; status: string; expires_at: number }; pending: Pending; product: string }
interface MoyasarCheckout { provider: 'moyasar'; account: SandboxAccount; invoice: Json & { id: string; status: string; amount: number; expired_at: string | null; payments: Json[] }; pending: Pending }
type Checkout = StripeCheckout | MoyasarCheckout;

const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 25_000];
const MAX_BODY_BYTES = 1 << 20;
const STRIPE_CARDS: TestCard[] = [
  { number: '4242424242424242', label: 'Succeeds', outcome: { kind: 'paid' } },
  { number: '4000000000000002', label: 'Declined (card_declined)', outcome: { kind: 'declined', message: 'Your card was declined.' } },
  { number: '4000002500003155', label: 'Requires authentication (3-D Secure)', outcome: { kind: 'authenticate' } },
];
// From Moyasar's published sandbox cards; the 3-D Secure step is the sandbox's own simulation.
const MOYASAR_CARDS: TestCard[] = [
  { number: '4201320111111010', label: 'mada — approved', outcome: { kind: 'paid' } },
  { number: '5421080101000000', label: 'Mastercard — approved', outcome: { kind: 'paid' } },
  { number: '4111111111111111', label: 'Visa — 3-D Secure, then approved', outcome: { kind: 'authenticate' } },
  { number: '4201320000311101', label: 'mada — insufficient funds', outcome: { kind: 'declined', message: 'INSUFFICIENT FUNDS' } },
  { number: '4201321234411220', label: 'mada — declined', outcome: { kind: 'declined', message: 'DECLINED' } },
];
const STRIPE_SUCCESS = '4242424242424242';
const MOYASAR_SUCCESS = '4201320111111010';
const STC_PAY_OTP = '123456';
const AUTH_FAILED_STRIPE = 'We are unable to authenticate your payment method.';

class HttpError extends Error {
  readonly status: number;
  readonly body: Json;
  constructor(status: number, body: Json) {
    super(JSON.stringify(body));
    this.status = status;
    this.body = body;
  }
}
const stripeError = (status: number, message: string, extra: Json = {}) =>
  new HttpError(status, { error: { type: 'invalid_request_error', message, ...extra } });
const moyasarError = (status: number, type: string, message: string, errors: Record<string, string[]> | null = null) =>
  new HttpError(status, { type, message, errors });

const token = (prefix: string) => `${prefix}${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const now = () => Math.floor(Date.now() / 1000);
const isoNow = () => new Date().toISOString();
const digits = (card: string) => card.replace(/\D/g, '');
const esc = (text: unknown) => String(text).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const sar = (halalas: number) => `${(halalas / 100).toFixed(2)} SAR`;
const cardOutcome = (cards: TestCard[], number: string, unknown: Outcome) => cards.find((c) => c.number === digits(number))?.outcome ?? unknown;

/** Stripe's form encoding (`a[b][0][c]=v`) into nested objects, numeric-keyed levels becoming arrays. */
export function parseStripeForm(text: string): Json {
  const root: Json = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = (key.match(/^[^[]+|\[[^\]]*\]/g) ?? [key]).map((p) => p.replace(/^\[|\]$/g, ''));
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Json;
    });
  }
  const arrays = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value).map(([k, v]) => [k, arrays(v)] as const);
    const numeric = entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k));
    return numeric ? entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v) : Object.fromEntries(entries);
  };
  return arrays(root) as Json;
}

const positiveInt = z.string().regex(/^[1-9]\d*$/, 'must be a positive integer').transform(Number);
const StripeSessionParams = z.object({
  mode: z.literal('payment'),
  line_items: z
    .array(
      z.object({
        price_data: z.object({
          currency: z.string().regex(/^[a-zA-Z]{3}$/, 'must be a 3-letter ISO currency code'),
          unit_amount: positiveInt,
          product_data: z.object({ name: z.string().min(1) }),
        }),
        quantity: positiveInt.default(1),
      }),
    )
    .min(1),
  success_url: z.string().min(1),
  cancel_url: z.string().optional(),
  client_reference_id: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  customer_email: z.string().optional(),
  expires_at: z.string().regex(/^\d+$/).transform(Number).optional(),
});
const MoyasarInvoiceParams = z.object({
  amount: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  description: z.string().min(1),
  callback_url: z.url().optional(),
  success_url: z.url().optional(),
  back_url: z.url().optional(),
  expired_at: z.iso.datetime({ offset: true }).optional(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/**
 * A stand-in for Stripe's and Moyasar's HTTP APIs, hosted payment pages and signed webhooks, for
 * machines that cannot reach the real providers. Production clients are pointed at it by base URL.
 */
export async function startPaymentSandbox(options: PaymentSandboxOptions): Promise<PaymentSandbox> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const accounts = new Map(options.accounts.map((a) => [a.secretKey, a]));
  const checkouts = new Map<string, Checkout>();
  const moyasarPayments = new Map<string, { account: SandboxAccount; payment: Json & { amount: number; refunded: number; status: string } }>();
  const intents = new Map<string, { account: SandboxAccount; sessionId: string; amount: number; currency: string; refunded: number }>();
  const outboxes = new Map<SandboxAccount, Delivery[]>();
  /** Stripe replays the first answer to a repeated Idempotency-Key from the same account. */
  const idempotent = new Map<string, { status: number; body: Json }>();
  const timers = new Set<NodeJS.Timeout>();
  const signer = new Stripe('sk_test_sandbox_signer');

  // ---- webhooks ----
  const push = async (account: SandboxAccount, delivery: Delivery, target: string): Promise<void> => {
    delivery.attempts++;
    const ok = await fetch(target, { method: 'POST', headers: delivery.headers, body: delivery.body, signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) delivery.state = 'delivered';
    else if (delivery.attempts > retryDelays.length) {
      delivery.state = 'failed';
      console.warn(`payment sandbox: ${account.provider} webhook ${delivery.type} ${delivery.eventId} for ${account.jurisdiction} failed after ${delivery.attempts} attempts to ${target}`);
    } else {
      const timer = setTimeout(() => {
        timers.delete(timer);
        void push(account, delivery, target);
      }, retryDelays[delivery.attempts - 1]);
      timers.add(timer);
    }
  };
  const record = (account: SandboxAccount, delivery: Delivery, deliver: boolean) => {
    if (!outboxes.has(account)) outboxes.set(account, []);
    outboxes.get(account)?.push(delivery);
    if (!deliver) delivery.state = 'lost';
    else if (account.webhookUrl) void push(account, delivery, account.webhookUrl);
    return delivery.eventId;
  };
  const stripeEvent = async (account: SandboxAccount, checkoutId: string, type: string, object: Json, deliver = true) => {
    const event = { id: token('evt_'), object: 'event', api_version: '2026-01-28.clover', created: now(), livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object } };
    const body = JSON.stringify(event);
    const signature = await signer.webhooks.generateTestHeaderStringAsync({ payload: body, secret: account.webhookSecret });
    const headers = { 'content-type': 'application/json; charset=utf-8', 'Stripe-Signature': signature };
    return record(account, { eventId: event.id, type, checkoutId, headers, body, state: 'held', attempts: 0 }, deliver);
  };
  const moyasarEvent = (account: SandboxAccount, checkoutId: string, type: string, payment: Json, deliver = true) => {
    const id = randomUUID();
    const body = JSON.stringify({ id, type, created_at: isoNow(), secret_token: account.webhookSecret, account_name: 'KnowledgeCity Sandbox', live: false, data: payment });
    return record(account, { eventId: id, type, checkoutId, headers: { 'content-type': 'application/json' }, body, state: 'held', attempts: 0 }, deliver);
  };

  // ---- checkouts ----
  /** Expiry is noticed when a checkout is next looked at, as a customer or the platform would. */
  const expire = async (c: Checkout, deliver = true) => {
    if (c.provider === 'stripe' && c.session.status === 'open') {
      c.session.status = 'expired';
      await stripeEvent(c.account, c.session.id, 'checkout.session.expired', { ...c.session }, deliver);
    } else if (c.provider === 'moyasar' && c.invoice.status === 'initiated') {
      Object.assign(c.invoice, { status: 'expired', updated_at: isoNow() });
    }
  };
  const find = async (id: string, account?: SandboxAccount): Promise<Checkout | undefined> => {
    const c = checkouts.get(id);
    if (!c || (account && c.account !== account)) return undefined;
    const due = c.provider === 'stripe' ? c.session.expires_at <= now() : c.invoice.expired_at !== null && Date.parse(c.invoice.expired_at) <= Date.now();
    if (due) await expire(c);
    return c;
  };
  const open = (c: Checkout) => (c.provider === 'stripe' ? c.session.status : c.invoice.status) === (c.provider === 'stripe' ? 'open' : 'initiated');

  const completeStripe = async (c: StripeCheckout, deliver: boolean): Promise<PayResult> => {
    const pi = token('pi_');
    const amount = c.session.amount_total as number;
    intents.set(pi, { account: c.account, sessionId: c.session.id, amount, currency: c.session.currency as string, refunded: 0 });
    Object.assign(c.session, { status: 'complete', payment_status: 'paid', payment_intent: pi });
    c.pending = undefined;
    const eventId = await stripeEvent(c.account, c.session.id, 'checkout.session.completed', { ...c.session }, deliver);
    return { outcome: 'paid', paymentId: pi, eventIds: [eventId] };
  };
  const payMoyasar = (c: MoyasarCheckout, source: Json, outcome: Outcome, deliver: boolean): PayResult => {
    const paid = outcome.kind === 'paid';
    const at = isoNow();
    const { invoice } = c;
    const payment = {
      id: randomUUID(), status: paid ? 'paid' : 'failed', amount: invoice.amount, fee: 0, currency: invoice.currency, refunded: 0, refunded_at: null,
      captured: paid ? invoice.amount : 0, captured_at: paid ? at : null, voided_at: null, description: invoice.description,
      amount_format: sar(invoice.amount), fee_format: sar(0), refunded_format: sar(0), captured_format: sar(paid ? invoice.amount : 0),
      invoice_id: invoice.id, ip: null, callback_url: invoice.callback_url, created_at: at, updated_at: at, metadata: invoice.metadata,
      source: { ...source, message: outcome.kind === 'declined' ? outcome.message : 'APPROVED', gateway_id: token('moyasar_'), reference_number: String(randomBytes(6).readUIntBE(0, 6)).padStart(12, '0') },
    };
    moyasarPayments.set(payment.id, { account: c.account, payment });
    invoice.payments.push(payment);
    invoice.updated_at = at;
    if (paid) invoice.status = 'paid';
    c.pending = undefined;
    const eventId = moyasarEvent(c.account, invoice.id, paid ? 'payment_paid' : 'payment_failed', payment, deliver);
    return { outcome: paid ? 'paid' : 'declined', paymentId: payment.id, eventIds: [eventId] };
  };
  const cardSource = (number: string, name = 'Sandbox Customer') => {
    const n = digits(number);
    const company = n.startsWith('420132') ? 'mada' : n.startsWith('5') ? 'master' : 'visa';
    return { type: 'creditcard', company, name, number: `${n.slice(0, 4)}-${n.slice(4, 6)}XX-XXXX-${n.slice(-4)}` };
  };

  // ---- provider APIs ----
  const stripeApi = async (req: IncomingMessage, path: string, account: SandboxAccount, form: Json): Promise<Json> => {
    const sessionRoute = /^\/v1\/checkout\/sessions\/([\w-]+)(\/expire)?$/.exec(path);
    if (req.method === 'POST' && path === '/v1/checkout/sessions') {
      const parsed = StripeSessionParams.safeParse(form);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const [head, ...rest] = issue?.path ?? [];
        throw stripeError(400, `Invalid ${String(head)}: ${issue?.message}`, { param: `${String(head)}${rest.map((p) => `[${String(p)}]`).join('')}` });
      }
      const p = parsed.data;
      const amount = p.line_items.reduce((sum, item) => sum + item.price_data.unit_amount * item.quantity, 0);
      const id = token('cs_test_');
      const session = {
        id, object: 'checkout.session', url: `${url}/pay/stripe/${id}`, status: 'open', payment_status: 'unpaid', amount_total: amount, amount_subtotal: amount,
        currency: p.line_items[0]?.price_data.currency.toLowerCase(), client_reference_id: p.client_reference_id ?? null, metadata: p.metadata ?? {},
        payment_intent: null, success_url: p.success_url, cancel_url: p.cancel_url ?? null, customer_email: p.customer_email ?? null, created: now(),
        expires_at: p.expires_at ?? now() + 24 * 3600, livemode: false, mode: 'payment',
      };
      checkouts.set(id, { provider: 'stripe', account, session, pending: undefined, product: p.line_items.map((i) => i.price_data.product_data.name).join(', ') });
      return session;
    }
    if (sessionRoute) {
      const [, id = '', expireSuffix] = sessionRoute;
      const c = await find(id, account);
      if (c?.provider !== 'stripe') throw stripeError(404, `No such checkout.session: '${id}'`, { code: 'resource_missing', param: 'id' });
      if (req.method === 'GET' && !expireSuffix) return c.session;
      if (req.method === 'POST' && expireSuffix) {
        if (c.session.status !== 'open') throw stripeError(400, 'Only Checkout Sessions with a status in ["open"] can be expired.');
        await expire(c);
        return c.session;
      }
    }
    if (req.method === 'POST' && path === '/v1/refunds') {
      const pi = typeof form.payment_intent === 'string' ? form.payment_intent : '';
      const intent = intents.get(pi);
      if (intent?.account !== account) throw stripeError(404, `No such payment_intent: '${pi}'`, { code: 'resource_missing', param: 'payment_intent' });
      const remaining = intent.amount - intent.refunded;
      const amount = form.amount === undefined ? remaining : Number(form.amount);
      if (remaining === 0) throw stripeError(400, `Charge for ${pi} has already been refunded.`, { code: 'charge_already_refunded' });
      if (!Number.isInteger(amount) || amount <= 0 || amount > remaining) {
        throw stripeError(400, `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining}).`, { code: 'amount_too_large', param: 'amount' });
      }
      intent.refunded += amount;
      const refund = { id: token('re_'), object: 'refund', amount, currency: intent.currency, payment_intent: pi, status: 'succeeded', created: now(), metadata: (form.metadata as Json | undefined) ?? {} };
      await stripeEvent(account, intent.sessionId, 'refund.created', refund);
      return refund;
    }
    throw stripeError(404, `Unrecognized request URL (${req.method}: ${path}).`);
  };

  const moyasarApi = async (req: IncomingMessage, path: string, account: SandboxAccount, body: Json): Promise<Json> => {
    const invoiceRoute = /^\/v1\/invoices\/([\w-]+)$/.exec(path);
    const paymentRoute = /^\/v1\/payments\/([\w-]+)(\/refund)?$/.exec(path);
    const notFound = moyasarError(404, 'invalid_request_error', 'Object not found');
    if (req.method === 'POST' && path === '/v1/invoices') {
      const parsed = MoyasarInvoiceParams.safeParse(body);
      if (!parsed.success) {
        const errors: Record<string, string[]> = {};
        for (const issue of parsed.error.issues) (errors[String(issue.path[0] ?? 'base')] ??= []).push(issue.message);
        throw moyasarError(400, 'invalid_request_error', 'Validation Failed', errors);
      }
      const p = parsed.data;
      const id = randomUUID();
      const at = isoNow();
      const invoice = {
        id, status: 'initiated', amount: p.amount, currency: p.currency, description: p.description, amount_format: sar(p.amount), url: `${url}/pay/moyasar/${id}`,
        callback_url: p.callback_url ?? null, success_url: p.success_url ?? null, back_url: p.back_url ?? null, expired_at: p.expired_at ?? null,
        metadata: p.metadata ?? {}, payments: [], created_at: at, updated_at: at,
      };
      checkouts.set(id, { provider: 'moyasar', account, invoice, pending: undefined });
      return invoice;
    }
    if (req.method === 'GET' && invoiceRoute) {
      const c = await find(invoiceRoute[1] ?? '', account);
      if (c?.provider !== 'moyasar') throw notFound;
      return c.invoice;
    }
    if (paymentRoute) {
      const [, id = '', refundSuffix] = paymentRoute;
      const found = moyasarPayments.get(id);
      if (found?.account !== account) throw notFound;
      const { payment } = found;
      if (req.method === 'GET' && !refundSuffix) return payment;
      if (req.method === 'POST' && refundSuffix) {
        const remaining = payment.amount - payment.refunded;
        const amount = body.amount === undefined ? remaining : body.amount;
        if (payment.status === 'failed' || remaining === 0) throw moyasarError(400, 'invalid_request_error', `Payment is ${payment.status === 'failed' ? 'failed' : 'already refunded'} and cannot be refunded`);
        if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0 || amount > remaining) {
          throw moyasarError(400, 'invalid_request_error', 'Validation Failed', { amount: [`must be a positive integer up to ${remaining}`] });
        }
        const at = isoNow();
        Object.assign(payment, { status: 'refunded', refunded: payment.refunded + amount, refunded_at: at, updated_at: at });
        payment.refunded_format = sar(payment.refunded);
        moyasarEvent(account, String(payment.invoice_id), 'payment_refunded', payment);
        return payment;
      }
    }
    throw notFound;
  };

  // ---- hosted pages ----
  const page = (title: string, content: string, lang = 'en') => `<!doctype html>
<html lang="${lang}" dir="auto"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0;display:flex;justify-content:center}
main{background:#fff;margin:40px 16px;padding:28px 32px;border-radius:10px;box-shadow:0 2px 12px #0002;width:100%;max-width:440px}
h1{font-size:18px;margin:0 0 4px}.amount{font-size:30px;font-weight:600;margin:0 0 20px}.sandbox{color:#b45309;font-size:12px;text-transform:uppercase;letter-spacing:.05em}
label{display:block;margin:10px 0 4px;font-weight:500}input[type=text],input[type=tel]{width:100%;box-sizing:border-box;padding:9px;border:1px solid #ccd;border-radius:6px;font-size:15px}
fieldset{border:1px solid #e3e8ee;border-radius:6px;margin:14px 0;padding:8px 12px}fieldset label{font-weight:400;margin:4px 0}
button{width:100%;padding:11px;margin-top:12px;border:0;border-radius:6px;background:#635bff;color:#fff;font-size:16px;cursor:pointer}button.secondary{background:#e3e8ee;color:#1a1f36}
.error{background:#fdecea;color:#a41c1c;padding:10px;border-radius:6px;margin:0 0 12px}.note{color:#697386}a{color:#635bff}hr{border:0;border-top:1px solid #e3e8ee;margin:20px 0}</style>
</head><body><main><p class="sandbox">Sandbox — test mode</p>${content}</main></body></html>`;
  const error = (message?: string) => (message ? `<p class="error" role="alert" id="error">${esc(message)}</p>` : '');
  const cardChoices = (cards: TestCard[]) => `<fieldset><legend>Test cards / بطاقات الاختبار</legend>${cards
    .map((c, i) => `<label><input type="radio" name="test_card" id="test-card-${i}" value="${c.number}"> ${esc(c.number.replace(/(\d{4})(?=\d)/g, '$1 '))} — ${esc(c.label)}</label>`)
    .join('')}</fieldset>`;
  const authenticateForm = (action: string, bank: string) => `<h1>3-D Secure</h1><p>${esc(bank)}: confirm this payment to continue.</p>
<form method="post" action="${esc(action)}"><button type="submit" name="authentication" value="complete" id="complete-authentication">Complete authentication</button>
<button type="submit" class="secondary" name="authentication" value="fail" id="fail-authentication">Fail authentication</button></form>`;
  const closed = (status: string) => `<h1 id="status">${status === 'expired' ? 'This payment page has expired.' : 'This payment has already been completed.'}</h1><p class="note">Nothing more to pay here.</p>`;

  const stripePage = (c: StripeCheckout, message?: string) => {
    const s = c.session;
    const amount = new Intl.NumberFormat('en-US', { style: 'currency', currency: String(s.currency).toUpperCase() }).format((s.amount_total as number) / 100);
    const action = `/pay/stripe/${s.id}`;
    const title = `Pay ${c.product}`;
    if (!open(c)) return page(title, closed(s.status));
    if (c.pending?.kind === 'authenticate') return page('3-D Secure authentication', authenticateForm(action, 'Sandbox bank'));
    const cancel = s.cancel_url ? `<p><a href="${esc(s.cancel_url)}" id="cancel">Cancel</a></p>` : '';
    return page(title, `<h1>Pay ${esc(c.product)}</h1><p class="amount" id="amount">${esc(amount)}</p>${error(message)}
<form method="post" action="${esc(action)}"><label for="card">Card number</label><input type="text" id="card" name="card" inputmode="numeric" autocomplete="off" placeholder="1234 1234 1234 1234">
${cardChoices(STRIPE_CARDS)}<button type="submit" id="pay">Pay</button></form>${cancel}`);
  };
  const moyasarPage = (c: MoyasarCheckout, message?: string) => {
    const inv = c.invoice;
    const action = `/pay/moyasar/${inv.id}`;
    const title = `${inv.description} — ${inv.amount_format}`;
    if (!open(c)) return page(title, closed(inv.status), 'ar');
    if (c.pending?.kind === 'authenticate') return page('3-D Secure', authenticateForm(action, 'Sandbox bank / البنك'), 'ar');
    const head = `<h1>${esc(inv.description)}</h1><p class="amount" id="amount">${esc(inv.amount_format)}</p>${error(message)}`;
    if (c.pending?.kind === 'otp') {
      return page(title, `${head}<form method="post" action="${esc(action)}"><input type="hidden" name="method" value="stcpay-otp">
<label for="otp">OTP sent to ${esc(c.pending.mobile)} / رمز التحقق</label><input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code">
<p class="note">Sandbox: ${STC_PAY_OTP} succeeds, anything else fails.</p><button type="submit" id="verify">Verify</button></form>`, 'ar');
    }
    const cancel = inv.back_url ? `<p><a href="${esc(inv.back_url)}" id="cancel">Cancel / إلغاء</a></p>` : '';
    return page(title, `${head}
<form method="post" action="${esc(action)}" id="card-form"><input type="hidden" name="method" value="creditcard"><h2>Card / بطاقة (mada, Visa, Mastercard)</h2>
<label for="name">Name on card / الاسم</label><input type="text" id="name" name="name" value="Sandbox Customer">
<label for="number">Card number / رقم البطاقة</label><input type="text" id="number" name="number" inputmode="numeric" autocomplete="off">
${cardChoices(MOYASAR_CARDS)}<button type="submit" id="pay">Pay</button></form><hr>
<form method="post" action="${esc(action)}"><input type="hidden" name="method" value="applepay"><button type="submit" id="apple-pay">Pay with Apple Pay</button></form><hr>
<form method="post" action="${esc(action)}"><input type="hidden" name="method" value="stcpay"><label for="mobile">STC Pay mobile / رقم الجوال</label>
<input type="tel" id="mobile" name="mobile" placeholder="05XXXXXXXX"><button type="submit" id="stc-pay">Pay with STC Pay</button></form>${cancel}`, 'ar');
  };

  /** A hosted page's form: answers with a redirect URL after success, or the page to show again. */
  const submitStripe = async (c: StripeCheckout, form: URLSearchParams): Promise<{ redirect: string } | { html: string }> => {
    if (!open(c)) return { html: stripePage(c) };
    const answer = form.get('authentication');
    let outcome = cardOutcome(STRIPE_CARDS, form.get('card') || form.get('test_card') || '', { kind: 'declined', message: 'Your card number is incorrect.' });
    if (c.pending?.kind === 'authenticate' && answer) {
      c.pending = undefined;
      outcome = answer === 'complete' ? { kind: 'paid' } : { kind: 'declined', message: AUTH_FAILED_STRIPE };
    }
    if (outcome.kind === 'authenticate') c.pending = { kind: 'authenticate', card: digits(form.get('card') || form.get('test_card') || '') };
    if (outcome.kind !== 'paid') return { html: stripePage(c, outcome.kind === 'declined' ? outcome.message : undefined) };
    await completeStripe(c, true);
    return { redirect: String(c.session.success_url).replaceAll('{CHECKOUT_SESSION_ID}', c.session.id) };
  };
  const submitMoyasar = (c: MoyasarCheckout, form: URLSearchParams): { redirect: string } | { html: string } => {
    if (!open(c)) return { html: moyasarPage(c) };
    const method = form.get('method');
    let result: PayResult | undefined;
    let message: string | undefined;
    const pay = (source: Json, outcome: Outcome) => {
      result = payMoyasar(c, source, outcome, true);
      if (outcome.kind === 'declined') message = outcome.message;
    };
    if (method === 'creditcard') {
      const number = form.get('number') || form.get('test_card') || '';
      const outcome = cardOutcome(MOYASAR_CARDS, number, { kind: 'declined', message: 'UNSPECIFIED FAILURE' });
      if (outcome.kind === 'authenticate') c.pending = { kind: 'authenticate', card: digits(number) };
      else pay(cardSource(number, form.get('name') || undefined), outcome);
    } else if (c.pending?.kind === 'authenticate' && form.get('authentication')) {
      const passed = form.get('authentication') === 'complete';
      pay(cardSource(c.pending.card), passed ? { kind: 'paid' } : { kind: 'declined', message: '3-D Secure transaction attempt failed' });
    } else if (method === 'applepay') {
      pay({ type: 'applepay', company: 'visa', name: null, number: '4111-11XX-XXXX-1111' }, { kind: 'paid' });
    } else if (method === 'stcpay') {
      const mobile = (form.get('mobile') ?? '').replace(/\s/g, '');
      if (/^(05|\+9665|9665)\d{8}$/.test(mobile)) c.pending = { kind: 'otp', mobile };
      else message = 'Invalid mobile number / رقم الجوال غير صحيح';
    } else if (method === 'stcpay-otp' && c.pending?.kind === 'otp') {
      const source = { type: 'stcpay', mobile: c.pending.mobile };
      pay(source, form.get('otp') === STC_PAY_OTP ? { kind: 'paid' } : { kind: 'declined', message: 'Invalid OTP / رمز التحقق غير صحيح' });
    }
    if (result?.outcome === 'paid' && result.paymentId) {
      if (!c.invoice.success_url) return { html: page('Paid', `<h1 id="status">Paid / تم الدفع</h1><p class="amount">${esc(c.invoice.amount_format)}</p>`, 'ar') };
      const target = new URL(String(c.invoice.success_url));
      target.searchParams.set('id', result.paymentId);
      target.searchParams.set('status', 'paid');
      return { redirect: target.href };
    }
    return { html: moyasarPage(c, message) };
  };

  // ---- test control API ----
  const control = async (req: IncomingMessage, path: string, query: URLSearchParams, body: Json): Promise<Json> => {
    const payRoute = /^\/__sandbox\/checkouts\/([\w-]+)\/pay$/.exec(path);
    const expireRoute = /^\/__sandbox\/expire\/([\w-]+)$/.exec(path);
    if (req.method === 'GET' && path === '/__sandbox/outbox') {
      const account = accounts.get(query.get('key') ?? '');
      if (!account) throw new HttpError(401, { error: 'unknown key' });
      const checkout = query.get('checkout');
      return { deliveries: (outboxes.get(account) ?? []).filter((d) => !checkout || d.checkoutId === checkout) };
    }
    const c = await find((payRoute ?? expireRoute)?.[1] ?? '');
    if (req.method !== 'POST' || !c) throw new HttpError(404, { error: 'no such checkout' });
    if (expireRoute) {
      await expire(c);
      return c.provider === 'stripe' ? c.session : c.invoice;
    }
    if (!open(c)) throw new HttpError(409, { error: `checkout is ${c.provider === 'stripe' ? c.session.status : c.invoice.status}` });
    const deliver = body.deliver !== false;
    const card = typeof body.card === 'string' ? body.card : undefined;
    if (c.provider === 'stripe') {
      const outcome = cardOutcome(STRIPE_CARDS, card ?? STRIPE_SUCCESS, { kind: 'declined', message: 'Your card number is incorrect.' });
      if (outcome.kind === 'paid') return { ...(await completeStripe(c, deliver)) };
      return { outcome: outcome.kind === 'declined' ? 'declined' : 'requires_authentication', eventIds: [] };
    }
    if (body.method === 'applepay') return { ...payMoyasar(c, { type: 'applepay', company: 'visa' }, { kind: 'paid' }, deliver) };
    if (body.method === 'stcpay') return { ...payMoyasar(c, { type: 'stcpay', mobile: '0500000000' }, { kind: 'paid' }, deliver) };
    const number = card ?? MOYASAR_SUCCESS;
    const outcome = cardOutcome(MOYASAR_CARDS, number, { kind: 'declined', message: 'UNSPECIFIED FAILURE' });
    if (outcome.kind === 'authenticate') return { outcome: 'requires_authentication', eventIds: [] };
    return { ...payMoyasar(c, cardSource(number), outcome, deliver) };
  };

  // ---- HTTP ----
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const { pathname: path, searchParams } = new URL(req.url ?? '/', url);
    const raw = await readBody(req);
    const send = (status: number, body: Json | string, headers: Record<string, string> = {}) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json', ...headers });
      res.end(text);
    };
    const json = (): Json => {
      try {
        const value: unknown = raw ? JSON.parse(raw) : {};
        return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
      } catch {
        return {};
      }
    };
    const hosted = /^\/pay\/(stripe|moyasar)\/([\w-]+)$/.exec(path);
    if (hosted) {
      const c = await find(hosted[2] ?? '');
      if (!c || c.provider !== hosted[1]) return send(404, page('Not found', '<h1>No such payment page.</h1>'));
      if (req.method === 'GET') return send(200, c.provider === 'stripe' ? stripePage(c) : moyasarPage(c));
      const form = new URLSearchParams(raw);
      const answer = c.provider === 'stripe' ? await submitStripe(c, form) : submitMoyasar(c, form);
      return 'redirect' in answer ? send(303, '', { location: answer.redirect }) : send(200, answer.html);
    }
    if (path.startsWith('/__sandbox/')) return send(200, await control(req, path, searchParams, json()));
    const stripeRoute = path.startsWith('/v1/checkout/') || path === '/v1/refunds';
    const auth = req.headers.authorization ?? '';
    if (stripeRoute) {
      const account = accounts.get(/^Bearer (.+)$/.exec(auth)?.[1] ?? '');
      if (account?.provider !== 'stripe') throw stripeError(401, 'Invalid API Key provided.');
      const idemKey = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
      const cacheKey = typeof idemKey === 'string' ? `${account.secretKey}\n${idemKey}` : undefined;
      const replay = cacheKey ? idempotent.get(cacheKey) : undefined;
      if (replay) return send(replay.status, replay.body, { 'idempotent-replayed': 'true' });
      const answer = await stripeApi(req, path, account, parseStripeForm(raw)).then(
        (body) => ({ status: 200, body }),
        (e: unknown) => (e instanceof HttpError && e.status < 500 ? { status: e.status, body: e.body } : Promise.reject(e)),
      );
      if (cacheKey) idempotent.set(cacheKey, answer);
      return send(answer.status, answer.body);
    }
    const basic = /^Basic (.+)$/.exec(auth)?.[1];
    const account = accounts.get(basic ? Buffer.from(basic, 'base64').toString().replace(/:.*$/s, '') : '');
    if (account?.provider !== 'moyasar') throw moyasarError(401, 'authentication_error', 'Invalid authorization credentials');
    send(200, await moyasarApi(req, path, account, json()));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      const status = e instanceof HttpError ? e.status : 500;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(e instanceof HttpError ? e.body : { error: String(e) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
