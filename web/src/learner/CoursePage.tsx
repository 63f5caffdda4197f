import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { ApiError, client, unwrap } from '../api/client.ts';
import { track } from '../analytics/tracker.ts';
import { useSession } from '../auth/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { PriceTag } from '../payments/PriceTag.tsx';
import { ErrorMessage, ProgressBar, QueryState } from '../ui/states.tsx';
import { CheckoutBanner } from './CheckoutBanner.tsx';
import { courseQuery, formatClock, lessonPath, type CourseDetail, type Enrollment, type LessonView } from './catalog.ts';
import { Cover } from './Cover.tsx';
import { RelatedCourses } from './Recommendations.tsx';
import './learner.css';

export function CoursePage() {
  const { idOrSlug = '' } = useParams();
  const course = useQuery(courseQuery(idOrSlug));
  const courseId = course.data?.id;
  useEffect(() => {
    if (courseId) track({ type: 'course_view', course_id: courseId });
  }, [courseId]);
  return (
    <div className="page course-page">
      <QueryState query={course} loading={<CourseSkeleton />}>
        {(data) => <CourseView course={data} queryKey={courseQuery(idOrSlug).queryKey} />}
      </QueryState>
    </div>
  );
}

function CourseSkeleton() {
  return (
    <div className="course-hero skeleton" aria-busy="true">
      <div className="cover" />
      <div>
        <div className="skeleton-line wide" />
        <div className="skeleton-line" />
        <div className="skeleton-line short" />
      </div>
    </div>
  );
}

function CourseView({ course, queryKey }: { course: CourseDetail; queryKey: readonly unknown[] }) {
  const { t, formatNumber } = useI18n();
  const { user } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const enrollment = course.enrollment;
  // Free, or bought (or granted): the lessons play. Otherwise only the previews do.
  const mayLearn = course.offer === 'free' || course.offer === 'owned';

  const setEnrollment = (next: Enrollment | null) => {
    queryClient.setQueryData<CourseDetail>(queryKey, (current) => current && { ...current, enrollment: next });
    void queryClient.invalidateQueries({ queryKey: ['learning'] });
  };
  const enroll = useMutation({
    mutationFn: () => unwrap(client.POST('/api/courses/{id}/enrollment', { params: { path: { id: course.id } } })),
    onSuccess: (next) => {
      track({ type: 'enroll', course_id: course.id });
      setEnrollment(next);
    },
  });
  // One key per purchase attempt, sent again on every retry of it: a double click or a retry answers the same order.
  const attempt = useRef<string | undefined>(undefined);
  const buy = useMutation({
    mutationFn: () => {
      attempt.current ??= crypto.randomUUID();
      return unwrap(client.POST('/api/courses/{id}/checkout', { params: { path: { id: course.id }, header: { 'idempotency-key': attempt.current } } }));
    },
    onSuccess: (order) => {
      // The provider's hosted page; it sends the learner back here with `?order=…&checkout=returned`.
      if (order.checkoutUrl) window.location.assign(order.checkoutUrl);
    },
    onError: (error) => {
      // Bought meanwhile (another tab) or no longer sold: the course answer says what is offered now.
      if (error instanceof ApiError && (error.code === 'already_owned' || error.code === 'not_for_sale')) void queryClient.invalidateQueries({ queryKey });
    },
  });
  const leave = useMutation({
    mutationFn: () => unwrap(client.DELETE('/api/courses/{id}/enrollment', { params: { path: { id: course.id } } })),
    onSuccess: () => setEnrollment(null),
  });

  const nextLesson = enrollment && course.lessons.find((lesson) => lesson.id === enrollment.nextLessonId);
  const preview = course.lessons.find((lesson) => lesson.isPreview && lesson.videoId);
  const first = course.lessons[0];

  return (
    <>
      <p className="breadcrumb">
        <Link to="/">{t('learner.course.back')}</Link>
      </p>
      <CheckoutBanner queryKey={queryKey} />
      <div className="course-hero">
        <Cover title={course.title} url={course.coverImageUrl} eager />
        <div className="course-hero-text">
          <h1 lang={course.language}>
            <bdi>{course.title}</bdi>
          </h1>
          <p className="lead" lang={course.language}>
            <bdi>{course.summary}</bdi>
          </p>
          <ul className="chips">
            <li className="chip">{t(`learner.level.${course.level}`)}</li>
            <li className="chip">{t(`learner.language.${course.language}`)}</li>
            <li className="chip">{t('learner.course.lessonCount', { count: formatNumber(course.lessons.length) })}</li>
          </ul>
          <p className="muted">{t('learner.course.by', { name: course.instructorName })}</p>

          {enrollment && (
            <div className="course-progress">
              <p className="small">
                {t('learner.course.progressText', {
                  done: formatNumber(enrollment.completedLessons),
                  total: formatNumber(course.lessons.length),
                  percent: formatNumber(enrollment.progressPercent),
                })}
              </p>
              <ProgressBar value={enrollment.progressPercent} label={t('learner.course.progress')} />
            </div>
          )}

          {course.isPaid && (
            <p className="course-price" data-offer={course.offer}>
              <span className="visually-hidden">{t('learner.price.label')}: </span>
              <PriceTag course={course} withTax />
            </p>
          )}
          {course.offer === 'owned' && <p className="owned-note">{t('learner.course.owned')}</p>}

          <div className="row course-actions">
            {enrollment && mayLearn ? (
              <>
                {nextLesson ? (
                  <Link className="button" to={lessonPath(course, nextLesson.id)}>
                    {t(enrollment.lessons[nextLesson.id] ? 'learner.course.continue' : 'learner.course.start', { title: nextLesson.title })}
                  </Link>
                ) : (
                  first && (
                    <Link className="button" to={lessonPath(course, first.id)}>
                      {t('learner.course.review')}
                    </Link>
                  )
                )}
                <button type="button" className="button secondary" onClick={() => leave.mutate()} disabled={leave.isPending}>
                  {t('learner.course.leave')}
                </button>
              </>
            ) : (
              <>
                {course.offer === 'not_sold' ? (
                  <p className="muted">{t('learner.course.notSold')}</p>
                ) : user === null ? (
                  <button type="button" className="button" onClick={() => void navigate(`/signin?next=${encodeURIComponent(location.pathname)}`)}>
                    {t(course.offer === 'buy' ? 'learner.course.buySignIn' : 'learner.course.enrollSignIn')}
                  </button>
                ) : course.offer === 'buy' ? (
                  <button type="button" className="button" onClick={() => buy.mutate()} disabled={buy.isPending || buy.isSuccess || user === undefined} aria-busy={buy.isPending}>
                    {t(buy.isPending || buy.isSuccess ? 'learner.course.buying' : 'learner.course.buy')}
                  </button>
                ) : (
                  <button type="button" className="button" onClick={() => enroll.mutate()} disabled={enroll.isPending || user === undefined}>
                    {t('learner.course.enroll')}
                  </button>
                )}
                {preview && (
                  <Link className="button secondary" to={lessonPath(course, preview.id)}>
                    {t('learner.course.preview')}
                  </Link>
                )}
              </>
            )}
          </div>
          {enrollment && mayLearn && <p className="muted small">{t('learner.course.enrolled')}</p>}
          {buy.isError && <ErrorMessage error={buy.error} onRetry={() => buy.mutate()} />}
          {enroll.isError && <ErrorMessage error={enroll.error} />}
          {leave.isError && <ErrorMessage error={leave.error} />}
        </div>
      </div>

      {course.description && course.description !== course.summary && (
        <section>
          <h2>{t('learner.course.about')}</h2>
          <p className="description" lang={course.language}>
            <bdi>{course.description}</bdi>
          </p>
        </section>
      )}

      <section>
        <h2>{t('learner.course.lessons')}</h2>
        {course.lessons.length === 0 ? (
          <p className="muted">{t('learner.course.noLessons')}</p>
        ) : (
          <ol className="lesson-list">
            {course.lessons.map((lesson) => (
              <LessonRow key={lesson.id} course={course} lesson={lesson} />
            ))}
          </ol>
        )}
      </section>
      <RelatedCourses courseId={course.id} />
    </>
  );
}

