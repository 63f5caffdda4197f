import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalAmount, MAX_PRICE_MINOR } from '../../contracts/payments.ts';
import { parseMajorAmount } from '../../web/src/payments/money.ts';

describe('a price typed in major units, read as minor units', () => {
  it('reads the digits, never through a float multiply', () => {
    expect(parseMajorAmount('19.99', 'USD')).toEqual({ ok: true, amountMinor: 1999 });
    // 0.29 × 100 is 28.999999999999996 in floating point; 1.005 × 100 is 100.49999999999999.
    expect(parseMajorAmount('0.29', 'USD')).toEqual({ ok: true, amountMinor: 29 });
    expect(parseMajorAmount('4.35', 'SAR')).toEqual({ ok: true, amountMinor: 435 });
    expect(parseMajorAmount('115', 'SAR')).toEqual({ ok: true, amountMinor: 11_500 });
    expect(parseMajorAmount('19.9', 'EUR')).toEqual({ ok: true, amountMinor: 1990 });
    expect(parseMajorAmount('19.', 'EUR')).toEqual({ ok: true, amountMinor: 1900 });
    expect(parseMajorAmount('.5', 'EUR')).toEqual({ ok: true, amountMinor: 50 });
    expect(parseMajorAmount('  007.50 ', 'USD')).toEqual({ ok: true, amountMinor: 750 });
  });

  it('reads Arabic-Indic digits and the Arabic decimal separator', () => {
    expect(parseMajorAmount('١١٥٫٠٠', 'SAR')).toEqual({ ok: true, amountMinor: 11_500 });
    expect(parseMajorAmount('۱۹.۹۹', 'SAR')).toEqual({ ok: true, amountMinor: 1999 });
  });

  it('takes an empty price as not sold there', () => {
    expect(parseMajorAmount('', 'USD')).toEqual({ ok: true, amountMinor: null });
    expect(parseMajorAmount('   ', 'USD')).toEqual({ ok: true, amountMinor: null });
  });

  it('refuses more decimals than the currency has, signs, zero, and anything not a plain amount', () => {
    expect(parseMajorAmount('19.999', 'USD')).toEqual({ ok: false, problem: 'decimals' });
    expect(parseMajorAmount('-5', 'USD')).toEqual({ ok: false, problem: 'negative' });
    expect(parseMajorAmount('−5', 'USD')).toEqual({ ok: false, problem: 'negative' });
    expect(parseMajorAmount('0', 'USD')).toEqual({ ok: false, problem: 'zero' });
    expect(parseMajorAmount('0.00', 'USD')).toEqual({ ok: false, problem: 'zero' });
    for (const text of ['abc', '1,000', '1e3', '+5', '.', '1.2.3', '$5', '5 USD', 'Infinity', 'NaN', '0x10'])
      expect(parseMajorAmount(text, 'USD'), text).toEqual({ ok: false, problem: 'format' });
  });

  it('refuses a price above the largest allowed, however many digits', () => {
    expect(parseMajorAmount(decimalAmount(MAX_PRICE_MINOR, 'USD'), 'USD')).toEqual({ ok: true, amountMinor: MAX_PRICE_MINOR });
    expect(parseMajorAmount(decimalAmount(MAX_PRICE_MINOR + 1, 'USD'), 'USD')).toEqual({ ok: false, problem: 'tooLarge' });
    expect(parseMajorAmount('99999999999999999999999', 'USD')).toEqual({ ok: false, problem: 'tooLarge' });
  });

  it('reads back every price as the editor shows it (decimalAmount)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_PRICE_MINOR }), fc.constantFrom('USD', 'SAR', 'EUR'), (amountMinor, currency) => {
        expect(parseMajorAmount(decimalAmount(amountMinor, currency), currency)).toEqual({ ok: true, amountMinor });
      }),
    );
  });
});
