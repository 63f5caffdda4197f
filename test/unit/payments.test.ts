import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JURISDICTIONS } from '../../contracts/jurisdictions.ts';
import { decimalAmount, formatMoney, includedTax, readZatcaQr, zatcaQr } from '../../contracts/payments.ts';

/** An independent TLV reader over Node's Buffer, as a ZATCA-compatible scanner reads the QR's text. */
function scan(base64: string): Map<number, string> {
  const bytes = Buffer.from(base64, 'base64');
  const fields = new Map<number, string>();
  for (let at = 0; at < bytes.length; at += 2 + bytes[at + 1]!) fields.set(bytes[at]!, bytes.subarray(at + 2, at + 2 + bytes[at + 1]!).toString('utf8'));
  return fields;
}

describe('money in minor units', () => {
  it('takes the VAT out of a tax-inclusive price, rounded half up, exactly', () => {
    expect(includedTax(11_500, 1_500)).toBe(1_500);
    expect(includedTax(9_900, 1_500)).toBe(1_291); // 99.00 SAR holds 12.913… SAR of VAT
    expect(includedTax(1, 1_500)).toBe(0);
    expect(includedTax(4, 1_500)).toBe(1); // 0.5217… rounds up
    expect(includedTax(5_000, 0)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 5_000 }), (amount, rate) => {
        // The exact rational amount × rate / (10000 + rate), rounded half up, in big integers.
        const exact = (BigInt(amount) * BigInt(rate) * 2n + BigInt(10_000 + rate)) / (2n * BigInt(10_000 + rate));
        const tax = includedTax(amount, rate);
        expect(BigInt(tax)).toBe(exact);
        expect(tax).toBeLessThanOrEqual(amount);
      }),
    );
  });

  it('writes every minor unit, with no float in between', () => {
    expect(decimalAmount(11_500, 'SAR')).toBe('115.00');
    expect(decimalAmount(5, 'USD')).toBe('0.05');
    expect(decimalAmount(1_999, 'USD')).toBe('19.99');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_007_199_254_740 }), (amount) => {
        const [whole, fraction] = decimalAmount(amount, 'USD').split('.');
        expect(BigInt(whole!) * 100n + BigInt(fraction!)).toBe(BigInt(amount));
      }),
    );
  });

  it('shows prices in each jurisdiction’s currency and locale', () => {
    expect(formatMoney(1_999, 'USD', 'en-US')).toBe('$19.99');
    expect(formatMoney(11_500, 'SAR', 'en-US')).toMatch(/^SAR\s115\.00$/);
    expect(formatMoney(11_500, 'SAR', 'ar-SA')).toMatch(/١١٥٫٠٠/);
    expect(() => formatMoney(100, 'XYZ', 'en-US')).toThrow(/minor unit/);
  });

  it('gives every jurisdiction a provider, and VAT with a seller VAT number in sa', () => {
    const sa = JURISDICTIONS.find((row) => row.id === 'sa');
    expect(sa?.payments).toMatchObject({ provider: 'moyasar', tax: { rateBasisPoints: 1_500 }, seller: { vatNumber: expect.stringMatching(/^3\d{13}3$/) } });
    expect(JURISDICTIONS.find((row) => row.id === 'us')?.payments).toMatchObject({ provider: 'stripe', tax: null });
  });
});

describe('ZATCA phase-1 QR code', () => {
  it('encodes the published example byte for byte', () => {
    // The example of ZATCA's e-invoicing guideline as the open-source encoders reproduce it.
    const qr = zatcaQr({ sellerName: 'Salla', vatNumber: '1234567891', timestamp: '2021-07-12T14:25:09Z', total: '100.00', vat: '15.00' });
    expect(qr).toBe('AQVTYWxsYQIKMTIzNDU2Nzg5MQMUMjAyMS0wNy0xMlQxNDoyNTowOVoEBjEwMC4wMAUFMTUuMDA=');
  });

  it('decodes to the values, Arabic seller names counted in UTF-8 bytes', () => {
    const invoice = { sellerName: 'شركة المعرفة', vatNumber: '300000000000003', timestamp: '2026-12-06T10:00:00.000Z', total: '115.00', vat: '15.00' };
    const qr = zatcaQr(invoice);
    expect(Object.fromEntries(scan(qr))).toEqual({ 1: invoice.sellerName, 2: invoice.vatNumber, 3: invoice.timestamp, 4: invoice.total, 5: invoice.vat });
    expect(readZatcaQr(qr)).toEqual(invoice);
    expect(() => zatcaQr({ ...invoice, sellerName: 'x'.repeat(256) })).toThrow(/255 bytes/);
  });
});
