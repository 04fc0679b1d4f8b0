/**
 * A live line chart of one metric across a group's experiments, drawn by uPlot (a small canvas
 * library made for streaming time series). New points only call `setData` on the existing
 * chart; it is re-created only when the metric, the set of experiments or the best one changes.
 * Hover shows each experiment's params and value; drag to zoom, double-click to reset; the best
 * experiment by the objective is drawn thick; a line with a single point shows as a point.
 */
import * as React from 'react';
import uPlot from 'uplot';

import { AlignedData, alignSeries, SeriesMap } from '../model';

const HEIGHT = 180;
/** Colours told apart by people with common colour-vision deficiencies (Okabe–Ito + extras). */
const PALETTE = [
  '#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#999999', '#F0E442',
  '#000000', '#8C564B'
];
const BEST = '#D62728';

export interface ChartProps {
  series: SeriesMap;
  metrics: string[];
  metric: string | null;
  /** experiment id → its varying params (`lr=0.01`), for the legend and hover. */
  labels: Record<number, string>;
  best: number | null;
  onMetric: (metric: string) => void;
}

function fewPoints(u: uPlot, seriesIdx: number): boolean {
  const ys = u.data[seriesIdx] as (number | null)[];
  let n = 0;
  for (const y of ys) {
    if (y !== null && y !== undefined && ++n >= 3) {
      return false;
    }
  }
  return true;
}

function asData(aligned: AlignedData): uPlot.AlignedData {
  return [aligned.xs, ...aligned.ys] as uPlot.AlignedData;
}

/** A theme colour for the canvas (CSS variables do not reach it). */
function themeColor(node: HTMLElement, name: string, fallback: string): string {
  return getComputedStyle(node).getPropertyValue(name).trim() || fallback;
}

function options(
  metric: string, aligned: AlignedData, labels: Record<number, string>, best: number | null,
  width: number, node: HTMLElement
): uPlot.Options {
  const ink = themeColor(node, '--jp-ui-font-color1', '#333');
  const grid = { stroke: themeColor(node, '--jp-border-color2', '#ddd'), width: 1 };
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false } },
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    axes: [
      {
        label: 'step', size: 34, labelSize: 14, stroke: ink, grid, ticks: grid,
        // steps are whole numbers: no 0.5 ticks
        values: (_u, ticks) => ticks.map(t => (Number.isInteger(t) ? String(t) : ''))
      },
      { label: metric, size: 48, labelSize: 14, stroke: ink, grid, ticks: grid }
    ],
    series: [
      { label: 'step' },
      ...aligned.experiments.map((id, i) => {
        const isBest = id === best;
        const color = isBest ? BEST : PALETTE[i % PALETTE.length];
        const label = `#${id}${labels[id] ? ` ${labels[id]}` : ''}${isBest ? ' ★' : ''}`;
        return {
          label,
          stroke: color,
          width: isBest ? 2.5 : 1.25,
          spanGaps: true,
          // too few points for a line: draw them as points (decided on every redraw)
          points: { show: fewPoints, size: 6, fill: color }
        };
      })
    ]
  };
}

export function MetricChart(props: ChartProps): JSX.Element {
  const { series, metrics, metric, labels, best, onMetric } = props;
  const host = React.useRef<HTMLDivElement>(null);
  const chart = React.useRef<{ plot: uPlot; key: string } | null>(null);
  const aligned = React.useMemo(() => (metric ? alignSeries(series, metric) : null), [series, metric]);
  // The canvas takes the theme's colours when drawn: a theme switch draws it again.
  const [theme, setTheme] = React.useState(() => document.body.dataset.jpThemeLight ?? '');
  React.useEffect(() => {
    // (a moment later: the new theme's stylesheet settles after the attribute changes)
    const observer = new MutationObserver(() =>
      setTimeout(() => setTheme(`${document.body.dataset.jpThemeLight ?? ''}@${Date.now()}`), 250)
    );
    observer.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-light'] });
    return () => observer.disconnect();
  }, []);

  React.useEffect(() => {
    const node = host.current;
    if (!node || !metric || !aligned || !aligned.experiments.length) {
      chart.current?.plot.destroy();
      chart.current = null;
      return;
    }
    const key = `${metric}|${aligned.experiments.join(',')}|${best}|${JSON.stringify(labels)}|${theme}`;
    if (chart.current && chart.current.key === key) {
      chart.current.plot.setData(asData(aligned)); // new points: no new chart
      return;
    }
    chart.current?.plot.destroy();
    const width = Math.max(160, node.clientWidth || 280);
    const opts = options(metric, aligned, labels, best, width, node);
    opts.hooks = {
      // what the chart shows, readable from the page (tests, screen readers' tooling)
      setScale: [u => {
        const { min, max } = u.scales.x;
        node.dataset.xRange = `${min ?? ''}:${max ?? ''}`;
      }],
      draw: [u => {
        node.dataset.markers = u.series.slice(1).some((_s, i) => fewPoints(u, i + 1)) ? 'yes' : 'no';
      }]
    };
    node.dataset.created = String(Number(node.dataset.created ?? 0) + 1);
    chart.current = { plot: new uPlot(opts, asData(aligned), node), key };
  }, [aligned, metric, best, labels, theme]);

  React.useEffect(() => {
    const node = host.current;
    if (!node || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(() => {
      const width = node.clientWidth;
      if (chart.current && width > 0 && Math.abs(chart.current.plot.width - width) > 2) {
        chart.current.plot.setSize({ width, height: HEIGHT });
      }
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  React.useEffect(() => () => chart.current?.plot.destroy(), []);

  const total = aligned?.total ?? 0;
  return (
    <section className="jp-mlpipe-section" aria-label="Metric chart">
      <div className="jp-mlpipe-row">
        <label className="jp-mlpipe-label" htmlFor="jp-mlpipe-chart-metric">
          Metric
        </label>
        <select id="jp-mlpipe-chart-metric" className="jp-mlpipe-select" value={metric ?? ''}
          onChange={event => onMetric(event.target.value)} disabled={!metrics.length}>
          {metrics.map(name => (
            <option key={name} value={name}>{name}</option>
          ))}
        </select>
      </div>
      <figure className="jp-mlpipe-chart" data-points={total}
        data-series={aligned?.experiments.length ?? 0} hidden={!total}
        aria-label={metric ? `${metric} by step for ${aligned?.experiments.length ?? 0} experiments` : ''}>
        <div ref={host} className="jp-mlpipe-uplot" />
        <figcaption className="jp-mlpipe-muted">drag to zoom · double-click to reset</figcaption>
      </figure>
      {!total ? <p className="jp-mlpipe-muted">Waiting for the first metrics…</p> : null}
    </section>
  );
}
