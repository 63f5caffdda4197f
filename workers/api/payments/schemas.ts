import { createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { JURISDICTION_IDS } from '../../../contracts/jurisdictions.ts';
import { MAX_PRICE_MINOR } from '../../../contracts/payments.ts';
import { coursePrices, orders, orderStatus } from '../../../db/schema.ts';

const IsoTime = z.iso.datetime();
const AmountMinor = z.int({ error: 'must be a whole number of the currency’s minor unit (cents, halalas)' }).min(1, 'must be at least 1').max(MAX_PRICE_MINOR, `must be at most ${MAX_PRICE_MINOR}`);

/** `PUT /api/courses/:id/pricing`: free, or paid with a price (minor units of its currency) in each jurisdiction that sells it. */
export const Pricing = z
  .strictObject({
    isPaid: z.boolean(),
    prices: z.partialRecord(z.enum(JURISDICTION_IDS, { error: `must be jurisdictions of this platform (${JURISDICTION_IDS.join(', ')})` }), AmountMinor).default({}),
  })
  .refine((pricing) => pricing.isPaid || Object.keys(pricing.prices).length === 0, { message: 'a free course has no prices', path: ['prices'] });
export type Pricing = z.output<typeof Pricing>;

export const CoursePrice = createSelectSchema(coursePrices).pick({ jurisdiction: true, currency: true, amountMinor: true }).meta({ id: 'CoursePrice' });

/** `Idempotency-Key` of a checkout: the SPA makes one per purchase attempt, so a double click or a retry answers the same order. */
export const IdempotencyKey = z.object({
  'idempotency-key': z.string({ error: 'is required: one value per purchase attempt' }).regex(/^[\w.:-]{8,128}$/, 'must be 8 to 128 letters, digits, or . _ : -'),
});

export const OrderView = createSelectSchema(orders)
  .pick({ id: true, courseId: true, status: true, provider: true, currency: true, amountMinor: true, taxMinor: true, checkoutUrl: true, lastFailure: true })
  .extend({ courseTitle: z.string(), courseSlug: z.string(), createdAt: IsoTime, paymentId: z.uuid().nullable(), refundedMinor: z.int() })
  .meta({ id: 'OrderView' });
export type OrderView = z.infer<typeof OrderView>;
export const OrderList = z.object({ items: z.array(OrderView) }).meta({ id: 'OrderList' });
export const OrderIdParam = z.object({ id: z.uuid({ error: 'must be an order id' }) });
export const OrderQuery = z.strictObject({
  status: z.enum(orderStatus.enumValues, { error: `must be ${orderStatus.enumValues.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** By email: what an admin knows of a learner. */
export const Grant = z.strictObject({ email: z.email({ error: 'must be an email address' }).max(320) });
export const GrantParams = z.object({ id: z.uuid({ error: 'must be a course id' }), userId: z.uuid({ error: 'must be a user id' }) });

export const PaymentIdParam = z.object({ id: z.uuid({ error: 'must be a payment id' }) });
export const ProviderParam = z.object({ provider: z.string().max(20) });

/** A receipt; in a jurisdiction with VAT, a simplified tax invoice with the ZATCA phase-1 QR code. */
export const Receipt = z
  .object({
    paymentId: z.uuid(),
    receiptNumber: z.int(),
    kind: z.enum(['receipt', 'simplified_tax_invoice']),
    issuedAt: IsoTime,
    seller: z.object({ name: z.string(), vatNumber: z.string().nullable() }),
    buyer: z.object({ name: z.string(), email: z.string() }),
    course: z.object({ id: z.uuid(), title: z.string() }),
    currency: z.string(),
    totalMinor: z.int(),
    taxMinor: z.int(),
    taxRateBasisPoints: z.int(),
    method: z.string().nullable(),
    refundedMinor: z.int(),
    /** Base64 of the TLV (seller, VAT number, time, total, VAT) that ZATCA-compatible readers decode; null without VAT. */
    zatcaQr: z.string().nullable(),
  })
  .meta({ id: 'Receipt' });
export type Receipt = z.infer<typeof Receipt>;

export const LedgerQuery = z.strictObject({ by: z.enum(['course', 'instructor'], { error: 'must be course or instructor' }).default('course') });
export const LedgerRow = z
  .object({ key: z.string(), name: z.string(), currency: z.string(), payments: z.int(), paidMinor: z.int(), taxMinor: z.int(), refunds: z.int(), refundedMinor: z.int(), netMinor: z.int() })
  .meta({ id: 'LedgerRow' });
export const Ledger = z.object({ by: z.enum(['course', 'instructor']), rows: z.array(LedgerRow) }).meta({ id: 'Ledger' });

export const WebhookReceived = z.object({ received: z.literal(true) });
