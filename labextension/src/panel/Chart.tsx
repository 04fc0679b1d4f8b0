/** A live line chart of one metric across a group's experiments, drawn as SVG. */
import * as React from 'react';

import { chartModel, formatValue, SeriesMap } from '../model';

const WIDTH = 320;
const HEIGHT = 160;
const COLORS = 10;

export interface ChartProps {
  series: SeriesMap;
  metrics: string[];
  metric: string | null;
  onMetric: (metric: string) => void;
}

export function MetricChart(props: ChartProps): JSX.Element {
  const { series, metrics, metric, onMetric } = props;
  const model = metric ? chartModel(series, metric, WIDTH, HEIGHT) : null;
  return (
    <section className="jp-mlpipe-section" aria-label="Metric chart">
      <div className="jp-mlpipe-row">
        <label className="jp-mlpipe-label" htmlFor="jp-mlpipe-chart-metric">
          Metric
        </label>
        <select
          id="jp-mlpipe-chart-metric"
          className="jp-mlpipe-select"
          value={metric ?? ''}
          onChange={event => onMetric(event.target.value)}
          disabled={!metrics.length}
        >
          {metrics.map(name => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      {model ? (
        <figure className="jp-mlpipe-chart" data-points={model.lines.reduce((n, l) => n + l.points, 0)}>
          <svg
            viewBox={`-40 -8 ${WIDTH + 48} ${HEIGHT + 26}`}
            role="img"
            aria-label={`${metric} by step for ${model.lines.length} experiments`}
          >
            <line className="jp-mlpipe-axis" x1={0} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} />
            <line className="jp-mlpipe-axis" x1={0} y1={0} x2={0} y2={HEIGHT} />
            <text className="jp-mlpipe-tick" x={-4} y={4} textAnchor="end">
              {formatValue(model.yRange[1])}
            </text>
            <text className="jp-mlpipe-tick" x={-4} y={HEIGHT} textAnchor="end">
              {formatValue(model.yRange[0])}
            </text>
            <text className="jp-mlpipe-tick" x={0} y={HEIGHT + 14}>
              {formatValue(model.xRange[0])}
            </text>
            <text className="jp-mlpipe-tick" x={WIDTH} y={HEIGHT + 14} textAnchor="end">
              {formatValue(model.xRange[1])}
            </text>
            {model.lines.map((line, i) => (
              <path
                key={line.experiment}
                className={`jp-mlpipe-line jp-mlpipe-series-${i % COLORS}`}
                d={line.d}
                data-experiment={line.experiment}
              />
            ))}
          </svg>
          <figcaption className="jp-mlpipe-legend">
            {model.lines.map((line, i) => (
              <span key={line.experiment} className="jp-mlpipe-legend-item">
                <span className={`jp-mlpipe-swatch jp-mlpipe-series-${i % COLORS}`} />#
                {line.experiment}: {formatValue(line.last)}
              </span>
            ))}
          </figcaption>
        </figure>
      ) : (
        <p className="jp-mlpipe-muted">No metric values logged yet.</p>
      )}
    </section>
  );
}
