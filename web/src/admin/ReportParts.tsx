import { useMemo, type ReactNode } from 'react';
import { NavLink, useSearchParams } from 'react-router';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage } from '../ui/states.tsx';
import { useOwnCourses, type Filters } from './reports.ts';
import './admin.css';

/** What the analytics pages share: their range and course in the address, the filters, the tabs, KPI tiles and tables. */
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_DAYS = 30;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The range and course from the address (shareable, kept on reload); the last 30 UTC days by default, like the API. */
function filtersFrom(params: URLSearchParams): Filters {
  const to = params.get('to') ?? isoDay(Date.now());
  const from = params.get('from') ?? isoDay(Date.parse(to) - (DEFAULT_DAYS - 1) * DAY_MS);
  return { from, to, courseId: params.get('course') ?? undefined };
}

/** The range and course in the address, and the courses the caller may filter by (with their titles). */
export function useReportScope() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFrom(params), [params]);
  const courses = useOwnCourses();
  const courseTitles = useMemo(() => new Map(courses.data?.items.map((course) => [course.id, course.title])), [courses.data]);
  const setFilter = (name: 'from' | 'to' | 'course', value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );

  return { filters, setFilter, courses, courseTitles };
}

type ReportScope = ReturnType<typeof useReportScope>;

/** An analytics page: its title, the tabs between the pages (keeping the filters), the filters, then the report. */
export function ReportPage({ title, busy, scope, children }: { title: string; busy: boolean; scope: ReportScope; children: ReactNode }) {
  const { t } = useI18n();
  const { filters, setFilter, courses } = scope;
  const [params] = useSearchParams();
  const search = params.size ? `?${params.toString()}` : '';
  return (
    <div className="page admin-dashboard">
      <div className="admin-heading">
        <h1>{title}</h1>
        <p className="muted small" role="status">
          {busy ? t('admin.updating') : ''}
        </p>
      </div>
      <nav className="admin-tabs" aria-label={t('admin.pages')}>
        <NavLink to={{ pathname: '/analytics', search }} end>
          {t('admin.overview')}
        </NavLink>
        <NavLink to={{ pathname: '/analytics/quality', search }}>{t('admin.quality')}</NavLink>
      </nav>
          <form className="card admin-filters" aria-label={t('admin.filters')} onSubmit={(event) => event.preventDefault()}>
            <label>
              {t('admin.from')}
              <input type="date" name="from" value={filters.from} max={filters.to} required onChange={(event) => setFilter('from', event.target.value)} />
            </label>
            <label>
              {t('admin.to')}
              <input type="date" name="to" value={filters.to} min={filters.from} required onChange={(event) => setFilter('to', event.target.value)} />
            </label>
            <label className="admin-course-filter">
              {t('admin.course')}
              <select name="course" value={filters.courseId ?? ''} onChange={(event) => setFilter('course', event.target.value)}>
                <option value="">{t('admin.allCourses')}</option>
                {courses.data?.items.map((course, _, all) => (
                  <option key={course.id} value={course.id}>
                    {/* A replicated course keeps its home title: the slug tells the two apart. */}
                    {all.some((other) => other.id !== course.id && other.title === course.title) ? `${course.title} (${course.slug})` : course.title}
                  </option>
                ))}
              </select>
            </label>
          </form>
      {courses.isError && <ErrorMessage error={courses.error} onRetry={() => void courses.refetch()} />}
      {children}
    </div>
  );
}

type I18n = ReturnType<typeof useI18n>;

/** Shares (completion, still watching) as percentages with at most one decimal. */
export function formatShare(share: number, formatNumber: I18n['formatNumber']): string {
  return formatNumber(share, { style: 'percent', maximumFractionDigits: 1 });
}

export function Kpi({ name, label, value }: { name: string; label: string; value: string }) {
  return (
    <div className="card admin-kpi" data-kpi={name}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** A report table with real headers; wide ones scroll sideways on phones (the region is focusable for keyboards). */
export function DataTable({ id, title, headers, rows, textColumns = 1 }: { id: string; title: string; headers: string[]; rows: ReactNode[][]; textColumns?: number }) {
  const align = (column: number) => (column < textColumns ? 'text' : undefined);
  const { t } = useI18n();
  return (
    <div className="card admin-table" data-table={id}>
      <h2 id={`${id}-title`}>{title}</h2>
      {rows.length === 0 ? (
        <p className="muted">{t('admin.chartEmpty')}</p>
      ) : (
        <div className="table-scroll" role="region" aria-labelledby={`${id}-title`} tabIndex={0}>
          <table>
            <thead>
              <tr>
                {headers.map((header, i) => (
                  <th key={i} scope="col" className={align(i)}>
                    {header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map(([first, ...rest], i) => (
                <tr key={i}>
                  <th scope="row" className="text">
                    {first}
                  </th>
                  {rest.map((cell, j) => (
                    <td key={j} className={align(j + 1)}>
                      {cell}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
