import type { OrderView } from '../api/types.ts';
import { useI18n } from '../i18n/i18n.tsx';

export function OrderStatusBadge({ status }: { status: OrderView['status'] }) {
  const { t } = useI18n();
  return (
    <span className={`order-status order-${status}`} data-status={status}>
      {t(`payments.status.${status}`)}
    </span>
  );
}
