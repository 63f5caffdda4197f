import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { track } from '../analytics/tracker.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { PriceTag } from '../payments/PriceTag.tsx';
import { ErrorMessage } from '../ui/states.tsx';
import { COURSE_LEVELS } from '../../../contracts/catalog.ts';
import { catalogQuery, formatClock, lessonPath, spokenQuery, type CatalogFilters, type CourseCard, type CourseLanguage, type Level, type Sort } from './catalog.ts';
import { Cover } from './Cover.tsx';
import { Highlighted } from './Highlighted.tsx';
import { ForYou } from './Recommendations.tsx';
import './learner.css';

const SEARCH_DELAY_MS = 300;
const SKELETONS = 6;

/** The filters live in the address bar, so reload, back and shared links show the same list. */
function filtersFrom(params: URLSearchParams): CatalogFilters {
  const q = params.get('q')?.trim() || undefined;
  const language = params.get('language');
  const level = params.get('level');
  const sort = params.get('sort');
  return {
    q,
    language: language === 'en' || language === 'ar' ? language : undefined,
    level: COURSE_LEVELS.includes(level as Level) ? (level as Level) : undefined,
    tag: params.get('tag') || undefined,
    // Relevance needs words to rank by; without them the API refuses it.
    sort: sort === 'newest' || sort === 'title' || (sort === 'relevance' && q) ? sort : undefined,
  };
}

export function CatalogPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFrom(params), [params]);
  const [text, setText] = useState(filters.q ?? '');
  const ids = useId();

  const update = useCallback(
    (changes: Partial<Record<keyof CatalogFilters, string | undefined>>, replace = false) =>
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [name, value] of Object.entries(changes)) {
            if (value) next.set(name, value);
            else next.delete(name);
          }
          return next;
        },
        { replace },
      ),
    [setParams],
  );

  // Typing replaces the history entry (one back step leaves the search, not each letter of it).
  useEffect(() => {
    const q = text.trim();
    if (q === (filters.q ?? '')) return;
    const timer = setTimeout(() => update({ q: q || undefined }, true), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, filters.q, update]);
  // Back/forward move the address bar under the field: follow it (adjusted while rendering, not in an effect).
  const [shownQ, setShownQ] = useState(filters.q);
  if (shownQ !== filters.q) {
    setShownQ(filters.q);
    if (text.trim() !== (filters.q ?? '')) setText(filters.q ?? '');
  }

  useEffect(() => {
    if (!filters.q) return;
    const props: Record<string, string> = { q: filters.q };
    for (const name of ['language', 'level', 'tag', 'sort'] as const) if (filters[name]) props[name] = filters[name];
    track({ type: 'search', props });
  }, [filters]);

  const courses = useInfiniteQuery(catalogQuery(filters));
  const items = useMemo(() => courses.data?.pages.flatMap((page) => page.items) ?? [], [courses.data]);
  const tags = useMemo(() => [...new Set([...items.flatMap((course) => course.tags), ...(filters.tag ? [filters.tag] : [])])].sort(), [items, filters.tag]);
  const sort: Sort = filters.sort ?? (filters.q ? 'relevance' : 'newest');
  const filtered = Boolean(filters.q || filters.language || filters.level || filters.tag);

  return (
    <div className="page catalog">
      <h1>{t('learner.catalog.title')}</h1>
      <form
        role="search"
        className="catalog-controls"
        onSubmit={(event) => {
          event.preventDefault();
          update({ q: text.trim() || undefined }, true);
        }}
      >
        <label className="field catalog-search" htmlFor={`${ids}-q`}>
          <span>{t('learner.catalog.search')}</span>
          <input
            id={`${ids}-q`}
            type="search"
            value={text}
            placeholder={t('learner.catalog.searchPlaceholder')}
            onChange={(event) => setText(event.target.value)}
          />
        </label>
        <fieldset className="catalog-filters">
          <legend className="visually-hidden">{t('learner.catalog.filters')}</legend>
          <FilterSelect
            label={t('learner.catalog.language')}
            value={filters.language}
            options={(['en', 'ar'] as CourseLanguage[]).map((language) => ({ value: language, label: t(`learner.language.${language}`) }))}
            onChange={(language) => update({ language })}
          />
          <FilterSelect
            label={t('learner.catalog.level')}
            value={filters.level}
            options={COURSE_LEVELS.map((level) => ({ value: level, label: t(`learner.level.${level}`) }))}
            onChange={(level) => update({ level })}
          />
          <FilterSelect label={t('learner.catalog.tag')} value={filters.tag} options={tags.map((tag) => ({ value: tag, label: tag }))} onChange={(tag) => update({ tag })} />
          <label className="field">
            <span>{t('learner.catalog.sort')}</span>
            <select value={sort} onChange={(event) => update({ sort: event.target.value })}>
              {filters.q && <option value="relevance">{t('learner.catalog.sort.relevance')}</option>}
              <option value="newest">{t('learner.catalog.sort.newest')}</option>
              <option value="title">{t('learner.catalog.sort.title')}</option>
            </select>
          </label>
        </fieldset>
      </form>

      {/* Suggestions belong to browsing; a search or a filter asks for something else. */}
      {!filtered && <ForYou />}
      <section aria-label={t('learner.catalog.results')} aria-busy={courses.isFetching}>
        {courses.isPending ? (
          <ul className="grid course-grid" aria-hidden="true">
            {Array.from({ length: SKELETONS }, (_, index) => (
              <li key={index} className="course-card skeleton">
                <div className="cover" />
                <div className="course-card-body">
                  <div className="skeleton-line wide" />
                  <div className="skeleton-line" />
                  <div className="skeleton-line short" />
                </div>
              </li>
            ))}
          </ul>
        ) : courses.isError && items.length === 0 ? (
          <ErrorMessage error={courses.error} onRetry={() => void courses.refetch()} />
        ) : items.length === 0 ? (
          <div className="empty-state card">
            <p>{t('learner.catalog.empty')}</p>
            {filtered && (
              <>
                <p className="muted">{t('learner.catalog.emptyHint')}</p>
                <button
                  type="button"
                  className="button secondary"
                  onClick={() => {
                    setText('');
                    setParams({});
                  }}
                >
                  {t('learner.catalog.clear')}
                </button>
              </>
            )}
          </div>
        ) : (
          <>
            <ul className="grid course-grid">
              {items.map((course, index) => (
                <li key={course.id}>
                  <CourseCardView course={course} eager={index < 3} />
                </li>
              ))}
            </ul>
            {courses.isFetchNextPageError && <ErrorMessage error={courses.error} onRetry={() => void courses.fetchNextPage()} />}
            <MorePages
              hasMore={courses.hasNextPage}
              loading={courses.isFetchingNextPage}
              failed={courses.isFetchNextPageError}
              onMore={() => void courses.fetchNextPage()}
            />
          </>
        )}
      </section>
      {filters.q && <SpokenHits q={filters.q} />}
    </div>
  );
}

