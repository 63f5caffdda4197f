import { formatMoney } from '../../../contracts/payments.ts';
import type { CourseCard } from '../api/types.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { priceIn, useJurisdiction } from './jurisdiction.ts';

/**
 * A course's price here, in the reader's language ("$19.99", "115.00 ر.س."), with the tax it
 * includes where there is one ("incl. 15% VAT"); "Free" for a free course. Words from the shell.
 */
export function PriceTag({ course, className = 'price', withTax = false }: { course: Pick<CourseCard, 'isPaid' | 'prices'>; className?: string; withTax?: boolean }) {
  const { t, locale, language, formatNumber } = useI18n();
  const jurisdiction = useJurisdiction();
  if (!course.isPaid) return <span className={className}>{t('learner.price.free')}</span>;
  const price = priceIn(course.prices, jurisdiction);
  if (!jurisdiction) return null;
  if (!price) return <span className={`${className} muted`}>{t('learner.price.notSold')}</span>;
  const tax = jurisdiction.payments.tax;
  return (
    <span className={className}>
      <bdi className="price-amount" data-amount-minor={price.amountMinor} data-currency={price.currency}>
        {formatMoney(price.amountMinor, price.currency, locale)}
      </bdi>
      {withTax && tax && (
        <span className="price-tax muted small">
          {' '}
          {t('learner.price.taxIncluded', { rate: formatNumber(tax.rateBasisPoints / 10_000, { style: 'percent', maximumFractionDigits: 2 }), tax: tax.name[language] })}
        </span>
      )}
    </span>
  );
}
