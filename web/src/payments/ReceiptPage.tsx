import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { formatMoney } from '../../../contracts/payments.ts';
import { client, unwrap } from '../api/client.ts';
import type { Receipt } from '../api/types.ts';
import { RequireRole } from '../auth/RequireRole.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { QueryState } from '../ui/states.tsx';
import './payments.css';

/** `/receipts/:paymentId`: a printable receipt; in Saudi Arabia a simplified tax invoice with its ZATCA QR code. */
export function ReceiptPage() {
  return (
    <RequireRole>
      <ReceiptLoader />
    </RequireRole>
  );
}

function ReceiptLoader() {
  const { paymentId = '' } = useParams();
  const receipt = useQuery({
    queryKey: ['receipt', paymentId],
    queryFn: ({ signal }) => unwrap(client.GET('/api/payments/{id}/receipt', { params: { path: { id: paymentId } }, signal })),
  });
  return (
    <div className="page receipt-page">
      <QueryState query={receipt}>{(data) => <ReceiptView receipt={data} />}</QueryState>
    </div>
  );
}

function ReceiptView({ receipt }: { receipt: Receipt }) {
  const { t, locale, formatDate, formatNumber } = useI18n();
  const money = (amountMinor: number) => <bdi>{formatMoney(amountMinor, receipt.currency, locale)}</bdi>;
  const invoice = receipt.kind === 'simplified_tax_invoice';
  const rate = formatNumber(receipt.taxRateBasisPoints / 10_000, { style: 'percent', maximumFractionDigits: 2 });
  return (
    <>
      <p className="breadcrumb small">
        <Link to="/purchases">{t('payments.receipt.back')}</Link>
      </p>
      <article className="receipt" data-kind={receipt.kind} aria-labelledby="receipt-title">
        <div className="receipt-head">
          <div>
            <h1 id="receipt-title">
              {invoice ? (
                <>
                  {/* A simplified tax invoice says so in Arabic whatever the reader's language (ZATCA). */}
                  <span lang="ar" dir="rtl">
                    فاتورة ضريبية مبسطة
                  </span>
                  <span className="receipt-title-alt" lang="en" dir="ltr">
                    Simplified tax invoice
                  </span>
                </>
              ) : (
                t('payments.receipt.title')
              )}
            </h1>
            {receipt.refundedMinor > 0 && (
              <p className="refunded-mark" data-refunded={receipt.refundedMinor}>
                {t('payments.receipt.refunded', { amount: formatMoney(receipt.refundedMinor, receipt.currency, locale) })}
              </p>
            )}
          </div>
          {receipt.zatcaQr && <ZatcaQr value={receipt.zatcaQr} />}
        </div>

        <dl className="receipt-facts">
          <dt>{t(invoice ? 'payments.receipt.number' : 'payments.receipt.receiptNumber')}</dt>
          <dd data-field="number">
            <bdi>{receipt.receiptNumber}</bdi>
          </dd>
          <dt>{t('payments.receipt.issued')}</dt>
          <dd data-field="issued">
            <time dateTime={receipt.issuedAt}>{formatDate(receipt.issuedAt, { dateStyle: 'long', timeStyle: 'medium' })}</time>
          </dd>
          <dt>{t('payments.receipt.seller')}</dt>
          <dd data-field="seller">
            <bdi>{receipt.seller.name}</bdi>
          </dd>
          {receipt.seller.vatNumber && (
            <>
              <dt>{t('payments.receipt.vatNumber')}</dt>
              <dd data-field="vat-number">
                <bdi>{receipt.seller.vatNumber}</bdi>
              </dd>
            </>
          )}
          <dt>{t('payments.receipt.buyer')}</dt>
          <dd data-field="buyer">
            <bdi>{receipt.buyer.name}</bdi> (<bdi>{receipt.buyer.email}</bdi>)
          </dd>
          <dt>{t('payments.receipt.course')}</dt>
          <dd data-field="course" dir="auto">
            {receipt.course.title}
          </dd>
          <dt>{t('payments.receipt.method')}</dt>
          <dd data-field="method">
            <bdi>{receipt.method ?? t('payments.receipt.methodUnknown')}</bdi>
          </dd>
        </dl>

        <table className="receipt-amounts">
          <tbody>
            {invoice && (
              <>
                <tr>
                  <th scope="row">{t('payments.receipt.excludingVat')}</th>
                  <td data-field="net">{money(receipt.totalMinor - receipt.taxMinor)}</td>
                </tr>
                <tr>
                  <th scope="row">{t('payments.receipt.vat', { rate })}</th>
                  <td data-field="vat">{money(receipt.taxMinor)}</td>
                </tr>
              </>
            )}
            <tr className="total">
              <th scope="row">{t(invoice ? 'payments.receipt.totalWithVat' : 'payments.receipt.total')}</th>
              <td data-field="total">{money(receipt.totalMinor)}</td>
            </tr>
          </tbody>
        </table>

        <p className="receipt-actions">
          <button type="button" className="button secondary" onClick={() => window.print()}>
            {t('payments.receipt.print')}
          </button>
        </p>
      </article>
    </>
  );
}

/** The QR code of the invoice's TLV text (what a ZATCA reader scans); `qrcode` loads with this page only. */
function ZatcaQr({ value }: { value: string }) {
  const { t } = useI18n();
  const [drawn, setDrawn] = useState<{ value: string; url: string }>();
  useEffect(() => {
    let current = true;
    void import('qrcode')
      .then(({ default: QRCode }) => QRCode.toDataURL(value, { errorCorrectionLevel: 'M', margin: 2, width: 320 }))
      .then((url) => current && setDrawn({ value, url }));
    return () => {
      current = false;
    };
  }, [value]);
  if (drawn?.value !== value) return <div className="receipt-qr" aria-busy="true" />;
  return <img className="receipt-qr" src={drawn.url} alt={t('payments.receipt.qr')} data-zatca-qr={value} width={160} height={160} />;
}
