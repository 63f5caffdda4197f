import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { client, unwrap } from '../api/client.ts';
import { useSession } from '../auth/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage } from '../ui/states.tsx';
import { learningQuery } from './catalog.ts';

const POLL_MS = 1_500;
/** The webhook usually lands within seconds; past this the learner is told to come back later. */
const POLL_FOR_MS = 60_000;

/**
 * Back from the provider's hosted page (`?order=…&checkout=returned|canceled`): the order is paid
 * by its webhook a moment later, so it is asked for until it is (or a minute has passed); once
 * paid, the course is asked for again and its lessons open.
 */
export function CheckoutBanner({ queryKey }: { queryKey: readonly unknown[] }) {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const outcome = params.get('checkout');
  const orderId = params.get('order');
  if (outcome === 'canceled') {
    return (
      <p className="info-box checkout-banner" role="status" data-checkout="canceled">
        {t('learner.checkout.canceled')}
      </p>
    );
  }
  if (outcome !== 'returned' || !orderId) return null;
  return <ReturnedOrder key={orderId} orderId={orderId} queryKey={queryKey} />;
}

function ReturnedOrder({ orderId, queryKey }: { orderId: string; queryKey: readonly unknown[] }) {
  const { t } = useI18n();
  const { user } = useSession();
  const queryClient = useQueryClient();
  const [since] = useState(() => Date.now());
  const [timedOut, setTimedOut] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setTimedOut(true), POLL_FOR_MS);
    return () => clearTimeout(timer);
  }, []);
  const order = useQuery({
    queryKey: ['order', orderId],
    queryFn: ({ signal }) => unwrap(client.GET('/api/orders/{id}', { params: { path: { id: orderId } }, signal })),
    // Only once the session is back (the page was just loaded from the provider's redirect).
    enabled: Boolean(user),
    staleTime: 0,
    refetchInterval: (query) => (query.state.data?.status === 'pending' && Date.now() - since < POLL_FOR_MS ? POLL_MS : false),
  });
  const status = order.data?.status;
  useEffect(() => {
    if (status !== 'paid') return;
    void queryClient.invalidateQueries({ queryKey });
    void queryClient.invalidateQueries({ queryKey: learningQuery.queryKey });
    void queryClient.invalidateQueries({ queryKey: ['purchases'] });
  }, [status, queryClient, queryKey]);

  if (order.isError) return <ErrorMessage error={order.error} onRetry={() => void order.refetch()} />;
  const data = order.data;
  if (!data || (data.status === 'pending' && !data.lastFailure && !timedOut)) {
    return (
      <div className="info-box checkout-banner" role="status" aria-live="polite" data-checkout="confirming">
        <span className="spinner" aria-hidden="true" />
        {t('learner.checkout.confirming')}
      </div>
    );
  }
  if (data.status === 'paid') {
    return (
      <div className="success-box checkout-banner" role="status" data-checkout="paid">
        <p>{t('learner.checkout.paid')}</p>
        {data.paymentId && (
          <p className="small">
            <Link to={`/receipts/${data.paymentId}`}>{t('learner.checkout.receipt')}</Link>
          </p>
        )}
      </div>
    );
  }
  if (data.status === 'pending' && data.lastFailure) {
    return (
      <div className="error-box checkout-banner" role="alert" data-checkout="failed">
        <p>
          {t('learner.checkout.failed')} <bdi lang="en">{data.lastFailure}</bdi>
        </p>
        {data.checkoutUrl && (
          <a className="button" href={data.checkoutUrl}>
            {t('learner.checkout.retry')}
          </a>
        )}
      </div>
    );
  }
  const message = data.status === 'refunded' ? 'learner.checkout.refunded' : data.status === 'expired' ? 'learner.checkout.expired' : 'learner.checkout.slow';
  return (
    <p className="info-box checkout-banner" role="status" data-checkout={data.status}>
      {t(message)}
    </p>
  );
}
