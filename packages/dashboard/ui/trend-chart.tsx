/**
 * One time-series chart, drawn by uPlot on a canvas, with its figures as text: a table of each
 * series' latest, average and peak value over the range, so the chart reads without colour or
 * sight. The chart follows the light or dark theme (its colours are the CSS variables of the
 * page, read when it is drawn, and again when the preference changes) and its box's width.
 */
// Before uPlot, which reads navigator.language when it loads (see there why). The bare import
// below keeps the import sorter from moving it.
import { pageLanguage } from './page-language';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  readonly label: string;
  /** A CSS variable of the page: `--series-1`. */
  readonly colour: string;
  readonly values: readonly (number | null)[];
}

export interface TrendChartProps {
  /** A stable id, also the `data-chart` attribute. */
  readonly id: string;
  readonly title: string;
  /** Formats a value for the axis, the legend and the figures: `12.5 /s`. */
  readonly format: (value: number) => string;
  /** Point starts, epoch milliseconds. */
  readonly time: readonly number[];
  readonly series: readonly ChartSeries[];
}

const HEIGHT = 200;

/** Formats figures in the page's language: `1,234.5` or `1.234,5`. */
export const numberFormat = new Intl.NumberFormat(pageLanguage, { maximumFractionDigits: 2 });

/** The latest, mean and highest of the values that are there. */
function figures(values: readonly (number | null)[]) {
  let latest: number | null = null;
  let sum = 0;
  let n = 0;
  let peak: number | null = null;
  for (const v of values) {
    if (v === null) continue;
    latest = v;
    sum += v;
    n++;
    peak = peak === null || v > peak ? v : peak;
  }
  return { latest, mean: n === 0 ? null : sum / n, peak, points: n };
}

/** Re-renders when the colour scheme changes, so canvases take the new colours. */
function useScheme(): string {
  const [scheme, setScheme] = useState(() =>
    matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
  );
  useEffect(() => {
    const query = matchMedia('(prefers-color-scheme: dark)');
    const on = () => setScheme(query.matches ? 'dark' : 'light');
    query.addEventListener('change', on);
    return () => query.removeEventListener('change', on);
  }, []);
  return scheme;
}

function options(props: TrendChartProps, box: HTMLElement): uPlot.Options {
  const css = getComputedStyle(box);
  const v = (name: string) => css.getPropertyValue(name).trim();
  const axis: uPlot.Axis = {
    stroke: v('--muted'),
    grid: { stroke: v('--border'), width: 1 },
    ticks: { stroke: v('--border'), width: 1 },
  };
  // Points are drawn filled: a range with one sampled point still shows it.
  return {
    width: Math.max(box.clientWidth, 240),
    height: HEIGHT,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map(props.format) }],
    series: [
      {},
      ...props.series.map((s) => ({
        label: s.label,
        stroke: v(s.colour),
        width: 2,
        spanGaps: false,
        points: { show: true, size: 6, fill: v(s.colour) },
        value: (_u: uPlot, x: number | null) => (x === null ? '–' : props.format(x)),
      })),
    ],
  };
}

function dataOf(props: TrendChartProps): uPlot.AlignedData {
  return [props.time.map((t) => t / 1000), ...props.series.map((s) => s.values as (number | null)[])];
}

export function TrendChart(props: TrendChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const latest = useRef(props);
  latest.current = props;
  const scheme = useScheme();

  // (Re)made when the theme changes; the data follows without remaking it.
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const u = new uPlot(options(latest.current, el), dataOf(latest.current), el);
    chart.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(el.clientWidth, 240), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      chart.current = undefined;
    };
  }, [scheme]);
  useEffect(() => {
    chart.current?.setData(dataOf(props));
  }, [props.time, props.series]);

  const rows = props.series.map((s) => ({ s, f: figures(s.values) }));
  const show = (x: number | null) => (x === null ? '–' : props.format(x));
  return (
    <figure class="trend" data-chart={props.id} aria-labelledby={`chart-${props.id}`}>
      <figcaption id={`chart-${props.id}`}>{props.title}</figcaption>
      <div class="trend-canvas" ref={box} aria-hidden="true" />
      <table class="figures">
        <thead>
          <tr>
            <th scope="col">Series</th>
            <th scope="col">Latest</th>
            <th scope="col">Average</th>
            <th scope="col">Peak</th>
            <th scope="col">Points</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ s, f }) => (
            <tr key={s.label} data-series={s.label}>
              <th scope="row">
                <span class={`swatch ${s.colour.slice(2)}`} aria-hidden="true" />
                {s.label}
              </th>
              <td>{show(f.latest)}</td>
              <td>{show(f.mean)}</td>
              <td>{show(f.peak)}</td>
              <td data-points>{f.points}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
