import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useI18n } from '../i18n/i18n.tsx';
import { Loading } from '../ui/states.tsx';
import { useSession } from './session.tsx';
import type { Profile } from '../api/types.ts';

/** Signed-out visitors go to sign-in (and come back); a signed-in user without the role is told so. */
export function RequireRole({ roles, children }: { roles?: Array<Profile['role']>; children: ReactNode }) {
  const { user } = useSession();
  const { t } = useI18n();
  const location = useLocation();
  if (user === undefined) return <Loading />;
  if (user === null) return <Navigate to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (roles && !roles.includes(user.role)) return <p role="alert" className="error-box">{t('state.forbidden')}</p>;
  return <>{children}</>;
}
