import { useCallback, useMemo, useState } from 'react';
import { RequireRole } from '../auth/RequireRole.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ErrorMessage, Loading, QueryState } from '../ui/states.tsx';
import { ChartFigure, type ChartData } from './Chart.tsx';
import { DataTable, formatShare, Kpi, ReportPage, useReportScope } from './ReportParts.tsx';
import { useDashboard, useDropOff, useLessonTitles, type Dashboard, type Filters } from './reports.ts';

export function DashboardPage() {
  return (
    <RequireRole roles={['admin', 'instructor']}>
      <AnalyticsDashboard />
    </RequireRole>
  );
}

function AnalyticsDashboard() {
  const { t } = useI18n();
  const scope = useReportScope();
  const dashboard = useDashboard(scope.filters);
  return (
    <ReportPage title={t('admin.title')} busy={dashboard.isPlaceholderData && dashboard.isFetching} scope={scope}>
      <QueryState query={dashboard} loading={<Loading />}>
        {(data) => <Report data={data} filters={scope.filters} courseTitles={scope.courseTitles} />}
      </QueryState>
    </ReportPage>
  );
}

function Report({ data, filters, courseTitles }: { data: Dashboard; filters: Filters; courseTitles: Map<string, string> }) {
  const { t, formatNumber, formatDate, formatDuration: duration, language } = useI18n();
  const { summary, top, funnel, breakdown, captions } = data;
  const videoCourses = useMemo(() => [...new Set(top.videos.map((video) => video.courseId))], [top.videos]);
  const lessonTitles = useLessonTitles(videoCourses);
  const courseName = useCallback((id: string) => courseTitles.get(id) ?? t('admin.unknownCourse', { id: id.slice(0, 8) }), [courseTitles, t]);
  const videoName = (id: string) => lessonTitles.get(id) ?? t('admin.unknownVideo', { id: id.slice(0, 8) });
  const count = (value: number) => formatNumber(value);

  const charts = useMemo(() => {
    const whole = (categories: string[], values: number[]): ChartData => ({ categories, values, format: (v) => formatNumber(v), whole: true });
    return {
      learners: whole(
        summary.dailyActiveLearners.map((day) => formatDate(day.day, { month: 'short', day: 'numeric', timeZone: 'UTC' })),
        summary.dailyActiveLearners.map((day) => day.learners),
      ),
      watchTime: {
        categories: top.courses.map((course) => courseName(course.courseId)),
        values: top.courses.map((course) => course.watchTimeSeconds / 60),
        format: (v: number) => formatNumber(v, { maximumFractionDigits: 1 }),
      },
      funnel: whole(
        funnel.map((stage) =>
          stage.stage === 'play' ? t('admin.stage.play') : stage.stage === 'complete' ? t('admin.stage.complete') : formatNumber(parseInt(stage.stage, 10) / 100, { style: 'percent' }),
        ),
        funnel.map((stage) => stage.viewings),
      ),
      devices: whole(
        breakdown.devices.map((device) => t(`admin.device.${device.device}`)),
        breakdown.devices.map((device) => device.plays),
      ),
    };
  }, [summary, top.courses, funnel, breakdown.devices, courseName, t, formatNumber, formatDate]);

  const empty = summary.activeLearners === 0 && summary.plays === 0 && summary.enrollments === 0 && breakdown.devices.length === 0;
  const regions = useMemo(() => new Intl.DisplayNames([language], { type: 'region' }), [language]);
  const languages = useMemo(() => new Intl.DisplayNames([language], { type: 'language' }), [language]);
  /** A caption track's language by name ('' is viewing without captions). */
  const captionsName = (tag: string) => (tag ? (languages.of(tag) ?? tag) : t('admin.captions.off'));
  const countryName = (code: string) => {
    if (code === 'XX') return t('admin.unknownCountry');
    try {
      return regions.of(code) ?? code;
    } catch {
      return code;
    }
  };

  return (
    <>
      <section aria-labelledby="admin-kpis">
        <h2 id="admin-kpis" className="visually-hidden">
          {t('admin.kpis')} {t('admin.range', { from: formatDate(data.from, { timeZone: 'UTC' }), to: formatDate(data.to, { timeZone: 'UTC' }) })}
        </h2>
        <dl className="admin-kpis">
          <Kpi name="activeLearners" label={t('admin.kpi.activeLearners')} value={count(summary.activeLearners)} />
          <Kpi name="enrollments" label={t('admin.kpi.enrollments')} value={count(summary.enrollments)} />
          <Kpi name="plays" label={t('admin.kpi.plays')} value={count(summary.plays)} />
          <Kpi name="watchTime" label={t('admin.kpi.watchTime')} value={duration(summary.watchTimeSeconds)} />
          <Kpi
            name="averageWatchTime"
            label={t('admin.kpi.averageWatchTime')}
            value={summary.averageWatchTimeSeconds === null ? t('admin.none') : duration(summary.averageWatchTimeSeconds)}
          />
          <Kpi name="completionRate" label={t('admin.kpi.completionRate')} value={summary.completionRate === null ? t('admin.none') : formatShare(summary.completionRate, formatNumber)} />
        </dl>
      </section>
      {empty ? (
        <p className="card admin-empty" role="status">
          {t('admin.empty')}
        </p>
      ) : (
        <>
          <div className="admin-charts">
            <ChartFigure id="learners" title={t('admin.chart.learners')} kind="line" data={charts.learners} headers={[t('admin.col.day'), t('admin.col.learners')]} />
            <ChartFigure id="watch-time" title={t('admin.chart.watchTime')} kind="bar" data={charts.watchTime} headers={[t('admin.col.course'), t('admin.col.minutes')]} />
            <ChartFigure id="funnel" title={t('admin.chart.funnel')} kind="bar" data={charts.funnel} headers={[t('admin.col.stage'), t('admin.col.viewings')]} />
            <DropOffChart videos={top.videos} filters={filters} videoName={videoName} />
            <ChartFigure id="devices" title={t('admin.chart.devices')} kind="bar" data={charts.devices} headers={[t('admin.col.device'), t('admin.col.plays')]} />
          </div>
          <div className="admin-tables">
            <DataTable
              id="top-courses"
              title={t('admin.topCourses')}
              headers={[t('admin.col.course'), t('admin.col.plays'), t('admin.col.watchTime'), t('admin.col.enrollments')]}
              rows={top.courses.map((course) => [courseName(course.courseId), count(course.plays), duration(course.watchTimeSeconds), count(course.enrollments)])}
            />
            <DataTable
              id="countries"
              title={t('admin.countries')}
              headers={[t('admin.col.country'), t('admin.col.learners'), t('admin.col.plays'), t('admin.col.watchTime')]}
              rows={breakdown.countries.map((country) => [countryName(country.country), count(country.learners), count(country.plays), duration(country.watchTimeSeconds)])}
            />
            <DataTable
              id="captions"
              title={t('admin.captions')}
              headers={[t('admin.col.captions'), t('admin.col.watchTime'), t('admin.col.share')]}
              rows={captions.map((row) => [captionsName(row.language), duration(row.watchTimeSeconds), formatShare(row.share, formatNumber)])}
            />
            <DataTable
              id="top-videos"
              textColumns={2}
              title={t('admin.topVideos')}
              headers={[t('admin.col.video'), t('admin.col.course'), t('admin.col.plays'), t('admin.col.watchTime'), t('admin.col.completions')]}
              rows={top.videos.map((video) => [
                videoName(video.videoId),
                courseName(video.courseId),
                count(video.plays),
                duration(video.watchTimeSeconds),
                count(video.completions),
              ])}
            />
          </div>
        </>
      )}
    </>
  );
}

