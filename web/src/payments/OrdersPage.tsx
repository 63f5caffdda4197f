import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { formatMoney } from '../../../contracts/payments.ts';
import { client, unwrap } from '../api/client.ts';
import type { OrderView } from '../api/types.ts';
import { RequireRole } from '../auth/RequireRole.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage, QueryState } from '../ui/states.tsx';
import { OrderStatusBadge } from './StatusBadge.tsx';
import './payments.css';

const STATUSES = ['pending', 'paid', 'refunded', 'expired'] as const;
type Status = (typeof STATUSES)[number];
const ORDERS_LIMIT = 100;

/** `/admin/orders`: this jurisdiction's orders (refunds), the ledger by course, and grants. Admins only. */
export function OrdersPage() {
  return (
    <RequireRole roles={['admin']}>
      <Orders />
    </RequireRole>
  );
}

function Orders() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const requested = params.get('status');
  const status = STATUSES.includes(requested as Status) ? (requested as Status) : undefined;
  const orders = useQuery({
    queryKey: ['admin', 'orders', status ?? 'all'],
    queryFn: ({ signal }) => unwrap(client.GET('/api/orders', { params: { query: { status, limit: ORDERS_LIMIT } }, signal })),
  });
  const id = useId();
  return (
    <div className="page admin-orders">
      <h1>{t('payments.orders.title')}</h1>
      <div className="orders-toolbar">
        <label htmlFor={`${id}-status`}>
          {t('payments.orders.filter')}
          <select
            id={`${id}-status`}
            value={status ?? ''}
            onChange={(event) =>
              setParams(
                (current) => {
                  const next = new URLSearchParams(current);
                  if (event.target.value) next.set('status', event.target.value);
                  else next.delete('status');
                  return next;
                },
                { replace: true },
              )
            }
          >
            <option value="">{t('payments.orders.all')}</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`payments.status.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <QueryState query={orders}>
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted">{t('payments.orders.empty')}</p>
          ) : (
            <div className="table-wrap">
              <table className="payments-table">
                <caption className="visually-hidden">{t('payments.orders.list')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('payments.course')}</th>
                    <th scope="col">{t('payments.date')}</th>
                    <th scope="col" className="amount">
                      {t('payments.amount')}
                    </th>
                    <th scope="col">{t('payments.orders.provider')}</th>
                    <th scope="col">{t('payments.status')}</th>
                    <th scope="col">{t('payments.orders.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((order) => (
                    <OrderRow key={order.id} order={order} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
      <Ledger />
      <GrantForm />
    </div>
  );
}

/** Refund takes two clicks: "Refund", then "Confirm refund of …" in its place (no browser dialog). */
function OrderRow({ order }: { order: OrderView }) {
  const { t, locale, formatDate } = useI18n();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const amount = formatMoney(order.amountMinor, order.currency, locale);
  const refund = useMutation({
    mutationFn: () => unwrap(client.POST('/api/orders/{id}/refund', { params: { path: { id: order.id } } })),
    onSuccess: () => {
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: ['admin'] });
    },
  });
  return (
    <tr data-order={order.id} data-status={order.status}>
      <th scope="row">
        <Link to={`/courses/${encodeURIComponent(order.courseSlug)}`} dir="auto">
          {order.courseTitle}
        </Link>
      </th>
      <td>{formatDate(order.createdAt, { dateStyle: 'medium', timeStyle: 'short' })}</td>
      <td className="amount">
        <bdi>{amount}</bdi>
      </td>
      <td>{order.provider}</td>
      <td>
        <OrderStatusBadge status={order.status} />
      </td>
      <td className="actions">
        {order.status === 'paid' &&
          (confirming ? (
            <span className="row">
              <button type="button" className="button danger" onClick={() => refund.mutate()} disabled={refund.isPending} aria-busy={refund.isPending}>
                {refund.isPending ? t('payments.orders.refunding') : t('payments.orders.confirmRefund', { amount })}
              </button>
              <button type="button" className="button secondary" onClick={() => setConfirming(false)} disabled={refund.isPending}>
                {t('payments.orders.cancel')}
              </button>
            </span>
          ) : (
            <button type="button" className="button secondary" onClick={() => setConfirming(true)}>
              {t('payments.orders.refund')}
            </button>
          ))}
        {refund.isError && <ErrorMessage error={refund.error} />}
      </td>
    </tr>
  );
}

function Ledger() {
  const { t, locale, formatNumber } = useI18n();
  const ledger = useQuery({ queryKey: ['admin', 'ledger', 'course'], queryFn: ({ signal }) => unwrap(client.GET('/api/payments/ledger', { params: { query: { by: 'course' } }, signal })) });
  return (
    <section aria-labelledby="ledger-title">
      <h2 id="ledger-title">{t('payments.ledger.title')}</h2>
      <QueryState query={ledger}>
        {({ rows }) =>
          rows.length === 0 ? (
            <p className="muted">{t('payments.ledger.empty')}</p>
          ) : (
            <div className="table-wrap">
              <table className="payments-table ledger-table">
                <thead>
                  <tr>
                    <th scope="col">{t('payments.course')}</th>
                    <th scope="col">{t('payments.ledger.currency')}</th>
                    <th scope="col" className="amount">
                      {t('payments.ledger.payments')}
                    </th>
                    <th scope="col" className="amount">
                      {t('payments.ledger.paid')}
                    </th>
                    <th scope="col" className="amount">
                      {t('payments.ledger.tax')}
                    </th>
                    <th scope="col" className="amount">
                      {t('payments.ledger.refunds')}
                    </th>
                    <th scope="col" className="amount">
                      {t('payments.ledger.refunded')}
                    </th>
                    <th scope="col" className="amount">
                      {t('payments.ledger.net')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={`${row.key}-${row.currency}`}>
                      <th scope="row" dir="auto">
                        {row.name}
                      </th>
                      <td>{row.currency}</td>
                      <td className="amount">{formatNumber(row.payments)}</td>
                      <td className="amount">
                        <bdi>{formatMoney(row.paidMinor, row.currency, locale)}</bdi>
                      </td>
                      <td className="amount">
                        <bdi>{formatMoney(row.taxMinor, row.currency, locale)}</bdi>
                      </td>
                      <td className="amount">{formatNumber(row.refunds)}</td>
                      <td className="amount">
                        <bdi>{formatMoney(row.refundedMinor, row.currency, locale)}</bdi>
                      </td>
                      <td className="amount">
                        <bdi>{formatMoney(row.netMinor, row.currency, locale)}</bdi>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </section>
  );
}

function GrantForm() {
  const { t } = useI18n();
  const id = useId();
  const courses = useQuery({ queryKey: ['admin', 'courses', 'mine'], queryFn: ({ signal }) => unwrap(client.GET('/api/courses/mine', { signal })) });
  const [courseId, setCourseId] = useState('');
  const [email, setEmail] = useState('');
  const grant = useMutation({
    mutationFn: (input: { courseId: string; email: string }) => unwrap(client.POST('/api/courses/{id}/grants', { params: { path: { id: input.courseId } }, body: { email: input.email } })),
  });
  const granted = grant.isSuccess ? grant.variables : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    grant.mutate({ courseId, email: email.trim() });
  };
  const title = (wanted: string) => courses.data?.items.find((course) => course.id === wanted)?.title ?? wanted;
  return (
    <section className="card grant" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('payments.grant.title')}</h2>
      <p className="muted small">{t('payments.grant.hint')}</p>
      <form className="grant-form" onSubmit={submit}>
        <label htmlFor={`${id}-course`}>
          {t('payments.grant.course')}
          <select id={`${id}-course`} value={courseId} required onChange={(event) => setCourseId(event.target.value)}>
            <option value="">{t('payments.grant.pick')}</option>
            {courses.data?.items.map((course) => (
              <option key={course.id} value={course.id}>
                {course.title}
              </option>
            ))}
          </select>
        </label>
        <label htmlFor={`${id}-email`}>
          {t('payments.grant.email')}
          <input id={`${id}-email`} type="email" dir="ltr" value={email} required autoComplete="off" onChange={(event) => setEmail(event.target.value)} />
        </label>
        <button type="submit" className="button" disabled={grant.isPending || !courseId || !email.trim()}>
          {t('payments.grant.submit')}
        </button>
      </form>
      <p role="status" className="small">
        {granted ? t('payments.grant.done', { title: title(granted.courseId), email: granted.email }) : ''}
      </p>
      {courses.isError && <ErrorMessage error={courses.error} />}
      {grant.isError && <ErrorMessage error={grant.error} />}
    </section>
  );
}
