import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { formatMoney } from '../../../contracts/payments.ts';
import { client, unwrap } from '../api/client.ts';
import { RequireRole } from '../auth/RequireRole.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { QueryState } from '../ui/states.tsx';
import { OrderStatusBadge } from './StatusBadge.tsx';
import './payments.css';

export const purchasesQuery = { queryKey: ['purchases'], queryFn: ({ signal }: { signal: AbortSignal }) => unwrap(client.GET('/api/me/purchases', { signal })) };

/** `/purchases`: the signed-in learner's orders, newest first, each with its receipt once paid. */
export function PurchasesPage() {
  return (
    <RequireRole>
      <Purchases />
    </RequireRole>
  );
}

function Purchases() {
  const { t, locale, formatDate } = useI18n();
  const purchases = useQuery(purchasesQuery);
  return (
    <div className="page purchases">
      <h1>{t('payments.purchases.title')}</h1>
      <QueryState query={purchases}>
        {({ items }) =>
          items.length === 0 ? (
            <div className="empty-state card">
              <p>{t('payments.purchases.empty')}</p>
              <Link className="button" to="/">
                {t('payments.purchases.browse')}
              </Link>
            </div>
          ) : (
            <div className="table-wrap">
              <table className="payments-table">
                <caption className="visually-hidden">{t('payments.purchases.title')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('payments.course')}</th>
                    <th scope="col">{t('payments.date')}</th>
                    <th scope="col" className="amount">
                      {t('payments.amount')}
                    </th>
                    <th scope="col">{t('payments.status')}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t('payments.receiptLink')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((order) => (
                    <tr key={order.id} data-order={order.id} data-status={order.status}>
                      <th scope="row">
                        <Link to={`/courses/${encodeURIComponent(order.courseSlug)}`} dir="auto">
                          {order.courseTitle}
                        </Link>
                      </th>
                      <td>{formatDate(order.createdAt)}</td>
                      <td className="amount">
                        <bdi>{formatMoney(order.amountMinor, order.currency, locale)}</bdi>
                      </td>
                      <td>
                        <OrderStatusBadge status={order.status} />
                      </td>
                      <td>
                        {order.paymentId && (
                          <Link to={`/receipts/${order.paymentId}`} aria-label={t('payments.receiptFor', { title: order.courseTitle })}>
                            {t('payments.receiptLink')}
                          </Link>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </div>
  );
}
