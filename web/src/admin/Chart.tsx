import { useEffect, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useI18n } from '../i18n/i18n.tsx';

/** What a chart draws: one value per category, in order (days, funnel stages, courses, …). */
export interface ChartData {
  categories: string[];
  values: number[];
  /** The y axis' ticks, in the reader's language. */
  format: (value: number) => string;
  /** Counts get whole-number ticks; shares and minutes may not. */
  whole?: boolean;
  /** A fixed top of the y axis (1 for shares); otherwise a little above the largest value. */
  max?: number;
}

/** Canvas height; the box is reserved in CSS with the same height so nothing moves when it draws. */
const CHART_HEIGHT = 220;
const BRAND = '#0f4c81';
const AXIS = '#59636e';
const GRID = '#e3e8ee';
const LABEL_CHARS = 14;
/** About how wide a character of the axis font is (Arabic's are wider than Latin), to fit a bar's label under it. */
const CHAR_PX = 8;
const WHOLE_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1e6, 1e7, 1e8];

/** Bars at most 60 % of their slot and 64 px wide: a single course does not fill the chart. */
const bars = uPlot.paths.bars?.({ size: [0.6, 64] });

const shorten = (label: string, chars: number) => (label.length > chars ? `${label.slice(0, Math.max(1, chars - 1))}…` : label);

function optionsFor(kind: 'line' | 'bar', data: ChartData, width: number, rtl: boolean): uPlot.Options {
  const last = data.categories.length - 1;
  const top = data.max ?? Math.max(1, ...data.values) * 1.15;
  return {
    width,
    height: CHART_HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { show: kind === 'line' } },
    scales: {
      // Arabic reads the categories (and time) from the right, like the rest of the page.
      x: { time: false, dir: rtl ? -1 : 1, range: kind === 'bar' ? [-0.5, last + 0.5] : [0, Math.max(1, last)] },
      y: { range: [0, top] },
    },
    axes: [
      {
        stroke: AXIS,
        grid: { show: false },
        // Ticks only on the categories, as many as fit (every one for a few bars, every few days for a month).
        incrs: [1, 2, 3, 5, 7, 10, 14, 20, 30, 60, 90],
        space: kind === 'bar' ? 20 : 56,
        values: (u, splits) => {
          // A bar's label gets its slot's width (narrow on phones); the full names are in the table.
          const chars = kind === 'bar' ? Math.min(LABEL_CHARS, Math.floor((u.width / data.categories.length - 12) / CHAR_PX)) : LABEL_CHARS;
          return splits.map((i) => (Number.isInteger(i) ? shorten(data.categories[i] ?? '', chars) : ''));
        },
      },
      {
        stroke: AXIS,
        side: rtl ? 1 : 3,
        grid: { stroke: GRID, width: 1 },
        incrs: data.whole ? WHOLE_INCRS : undefined,
        size: 56,
        values: (_u, splits) => splits.map((v) => data.format(v)),
      },
    ],
    series: [
      {},
      kind === 'bar'
        ? { stroke: BRAND, fill: BRAND, width: 0, paths: bars, points: { show: false } }
        : { stroke: BRAND, fill: 'rgb(15 76 129 / 12%)', width: 2, points: { show: data.values.length <= 31, size: 5, fill: BRAND } },
    ],
  };
}

/**
 * One uPlot chart that follows its container's width (phones included). The canvas is hidden from
 * screen readers: the figure's caption names it and its table (`ChartFigure`) gives the numbers.
 */
function Chart({ kind, data }: { kind: 'line' | 'bar'; data: ChartData }) {
  const box = useRef<HTMLDivElement>(null);
  const { dir } = useI18n();
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const plot = new uPlot(
      optionsFor(kind, data, element.clientWidth, dir === 'rtl'),
      [data.categories.map((_, i) => i), data.values],
      element,
    );
    const resize = new ResizeObserver(([entry]) => {
      const width = Math.floor(entry?.contentRect.width ?? 0);
      if (width > 0 && width !== plot.width) plot.setSize({ width, height: CHART_HEIGHT });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [kind, data, dir]);
  return <div ref={box} className="chart-canvas" aria-hidden="true" />;
}

/**
 * A chart with its accessible name (the caption), a table of its numbers for screen readers, and a
 * "no data" state in the same reserved space.
 */
export function ChartFigure({
  id,
  title,
  kind,
  data,
  headers,
  controls,
  placeholder,
}: {
  id: string;
  title: string;
  kind: 'line' | 'bar';
  data: ChartData;
  /** The table's column headers: the category and the value. */
  headers: [string, string];
  controls?: ReactNode;
  /** Shown instead of the chart, in its reserved space: the chart's own loading or error state. */
  placeholder?: ReactNode;
}) {
  const { t } = useI18n();
  const empty = data.values.every((value) => value === 0);
  return (
    <figure className="card chart" aria-labelledby={`${id}-title`} data-chart={id}>
      <figcaption id={`${id}-title`} className="chart-title">
        {title}
      </figcaption>
      {controls}
      {placeholder ? (
        <div className="chart-placeholder">{placeholder}</div>
      ) : empty ? (
        <p className="chart-placeholder muted">{t('admin.chartEmpty')}</p>
      ) : (
        <>
          <Chart kind={kind} data={data} />
          {/* A hidden table would still be as wide as its numbers; a clipped box is not. */}
          <div className="visually-hidden">
            <table>
              <caption>{title}</caption>
              <thead>
                <tr>
                  <th scope="col">{headers[0]}</th>
                  <th scope="col">{headers[1]}</th>
                </tr>
              </thead>
              <tbody>
                {data.categories.map((category, i) => (
                  <tr key={i}>
                    <th scope="row">{category}</th>
                    <td>{data.format(data.values[i] ?? 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </figure>
  );
}
