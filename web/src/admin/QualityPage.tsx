import { useMemo } from 'react';
import { RequireRole } from '../auth/RequireRole.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Loading, QueryState } from '../ui/states.tsx';
import { ChartFigure, type ChartData } from './Chart.tsx';
import { DataTable, formatShare, Kpi, ReportPage, useReportScope } from './ReportParts.tsx';
import { usePlaybackQuality, type PlaybackQuality, type PlaybackQualityMetrics } from './reports.ts';

export function QualityPage() {
  return (
    <RequireRole roles={['admin', 'instructor']}>
      <QualityDashboard />
    </RequireRole>
  );
}

function QualityDashboard() {
  const { t } = useI18n();
  const scope = useReportScope();
  const quality = usePlaybackQuality(scope.filters);
  return (
    <ReportPage title={t('admin.quality.title')} busy={quality.isPlaceholderData && quality.isFetching} scope={scope}>
      <QueryState query={quality} loading={<Loading />}>
        {(data) => <QualityReport quality={data.quality} />}
      </QueryState>
    </ReportPage>
  );
}

/** How the report's measures read: times, bitrates and shares in the reader's language; '—' where there is none. */
function useQualityFormat() {
  const { t, formatNumber } = useI18n();
  return useMemo(() => {
    const or = <T,>(value: T | null, format: (value: T) => string) => (value === null ? t('admin.none') : format(value));
    const ms = (value: number | null) => or(value, (v) => formatNumber(v / 1000, { style: 'unit', unit: 'second', maximumFractionDigits: 2 }));
    const share = (value: number | null) => or(value, (v) => formatShare(v, formatNumber));
    const bitrate = (value: number | null) => or(value, (v) => formatNumber(v / 1e6, { style: 'unit', unit: 'megabit-per-second', maximumFractionDigits: 2 }));
    return { ms, share, bitrate };
  }, [t, formatNumber]);
}

function QualityReport({ quality }: { quality: PlaybackQuality }) {
  const { t, formatNumber, formatDate, language } = useI18n();
  const format = useQualityFormat();
  const regions = useMemo(() => new Intl.DisplayNames([language], { type: 'region' }), [language]);

  const charts = useMemo(() => {
    const days = quality.days.map((day) => formatDate(day.day, { month: 'short', day: 'numeric', timeZone: 'UTC' }));
    const shares = (categories: string[], values: number[]): ChartData => ({ categories, values, format: (v) => formatShare(v, formatNumber) });
    const { stalled, smooth } = quality.learning;
    return {
      // Plain numbers on the axis (its labels have little room); the title names the unit.
      startup: { categories: days, values: quality.days.map((day) => (day.startupP50Ms ?? 0) / 1000), format: (v: number) => formatNumber(v, { maximumFractionDigits: 2 }) },
      rebuffering: shares(
        days,
        quality.days.map((day) => day.rebufferingRatio ?? 0),
      ),
      renditions: {
        categories: quality.renditions.map((row) => row.rendition || t('admin.quality.noRendition')),
        values: quality.renditions.map((row) => row.watchTimeSeconds / 60),
        format: (v: number) => formatNumber(v, { maximumFractionDigits: 1 }),
      },
      completion: {
        ...shares([t('admin.quality.stalled'), t('admin.quality.smooth')], [stalled.completionRate ?? 0, smooth.completionRate ?? 0]),
        max: 1,
      },
    };
  }, [quality, t, formatNumber, formatDate]);

  const columns = [
    t('admin.col.plays'),
    t('admin.quality.startupP50'),
    t('admin.quality.startupP95'),
    t('admin.quality.rebuffering'),
    t('admin.quality.failureRate'),
    t('admin.quality.bitrate'),
  ];
  const cells = (row: PlaybackQualityMetrics) => [
    formatNumber(row.plays),
    format.ms(row.startupP50Ms),
    format.ms(row.startupP95Ms),
    format.share(row.rebufferingRatio),
    format.share(row.failureRate),
    format.bitrate(row.averageBitrate),
  ];
  const countryName = (code: string) => (code === 'XX' ? t('admin.unknownCountry') : (regions.of(code) ?? code));
  const { total, learning } = quality;

  if (total.plays === 0 && total.watchTimeSeconds === 0)
    return (
      <p className="card admin-empty" role="status">
        {t('admin.empty')}
      </p>
    );
  return (
    <>
      <dl className="admin-kpis">
        <Kpi name="plays" label={t('admin.kpi.plays')} value={formatNumber(total.plays)} />
        <Kpi name="startupP50" label={t('admin.quality.startupP50')} value={format.ms(total.startupP50Ms)} />
        <Kpi name="startupP95" label={t('admin.quality.startupP95')} value={format.ms(total.startupP95Ms)} />
        <Kpi name="rebuffering" label={t('admin.quality.rebuffering')} value={format.share(total.rebufferingRatio)} />
        <Kpi name="failureRate" label={t('admin.quality.failureRate')} value={format.share(total.failureRate)} />
        <Kpi name="bitrate" label={t('admin.quality.bitrate')} value={format.bitrate(total.averageBitrate)} />
      </dl>
      <div className="admin-charts">
        <ChartFigure id="startup" title={t('admin.quality.chart.startup')} kind="line" data={charts.startup} headers={[t('admin.col.day'), t('admin.quality.seconds')]} />
        <ChartFigure id="rebuffering" title={t('admin.quality.chart.rebuffering')} kind="line" data={charts.rebuffering} headers={[t('admin.col.day'), t('admin.quality.rebuffering')]} />
        <ChartFigure id="renditions" title={t('admin.quality.chart.renditions')} kind="bar" data={charts.renditions} headers={[t('admin.quality.rendition'), t('admin.col.minutes')]} />
        <ChartFigure id="stall-completion" title={t('admin.quality.chart.completion')} kind="bar" data={charts.completion} headers={[t('admin.quality.viewingKind'), t('admin.kpi.completionRate')]} />
      </div>
      <div className="admin-tables">
        <DataTable
          id="stalls-and-learning"
          title={t('admin.quality.learning')}
          headers={[t('admin.quality.viewingKind'), t('admin.col.viewings'), t('admin.kpi.completionRate'), t('admin.quality.reachedHalf')]}
          rows={(['stalled', 'smooth'] as const).map((kind) => [
            t(`admin.quality.${kind}`),
            formatNumber(learning[kind].viewings),
            format.share(learning[kind].completionRate),
            format.share(learning[kind].dropOff[10]?.share ?? null),
          ])}
        />
        <DataTable id="quality-renditions" title={t('admin.quality.byRendition')} headers={[t('admin.quality.rendition'), ...columns]} rows={quality.renditions.map((row) => [row.rendition || t('admin.quality.noRendition'), ...cells(row)])} />
        <DataTable id="quality-countries" title={t('admin.quality.byCountry')} headers={[t('admin.col.country'), ...columns]} rows={quality.countries.map((row) => [countryName(row.country), ...cells(row)])} />
        <DataTable id="quality-devices" title={t('admin.quality.byDevice')} headers={[t('admin.col.device'), ...columns]} rows={quality.devices.map((row) => [t(`admin.device.${row.device}`), ...cells(row)])} />
      </div>
    </>
  );
}
