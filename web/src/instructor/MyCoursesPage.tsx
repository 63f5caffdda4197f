import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { client, unwrap } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { QueryState } from '../ui/states.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { ownCoursesKey } from './queries.ts';
import './instructor.css';

/** `/teach`: the instructor's courses, drafts first in mind (most recently changed first). */
export function MyCoursesPage() {
  const { t, language, formatNumber } = useI18n();
  const lessons = (count: number) => t(`instructor.mine.lessons.${new Intl.PluralRules(language).select(count)}`, { count: formatNumber(count) });
  const courses = useQuery({ queryKey: ownCoursesKey, queryFn: () => unwrap(client.GET('/api/courses/mine')) });
  return (
    <div className="page teach">
      <div className="teach-heading">
        <h1>{t('instructor.mine.title')}</h1>
        <Link to="/teach/new" className="button">
          {t('instructor.mine.new')}
        </Link>
      </div>
      <div className="teach-list-area">
        <QueryState query={courses}>
          {({ items }) =>
            items.length === 0 ? (
              <p className="muted">{t('instructor.mine.empty')}</p>
            ) : (
              <ul className="teach-courses" aria-label={t('instructor.mine.title')}>
                {items.map((course) => (
                  <li key={course.id} className="card teach-course">
                    <div className="row teach-course-head">
                      <h2 className="teach-course-title">
                        <Link to={`/teach/courses/${course.id}`}>{course.title}</Link>
                      </h2>
                      <StatusBadge status={course.status} />
                    </div>
                    {course.summary && <p className="muted teach-course-summary">{course.summary}</p>}
                    <p className="small muted teach-course-meta">
                      {lessons(course.lessonCount)} · {t(`instructor.level.${course.level}`)} ·{' '}
                      {t(`instructor.language.${course.language}`)}
                    </p>
                  </li>
                ))}
              </ul>
            )
          }
        </QueryState>
      </div>
    </div>
  );
}
