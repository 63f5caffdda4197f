import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useSession } from '../auth/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { forYouQuery, relatedQuery, type RecommendedCourse } from './catalog.ts';
import { Cover } from './Cover.tsx';
import './learner.css';

/** "Learners who took this also took", under a course. */
export function RelatedCourses({ courseId }: { courseId: string }) {
  const { t } = useI18n();
  const related = useQuery(relatedQuery(courseId));
  return <RecommendationRow title={t('learner.recommendations.related')} items={related.data?.items} />;
}

/** "For you", for a signed-in learner (the catalog and continue-learning pages). */
export function ForYou() {
  const { t } = useI18n();
  const { user } = useSession();
  const forYou = useQuery({ ...forYouQuery, enabled: Boolean(user) });
  return <RecommendationRow title={t('learner.recommendations.forYou')} items={user ? forYou.data?.items : undefined} />;
}

/**
 * A row of suggestions is extra: while it loads, when there is none, or when analytics cannot answer,
 * the page simply goes without it rather than showing an error beside the courses themselves.
 */
function RecommendationRow({ title, items }: { title: string; items: RecommendedCourse[] | undefined }) {
  if (!items?.length) return null;
  return (
    <section className="recommendations" aria-label={title}>
      <h2>{title}</h2>
      <ul className="recommendation-row">
        {items.map((course) => (
          <li key={course.id}>
            <RecommendationCard course={course} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function RecommendationCard({ course }: { course: RecommendedCourse }) {
  const { t, formatNumber } = useI18n();
  const { reason } = course;
  return (
    <article className="course-card">
      <Cover title={course.title} url={course.coverImageUrl} />
      <div className="course-card-body">
        <h3 className="course-card-title">
          <Link to={`/courses/${encodeURIComponent(course.slug)}`} className="stretched-link" lang={course.language} dir="auto">
            {course.title}
          </Link>
        </h3>
        <p className="recommendation-reason muted small">
          {reason.kind === 'because_of' ? (
            <>
              {t('learner.recommendations.becauseOf')} <bdi>{reason.becauseOf.title}</bdi>
            </>
          ) : reason.kind === 'co_learners' ? (
            t('learner.recommendations.coLearners', { count: formatNumber(reason.coLearners) })
          ) : (
            t('learner.recommendations.popular', { count: formatNumber(reason.learners) })
          )}
        </p>
      </div>
    </article>
  );
}
