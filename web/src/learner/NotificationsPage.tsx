import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { client, unwrap } from '../api/client.ts';
import type { NotificationView } from '../api/types.ts';
import { RequireRole } from '../auth/RequireRole.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage, QueryState } from '../ui/states.tsx';
import './learner.css';

export function NotificationsPage() {
  const { t } = useI18n();
  return (
    <div className="page">
      <h1>{t('learner.notifications.title')}</h1>
      <RequireRole>
        <Notifications />
      </RequireRole>
    </div>
  );
}

function Notifications() {
  const { t, formatNumber, formatDate } = useI18n();
  const queryClient = useQueryClient();
  // The header's badge reads the same key: marking here updates it too.
  const notifications = useQuery({ queryKey: ['notifications'], queryFn: () => unwrap(client.GET('/api/notifications')) });
  const markRead = useMutation({
    mutationFn: (id?: string) =>
      unwrap(id ? client.POST('/api/notifications/{id}/read', { params: { path: { id } } }) : client.POST('/api/notifications/read')),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['notifications'] }),
  });
  return (
    <QueryState query={notifications}>
      {({ items, unread }) => (
        <>
          <div className="row notifications-toolbar">
            <p className="muted" aria-live="polite">
              {t('learner.notifications.unreadCount', { count: formatNumber(unread) })}
            </p>
            {unread > 0 && (
              <button type="button" className="button secondary" onClick={() => markRead.mutate(undefined)} disabled={markRead.isPending}>
                {t('learner.notifications.markAllRead')}
              </button>
            )}
          </div>
          {markRead.isError && <ErrorMessage error={markRead.error} />}
          {items.length === 0 ? (
            <p className="empty-state card">{t('learner.notifications.empty')}</p>
          ) : (
            <ul className="notification-list">
              {items.map((item) => (
                <li key={item.id} className={`notification card${item.read ? '' : ' unread'}`}>
                  <div className="notification-text">
                    <h2>
                      {!item.read && <span className="visually-hidden">{t('learner.notifications.unread')}: </span>}
                      <bdi>{item.title}</bdi>
                    </h2>
                    {item.body && (
                      <p>
                        <bdi>{item.body}</bdi>
                      </p>
                    )}
                    {videoCourse(item) && (
                      <p>
                        <Link to={`/teach/courses/${videoCourse(item)}`}>{t('learner.notifications.openCourse')}</Link>
                      </p>
                    )}
                    <p className="muted small">
                      <time dateTime={item.createdAt}>{formatDate(item.createdAt, { dateStyle: 'medium', timeStyle: 'short' })}</time>
                    </p>
                  </div>
                  {!item.read && (
                    <button
                      type="button"
                      className="button secondary"
                      onClick={() => markRead.mutate(item.id)}
                      disabled={markRead.isPending}
                      aria-label={`${t('learner.notifications.markRead')}: ${item.title}`}
                    >
                      {t('learner.notifications.markRead')}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </QueryState>
  );
}

/** A video notification (sent to its uploader) leads to the course it belongs to, in the editor. */
function videoCourse(item: NotificationView): string | undefined {
  const courseId = (item.data as { courseId?: unknown } | null)?.courseId;
  return item.type.startsWith('video_') && typeof courseId === 'string' ? courseId : undefined;
}
