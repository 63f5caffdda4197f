import { MAX_PRICE_MINOR, minorUnitsOf } from '../../../contracts/payments.ts';

/** Why a typed price was refused; each has its words in the instructor area (`instructor.pricing.error.<reason>`). */
export type PriceProblem = 'format' | 'negative' | 'decimals' | 'zero' | 'tooLarge';

/** A price as typed: `null` when left empty (not sold there), an integer of minor units, or why not. */
export type ParsedPrice = { ok: true; amountMinor: number | null } | { ok: false; problem: PriceProblem };

const ARABIC_DIGITS = /[\u0660-\u0669\u06f0-\u06f9]/g;

/**
 * "19.99" in major units → 1999 minor units, by reading the digits (never a float multiply, which
 * makes 19.99 × 100 = 1998.9999…). Arabic-Indic digits and the Arabic decimal separator (٫) are read
 * too; a sign, a thousands separator, an exponent, or more decimals than the currency has are refused.
 */
export function parseMajorAmount(text: string, currency: string): ParsedPrice {
  const typed = text
    .trim()
    .replace(ARABIC_DIGITS, (digit) => String((digit.codePointAt(0) ?? 0) % 16))
    .replace('\u066b', '.');
  if (typed === '') return { ok: true, amountMinor: null };
  if (/^[-\u2212]/.test(typed)) return { ok: false, problem: 'negative' };
  const match = /^(\d*)(?:\.(\d*))?$/.exec(typed);
  const whole = match?.[1] ?? '';
  const fraction = match?.[2] ?? '';
  if (!match || (whole === '' && fraction === '')) return { ok: false, problem: 'format' };
  const digits = Math.round(Math.log10(minorUnitsOf(currency)));
  if (fraction.length > digits) return { ok: false, problem: 'decimals' };
  // Leading zeros aside, more whole digits than the largest price has is too large (and beyond exact integers).
  const significant = whole.replace(/^0+/, '');
  if (significant.length > String(MAX_PRICE_MINOR).length) return { ok: false, problem: 'tooLarge' };
  const amountMinor = Number(`${significant || '0'}${fraction.padEnd(digits, '0')}`);
  if (amountMinor === 0) return { ok: false, problem: 'zero' };
  if (amountMinor > MAX_PRICE_MINOR) return { ok: false, problem: 'tooLarge' };
  return { ok: true, amountMinor };
}
