/**
 * Money as integers of the currency's minor unit (cents, halalas), never floats: the API, the ledger,
 * the providers and the receipts all speak it. Plain TypeScript: the Workers and the SPA import it.
 */

/** Minor units per major unit, per ISO 4217 exponent, for the currencies the jurisdictions use. */
const MINOR_UNITS: Record<string, number> = { USD: 100, SAR: 100, EUR: 100 };

export function minorUnitsOf(currency: string): number {
  const units = MINOR_UNITS[currency];
  if (units === undefined) throw new Error(`no minor unit known for currency ${currency}`);
  return units;
}

/** The largest price a course may have, in minor units (a guard against a typo of three zeros). */
export const MAX_PRICE_MINOR = 10_000_000;

/**
 * The tax inside a tax-inclusive price: price × rate / (1 + rate), rounded half up to the minor unit,
 * in integers (basis points), so 115.00 SAR at 15 % holds exactly 15.00.
 */
export function includedTax(amountMinor: number, rateBasisPoints: number): number {
  return Math.floor((amountMinor * rateBasisPoints * 2 + (10_000 + rateBasisPoints)) / (2 * (10_000 + rateBasisPoints)));
}

/** "115.00": the amount in major units with every minor digit, from integers only. */
export function decimalAmount(amountMinor: number, currency: string): string {
  const units = minorUnitsOf(currency);
  const digits = Math.round(Math.log10(units));
  const whole = Math.trunc(amountMinor / units);
  const fraction = String(Math.abs(amountMinor % units)).padStart(digits, '0');
  return digits === 0 ? String(whole) : `${amountMinor < 0 && whole === 0 ? '-' : ''}${whole}.${fraction}`;
}

/** For display, in the viewer's language (`Intl` rounds nothing here: the value is exact in major units). */
export function formatMoney(amountMinor: number, currency: string, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(Number(decimalAmount(amountMinor, currency)));
}

/** The five fields of a ZATCA phase-1 QR code (simplified tax invoice), in tag order 1–5. */
export interface ZatcaInvoice {
  sellerName: string;
  vatNumber: string;
  /** ISO 8601 time of the invoice. */
  timestamp: string;
  /** Total with VAT, and the VAT, as decimal strings ("115.00"). */
  total: string;
  vat: string;
}

const ZATCA_FIELDS = ['sellerName', 'vatNumber', 'timestamp', 'total', 'vat'] as const;

/** Tag, length (one byte, of the UTF-8 bytes), value for each field, then base64: what ZATCA readers decode. */
export function zatcaQr(invoice: ZatcaInvoice): string {
  const bytes: number[] = [];
  ZATCA_FIELDS.forEach((field, index) => {
    const value = new TextEncoder().encode(invoice[field]);
    if (value.length > 255) throw new Error(`ZATCA field ${field} is longer than 255 bytes`);
    bytes.push(index + 1, value.length, ...value);
  });
  return btoa(String.fromCharCode(...bytes));
}

/** The reverse of `zatcaQr`, as a reader does it: by tag, whatever the order. */
export function readZatcaQr(base64: string): Partial<ZatcaInvoice> {
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  const invoice: Partial<ZatcaInvoice> = {};
  for (let at = 0; at + 2 <= bytes.length; ) {
    const tag = bytes[at] ?? 0;
    const length = bytes[at + 1] ?? 0;
    const field = ZATCA_FIELDS[tag - 1];
    if (field) invoice[field] = new TextDecoder().decode(bytes.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return invoice;
}
