import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { RequireRole } from '../auth/RequireRole.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ProgressBar, QueryState } from '../ui/states.tsx';
import { formatClock, learningQuery, lessonPath, type ContinueLearning } from './catalog.ts';
import { Cover } from './Cover.tsx';
import { ForYou } from './Recommendations.tsx';
import './learner.css';

export function LearningPage() {
  const { t } = useI18n();
  return (
    <div className="page">
      <h1>{t('learner.learning.title')}</h1>
      <RequireRole>
        <LearningList />
        <ForYou />
      </RequireRole>
    </div>
  );
}

function LearningList() {
  const { t } = useI18n();
  const learning = useQuery(learningQuery);
  return (
    <QueryState query={learning}>
      {({ items }) =>
        items.length === 0 ? (
          <div className="empty-state card">
            <p>{t('learner.learning.empty')}</p>
            <Link className="button" to="/">
              {t('learner.learning.browse')}
            </Link>
          </div>
        ) : (
          <ul className="grid course-grid">
            {items.map((item) => (
              <li key={item.courseId}>
                <LearningCard item={item} />
              </li>
            ))}
          </ul>
        )
      }
    </QueryState>
  );
}

function LearningCard({ item }: { item: ContinueLearning }) {
  const { t, formatNumber, formatDate } = useI18n();
  const coursePath = `/courses/${encodeURIComponent(item.slug)}`;
  return (
    <article className="course-card">
      <Cover title={item.title} url={item.coverImageUrl} />
      <div className="course-card-body">
        <h2 className="course-card-title">
          <Link to={coursePath} dir="auto">
            {item.title}
          </Link>
        </h2>
        <p className="small muted">{t('learner.learning.lastActive', { date: formatDate(item.lastActivityAt) })}</p>
        <div className="course-progress">
          <p className="small">{formatNumber(item.progressPercent / 100, { style: 'percent' })}</p>
          <ProgressBar value={item.progressPercent} label={`${t('learner.course.progress')}: ${item.title}`} />
        </div>
        {item.nextLesson ? (
          <>
            <p className="small">
              {item.nextLesson.positionSeconds > 0
                ? t('learner.learning.resumeAt', { title: item.nextLesson.title, time: formatClock(item.nextLesson.positionSeconds) })
                : t('learner.learning.next', { title: item.nextLesson.title })}
            </p>
            <Link className="button" to={lessonPath(item, item.nextLesson.id)} aria-label={`${t('learner.learning.continue')}: ${item.title}`}>
              {t('learner.learning.continue')}
            </Link>
          </>
        ) : (
          <>
            <p className="small">{t('learner.learning.done')}</p>
            <Link className="button secondary" to={coursePath} aria-label={`${t('learner.learning.open')}: ${item.title}`}>
              {t('learner.learning.open')}
            </Link>
          </>
        )}
      </div>
    </article>
  );
}
