import { useI18n } from '../i18n/i18n.tsx';
import type { CourseStatus } from './types.ts';

export function StatusBadge({ status }: { status: CourseStatus }) {
  const { t } = useI18n();
  return <span className={`status-badge status-${status}`}>{t(`instructor.status.${status}`)}</span>;
}
