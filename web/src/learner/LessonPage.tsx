import { skipToken, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError, client, unwrap } from '../api/client.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage, Loading, QueryState } from '../ui/states.tsx';
import { courseQuery, formatClock, lessonPath, type CourseDetail, type LessonView } from './catalog.ts';
import { Player } from './player/Player.tsx';
import './learner.css';

const NEXT_LESSON_SECONDS = 5;
const PROGRESS_POLL_MS = 5_000;
/** A learner waiting for a just-uploaded video: asked often, so it starts within seconds of being playable. */
const WAIT_POLL_MS = 2_000;

/** The video is uploaded and still being encoded, not yet watchable: it will be in seconds. */
/** `?t=754` or `?t=754.5`: a link to a moment (a spoken-word search hit), in seconds. */
function linkedSecond(value: string | null): number | undefined {
  const seconds = value ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

const notYet = (error: unknown) => error instanceof ApiError && error.code === 'video_not_ready' && ['uploaded', 'queued', 'processing'].includes(String(error.details.status));

export function LessonPage() {
  const { idOrSlug = '', lessonId = '' } = useParams();
  const { t } = useI18n();
  const course = useQuery(courseQuery(idOrSlug));
  return (
    <div className="page lesson-page">
      <QueryState query={course} loading={<div className="player-placeholder" aria-busy="true" />}>
        {(data) => {
          const index = data.lessons.findIndex((lesson) => lesson.id === lessonId);
          const lesson = data.lessons[index];
          if (!lesson) return <ErrorMessage error={new Error(t('learner.lesson.notFound'))} />;
          return <Lesson key={lesson.id} course={data} lesson={lesson} index={index} />;
        }}
      </QueryState>
    </div>
  );
}

function Lesson({ course, lesson, index }: { course: CourseDetail; lesson: LessonView; index: number }) {
  const { t, formatNumber } = useI18n();
  const previous = course.lessons[index - 1];
  const next = course.lessons[index + 1];
  const [finished, setFinished] = useState(false);
  const { videoId } = lesson;
  const [params] = useSearchParams();
  const fetchPlayback = videoId
    ? ({ signal }: { signal: AbortSignal }) => unwrap(client.GET('/api/videos/{id}/playback', { params: { path: { id: videoId } }, signal }))
    : skipToken;
  const playback = useQuery({
    queryKey: ['playback', videoId],
    queryFn: fetchPlayback,
    // The signed URLs last an hour; refetching would restart the player with a new source.
    staleTime: Infinity,
    gcTime: 0,
    // A video still being encoded is asked for again until its first seconds can be watched.
    retry: (_count, error) => notYet(error),
    retryDelay: WAIT_POLL_MS,
  });
  // While it is still encoded (playable), the same answer polled for how far it is; the player keeps its own.
  const progress = useQuery({
    queryKey: ['playback-progress', videoId],
    queryFn: fetchPlayback,
    enabled: playback.data?.status === 'playable',
    refetchInterval: (query) => (query.state.data?.status === 'ready' ? false : PROGRESS_POLL_MS),
  });
  const latest = progress.data ?? playback.data;
  const processing = latest?.status === 'playable' ? latest : undefined;
  const saved = course.enrollment?.lessons[lesson.id];
  // A link to a moment wins; else a finished lesson starts again from the beginning, an unfinished one where the learner left it.
  const linked = linkedSecond(params.get('t'));
  const resumeAt = saved && !saved.completed && saved.positionSeconds < saved.durationSeconds - 2 ? saved.positionSeconds : 0;
  const startAt = linked ?? resumeAt;

  return (
    <>
      <p className="breadcrumb">
        <Link to={`/courses/${encodeURIComponent(course.slug)}`} lang={course.language} dir="auto">
          {course.title}
        </Link>
      </p>
      {!lesson.videoId ? (
        <div className="player-placeholder notice">
          <p>{t('learner.lesson.noVideo')}</p>
        </div>
      ) : playback.isPending && notYet(playback.failureReason) ? (
        <div className="player-placeholder notice">
          <p role="status">{t('learner.lesson.notYet')}</p>
        </div>
      ) : playback.isPending ? (
        <div className="player-placeholder">
          <Loading />
        </div>
      ) : playback.isError ? (
        <div className="player-placeholder notice">
          {playback.error instanceof ApiError && (playback.error.status === 403 || playback.error.code === 'payment_required') ? (
            <p data-locked="true">
              {t(playback.error.code === 'payment_required' || course.offer === 'buy' ? 'learner.lesson.buyToWatch' : 'learner.lesson.enrollToWatch')}{' '}
              <Link to={`/courses/${encodeURIComponent(course.slug)}`}>{t('learner.lesson.backToCourse')}</Link>
            </p>
          ) : (
            <ErrorMessage error={playback.error} onRetry={() => void playback.refetch()} />
          )}
        </div>
      ) : (
        <div className={`lesson-media${playback.data.captions.length ? ' with-transcript' : ''}`}>
          <Player
            playback={playback.data}
            complete={playback.data.status === 'playable' && progress.data?.status === 'ready' ? progress.data.master : undefined}
            title={lesson.title}
            startAt={startAt}
            watch={{ courseId: course.id, lessonId: lesson.id, videoId: playback.data.videoId, savesProgress: Boolean(course.enrollment) }}
            onEnded={() => setFinished(true)}
          />
        </div>
      )}
      {processing && (
        <p className="muted small lesson-processing" role="status">
          {t('learner.lesson.processing', { percent: formatNumber(processing.percent / 100, { style: 'percent' }) })}
        </p>
      )}
      {finished && (next?.videoId ? <UpNext course={course} lesson={next} onCancel={() => setFinished(false)} /> : <p role="status">{t('learner.player.finished')}</p>)}
      {linked === undefined && resumeAt > 0 && !finished && <p className="muted small">{t('learner.player.resumed', { time: formatClock(resumeAt) })}</p>}

      <div className="lesson-heading">
        <p className="muted small">{t('learner.lesson.of', { number: formatNumber(index + 1), total: formatNumber(course.lessons.length) })}</p>
        <h1 lang={course.language}>
          <bdi>{lesson.title}</bdi>
        </h1>
        {lesson.summary && (
          <p lang={course.language}>
            <bdi>{lesson.summary}</bdi>
          </p>
        )}
        {latest?.download && (
          <a className="button secondary" href={latest.download} download={`${course.title} - ${lesson.title}.mp4`}>
            {t('learner.lesson.download')}
          </a>
        )}
      </div>
      <nav className="lesson-nav row" aria-label={t('learner.course.lessons')}>
        {previous && (
          <Link className="button secondary" to={lessonPath(course, previous.id)} rel="prev">
            {t('learner.lesson.previous', { title: previous.title })}
          </Link>
        )}
        {next && (
          <Link className="button secondary lesson-nav-next" to={lessonPath(course, next.id)} rel="next">
            {t('learner.lesson.next', { title: next.title })}
          </Link>
        )}
      </nav>
    </>
  );
}

/** The automatic "next lesson": a visible countdown the learner can cancel or skip. */
function UpNext({ course, lesson, onCancel }: { course: CourseDetail; lesson: LessonView; onCancel(): void }) {
  const { t, formatNumber } = useI18n();
  const navigate = useNavigate();
  const [left, setLeft] = useState(NEXT_LESSON_SECONDS);
  const target = lessonPath(course, lesson.id);
  useEffect(() => {
    if (left <= 0) {
      void navigate(target);
      return;
    }
    const timer = setTimeout(() => setLeft(left - 1), 1000);
    return () => clearTimeout(timer);
  }, [left, navigate, target]);
  return (
    <div className="up-next card" role="status">
      <p>{t('learner.player.upNext', { seconds: formatNumber(left), title: lesson.title })}</p>
      <div className="row">
        <Link className="button" to={target}>
          {t('learner.player.playNow')}
        </Link>
        <button type="button" className="button secondary" onClick={onCancel}>
          {t('learner.player.cancel')}
        </button>
      </div>
    </div>
  );
}