function LessonRow({ course, lesson }: { course: CourseDetail; lesson: LessonView }) {
  const { t, formatNumber } = useI18n();
  const progress = course.enrollment?.lessons[lesson.id];
  const mayLearn = course.offer === 'free' || course.offer === 'owned';
  const enrolled = Boolean(course.enrollment) && mayLearn;
  // A paid course's lessons are locked for whoever does not own it; its previews stay open.
  const locked = !mayLearn && !lesson.isPreview;
  const watchable = Boolean(lesson.videoId) && (enrolled || lesson.isPreview);
  const percent = progress ? (progress.completed ? 100 : (progress.positionSeconds / progress.durationSeconds) * 100) : 0;
  const status = !lesson.videoId
    ? t('learner.course.lessonNoVideo')
    : progress?.completed
      ? t('learner.course.lessonDone')
      : locked
        ? t('learner.course.lessonPaid')
        : !enrolled
          ? t(lesson.isPreview ? 'learner.course.lessonPreview' : 'learner.course.lessonLocked')
          : undefined;
  return (
    <li className={`lesson-row${progress?.completed ? ' done' : ''}${locked ? ' locked' : ''}`} data-locked={locked || undefined}>
      <span className="lesson-number" aria-hidden="true">
        {formatNumber(lesson.position + 1)}
      </span>
      <div className="lesson-text">
        {watchable ? (
          <Link to={lessonPath(course, lesson.id)} lang={course.language} dir="auto">
            {lesson.title}
          </Link>
        ) : (
          <span lang={course.language} dir="auto">
            {lesson.title}
          </span>
        )}
        {lesson.summary && <span className="muted small">{lesson.summary}</span>}
        {enrolled && lesson.videoId && !progress?.completed && (
          <ProgressBar value={percent} label={`${t('learner.course.lessonProgress')}: ${lesson.title}`} />
        )}
      </div>
      <span className="lesson-meta muted small">
        {locked && (
          <svg className="lock-icon" viewBox="0 0 16 16" width="14" height="14" role="img" aria-label={t('learner.course.locked')}>
            <path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v6a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 14.5v-6A1.5 1.5 0 0 1 3.5 7H4Zm2 0h4V5a2 2 0 1 0-4 0v2Z" />
          </svg>
        )}
        {status}
        {lesson.durationSeconds ? <span className="duration"> {formatClock(lesson.durationSeconds)}</span> : null}
      </span>
    </li>
  );
}
