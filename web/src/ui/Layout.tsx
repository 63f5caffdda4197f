import { useQuery } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { client, unwrap } from '../api/client.ts';
import { track } from '../analytics/tracker.ts';
import { useSession } from '../auth/session.tsx';
import { useI18n, type Language } from '../i18n/i18n.tsx';
import { Loading } from './states.tsx';

function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  const { user, updateProfile } = useSession();
  const choose = (next: Language) => {
    // Signed in, the language is part of the profile and follows the learner to other devices.
    if (user) void updateProfile({ preferredLanguage: next }).catch(() => setLanguage(next));
    else setLanguage(next);
  };
  return (
    <label className="language-switch">
      <span className="visually-hidden">{t('nav.language')}</span>
      <select value={language} onChange={(event) => choose(event.target.value as Language)}>
        <option value="en">English</option>
        <option value="ar">العربية</option>
      </select>
    </label>
  );
}

function NotificationsLink() {
  const { t, formatNumber } = useI18n();
  const notifications = useQuery({ queryKey: ['notifications'], queryFn: () => unwrap(client.GET('/api/notifications')), refetchInterval: 30_000 });
  const unread = notifications.data?.unread ?? 0;
  return (
    // The name is the visible text, count included: an aria-label that differs from what is shown
    // fails axe's label-content-name-mismatch (serious) for voice-control users.
    <NavLink to="/notifications" className="nav-link">
      {t('nav.notifications')}
      {unread > 0 && <span className="badge">{formatNumber(unread)}</span>}
    </NavLink>
  );
}

export function Layout() {
  const { t } = useI18n();
  const { user, signOut } = useSession();
  const location = useLocation();
  useEffect(() => track({ type: 'page_view', props: { path: location.pathname } }), [location.pathname]);
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          {t('app.name')}
        </Link>
        <nav aria-label={t('nav.main')} className="site-nav">
          <NavLink to="/" end className="nav-link">
            {t('nav.catalog')}
          </NavLink>
          {user && (
            <NavLink to="/learning" className="nav-link">
              {t('nav.learning')}
            </NavLink>
          )}
          {user && user.role !== 'learner' && (
            <NavLink to="/teach" className="nav-link">
              {t('nav.teaching')}
            </NavLink>
          )}
          {user && user.role !== 'learner' && (
            <NavLink to="/analytics" className="nav-link">
              {t('nav.analytics')}
            </NavLink>
          )}
          {user?.role === 'admin' && (
            <NavLink to="/admin/orders" className="nav-link">
              {t('nav.orders')}
            </NavLink>
          )}
          {user && <NotificationsLink />}
        </nav>
        <div className="header-actions">
          <LanguageSwitch />
          {user === null && (
            <>
              <Link to="/signin" className="button secondary">
                {t('nav.signIn')}
              </Link>
              <Link to="/signup" className="button">
                {t('nav.signUp')}
              </Link>
            </>
          )}
          {user && (
            <NavLink to="/purchases" className="nav-link">
              {t('nav.purchases')}
            </NavLink>
          )}
          {user && (
            <button type="button" className="button secondary" onClick={() => void signOut()}>
              {t('nav.signOut')}
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </>
  );
}
