import { useRouteError } from 'react-router';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage } from './states.tsx';

/** A page that failed to render or load its chunk (a new deploy replaced it): offer a reload. */
export function RouteError() {
  const error = useRouteError();
  return (
    <main id="main" className="page">
      <ErrorMessage error={error} onRetry={() => location.reload()} />
    </main>
  );
}

export function NotFound() {
  const { t } = useI18n();
  return <p className="page muted">{t('state.notFound')}</p>;
}
