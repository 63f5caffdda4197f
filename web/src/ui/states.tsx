import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client.ts';
import { arabicErrors } from '../api/error-messages.ts';
import { useI18n } from '../i18n/i18n.tsx';

/** An API failure as the user sees it: the server's message (in Arabic, its code's) and the trace id support asks for. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t, language } = useI18n();
  const message = error instanceof ApiError && language === 'ar' ? arabicErrors[error.code] : error instanceof Error ? error.message : String(error);
  const traceId = error instanceof ApiError ? error.traceId : undefined;
  return (
    <div role="alert" className="error-box">
      <p>{message}</p>
      {traceId && (
        <p className="muted small">
          {t('state.trace')}: <code>{traceId}</code>
        </p>
      )}
      {onRetry && (
        <button type="button" className="button secondary" onClick={onRetry}>
          {t('state.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('state.loading')}
    </div>
  );
}

/** Loading, error (with retry) or the data: the three states every query on a page has. */
export function QueryState<T>({ query, children, loading }: { query: UseQueryResult<T>; children: (data: T) => ReactNode; loading?: ReactNode }) {
  if (query.isPending) return <>{loading ?? <Loading />}</>;
  if (query.isError) return <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />;
  return <>{children(query.data)}</>;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const percent = Math.max(0, Math.min(100, value));
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(percent)}>
      <div className="progress-fill" style={{ inlineSize: `${percent}%` }} />
    </div>
  );
}