/** The drop-off curve of one of the top videos, chosen here; it has its own request. */
function DropOffChart({ videos, filters, videoName }: { videos: Dashboard['top']['videos']; filters: Filters; videoName: (id: string) => string }) {
  const { t, formatNumber } = useI18n();
  const [chosen, setChosen] = useState<string>();
  // A new range or course may not have the video chosen before: fall back to the most played.
  const videoId = videos.some((video) => video.videoId === chosen) ? chosen : videos[0]?.videoId;
  const dropOff = useDropOff(videoId, filters);
  const data = useMemo<ChartData>(() => {
    const curve = dropOff.data?.dropOff.curve ?? [];
    const percent = (share: number) => formatShare(share, formatNumber);
    return { categories: curve.map((point) => percent(point.percent / 100)), values: curve.map((point) => point.share ?? 0), format: percent, max: 1 };
  }, [dropOff.data, formatNumber]);

  const controls = videoId && (
    <div className="row chart-controls">
      <label className="row">
        {t('admin.dropOff.video')}
        <select value={videoId} onChange={(event) => setChosen(event.target.value)}>
          {videos.map((video) => (
            <option key={video.videoId} value={video.videoId}>
              {videoName(video.videoId)}
            </option>
          ))}
        </select>
      </label>
      {dropOff.data && <span className="muted small">{t('admin.dropOff.viewers', { count: formatNumber(dropOff.data.dropOff.viewers) })}</span>}
    </div>
  );

  const placeholder = dropOff.isError ? (
    <ErrorMessage error={dropOff.error} onRetry={() => void dropOff.refetch()} />
  ) : videoId && dropOff.isPending ? (
    <Loading />
  ) : undefined;
  return (
    <ChartFigure
      id="drop-off"
      title={t('admin.chart.dropOff')}
      kind="line"
      data={data}
      headers={[t('admin.col.position'), t('admin.col.stillWatching')]}
      controls={controls}
      placeholder={placeholder}
    />
  );
}