/** "In the lessons": where the lessons' captions say the words, each a link to that moment. */
function SpokenHits({ q }: { q: string }) {
  const { t } = useI18n();
  const hits = useQuery(spokenQuery(q));
  if (hits.isError) return <ErrorMessage error={hits.error} onRetry={() => void hits.refetch()} />;
  if (!hits.data?.items.length) return null;
  return (
    <section className="spoken-hits" aria-labelledby="spoken-hits-title">
      <h2 id="spoken-hits-title">{t('learner.catalog.spoken')}</h2>
      <ul className="spoken-hit-list">
        {hits.data.items.map((hit) => (
          <li key={`${hit.lessonId}-${hit.language}`} className="spoken-hit card">
            <Link to={`${lessonPath({ slug: hit.courseSlug }, hit.lessonId)}?t=${hit.startSeconds}`} className="spoken-hit-link">
              <bdi className="spoken-hit-lesson">{hit.lessonTitle}</bdi>
              <span className="muted small">
                <bdi>{hit.courseTitle}</bdi> · <span dir="ltr">{formatClock(hit.startSeconds)}</span>
              </span>
            </Link>
            <p className="spoken-hit-snippet" lang={hit.language} dir="auto">
              <Highlighted text={hit.snippet} ranges={hit.highlights} />
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** One filter: "any" (empty, dropped from the address) or one of its values. */
function FilterSelect({ label, value, options, onChange }: { label: string; value: string | undefined; options: Array<{ value: string; label: string }>; onChange(value: string): void }) {
  const { t } = useI18n();
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value ?? ''} onChange={(event) => onChange(event.target.value)}>
        <option value="">{t('learner.catalog.any')}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function CourseCardView({ course, eager }: { course: CourseCard; eager: boolean }) {
  const { t, formatNumber } = useI18n();
  return (
    <article className="course-card">
      <Cover title={course.title} url={course.coverImageUrl} eager={eager} />
      <div className="course-card-body">
        <h2 className="course-card-title">
          {/* The whole card is clickable through this link's stretched ::after; the text stays one link for screen readers. */}
          <Link to={`/courses/${encodeURIComponent(course.slug)}`} className="stretched-link" lang={course.language} dir="auto">
            {course.title}
          </Link>
        </h2>
        <p className="course-card-summary muted" lang={course.language}>
          <bdi>{course.summary}</bdi>
        </p>
        <ul className="chips">
          <li className="chip">{t(`learner.level.${course.level}`)}</li>
          <li className="chip">{t(`learner.language.${course.language}`)}</li>
          <li className="chip">{t('learner.course.lessonCount', { count: formatNumber(course.lessonCount) })}</li>
        </ul>
        <p className="course-card-price">
          <span className="visually-hidden">{t('learner.price.label')}: </span>
          <PriceTag course={course} />
        </p>
      </div>
    </article>
  );
}

/**
 * Infinite scroll: the next page starts loading when the sentinel comes within a screen of the
 * viewport; the button does the same for keyboard and screen-reader users (and when observers fail).
 */
function MorePages({ hasMore, loading, failed, onMore }: { hasMore: boolean; loading: boolean; failed: boolean; onMore: () => void }) {
  const { t } = useI18n();
  const sentinel = useRef<HTMLDivElement>(null);
  const more = useRef(onMore);
  useEffect(() => {
    more.current = onMore;
  });
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !hasMore || loading || failed) return;
    const observer = new IntersectionObserver((entries) => entries.some((entry) => entry.isIntersecting) && more.current(), { rootMargin: '100% 0px' });
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasMore, loading, failed]);
  return (
    <div className="more-pages" ref={sentinel}>
      {hasMore ? (
        <button type="button" className="button secondary" onClick={onMore} disabled={loading} aria-busy={loading}>
          {loading ? t('learner.catalog.loadingMore') : t('learner.catalog.loadMore')}
        </button>
      ) : (
        <p className="muted small">{t('learner.catalog.end')}</p>
      )}
    </div>
  );
}
