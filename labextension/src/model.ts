/**
 * Pure panel logic: sorting the experiments table, merging incremental metric batches,
 * scaling series for the chart, summarising counts and operation progress.
 * No DOM, no fetching: the controller feeds these functions and the views render the results.
 */
import { ExperimentRow, MetricPoint, Operation, OperationRequest } from './types';

/** Points per experiment (string id) per metric, in arrival order. */
export type SeriesMap = Record<string, Record<string, MetricPoint[]>>;

/** Which column the table is sorted by: 'id', 'status', 'param:<name>' or 'metric:<name>'. */
export interface SortState {
  key: string;
  ascending: boolean;
}

export const DEFAULT_SORT: SortState = { key: 'id', ascending: true };

/** Clicking the sorted column flips the direction; another column sorts ascending. */
export function toggleSort(current: SortState, key: string): SortState {
  return current.key === key
    ? { key, ascending: !current.ascending }
    : { key, ascending: true };
}

/** The value a row sorts by; metrics sort by their last value. */
export function sortValue(row: ExperimentRow, key: string): number | string | null {
  if (key === 'id') {
    return row.id;
  }
  if (key === 'status') {
    return row.status ?? null;
  }
  if (key.startsWith('param:')) {
    const value = row.params[key.slice(6)];
    return typeof value === 'number' || typeof value === 'string' ? value : null;
  }
  if (key.startsWith('metric:')) {
    return row.metrics[key.slice(7)]?.last ?? null;
  }
  return null;
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/**
 * A sorted copy of `rows`. Missing values go last in both directions; ties keep id order.
 */
export function sortExperiments(rows: ExperimentRow[], sort: SortState): ExperimentRow[] {
  const sign = sort.ascending ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = sortValue(a, sort.key);
    const vb = sortValue(b, sort.key);
    if (va === null || vb === null) {
      if (va !== vb) {
        return va === null ? 1 : -1;
      }
      return a.id - b.id;
    }
    return sign * compareValues(va, vb) || a.id - b.id;
  });
}

/**
 * Merge a batch of new points into the series. Returns a new map (the input is not changed);
 * a series longer than `maxPoints` keeps its newest points. A point equal to the last one
 * already held (same step and time) is dropped, so a repeated batch does not double a curve.
 */
export function mergePoints(
  current: SeriesMap,
  batch: Record<string, Record<string, MetricPoint[]>>,
  maxPoints = 20000
): SeriesMap {
  const next: SeriesMap = { ...current };
  for (const [experiment, metrics] of Object.entries(batch)) {
    const held = { ...(next[experiment] ?? {}) };
    for (const [metric, points] of Object.entries(metrics)) {
      let series = held[metric] ?? [];
      const last = series.length ? series[series.length - 1] : undefined;
      const fresh =
        last === undefined
          ? points
          : points.filter((p, i) => i > 0 || p[0] !== last[0] || p[1] !== last[1]);
      if (fresh.length) {
        series = series.concat(fresh);
        if (series.length > maxPoints) {
          series = series.slice(series.length - maxPoints);
        }
      }
      held[metric] = series;
    }
    next[experiment] = held;
  }
  return next;
}

/** The series without the given experiments (their logs were rewritten by a retry). */
export function dropExperiments(series: SeriesMap, experiments: number[]): SeriesMap {
  if (!experiments.length) {
    return series;
  }
  const next: SeriesMap = { ...series };
  for (const id of experiments) {
    delete next[String(id)];
  }
  return next;
}

/** Every metric name present in the series, sorted. */
export function metricNames(series: SeriesMap): string[] {
  const names = new Set<string>();
  for (const metrics of Object.values(series)) {
    Object.keys(metrics).forEach(name => names.add(name));
  }
  return [...names].sort();
}


/** x is the step when logged, else the point's position in its series. */
function xyPoints(series: MetricPoint[]): [number, number][] {
  const out: [number, number][] = [];
  series.forEach((p, i) => {
    const value = p[2];
    if (value !== null && Number.isFinite(value)) {
      out.push([p[0] ?? i, value]);
    }
  });
  return out;
}

const STATUS_ORDER = ['running', 'queued', 'succeeded', 'failed', 'stopped', 'timed-out'];

/** "2 running · 3 succeeded" in a fixed status order; empty counts give "no experiments". */
export function summarizeCounts(counts: Record<string, number>): string {
  const keys = Object.keys(counts).sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b)
  );
  const parts = keys.filter(k => counts[k] > 0).map(k => `${counts[k]} ${k}`);
  return parts.length ? parts.join(' · ') : 'no experiments';
}

function rank(status: string): number {
  const i = STATUS_ORDER.indexOf(status);
  return i < 0 ? STATUS_ORDER.length : i;
}

const FINAL_GROUP_STATES = ['succeeded', 'failed', 'stopped'];

/**
 * Whether a group still has work that can change (so the panel keeps polling it fast):
 * it has running or queued experiments, or the group itself has not reached a final state
 * (a group just created has no experiments yet).
 */
export function isActive(counts: Record<string, number>, groupStatus?: string | null): boolean {
  if ((counts['running'] ?? 0) + (counts['queued'] ?? 0) > 0) {
    return true;
  }
  return groupStatus !== undefined && !FINAL_GROUP_STATES.includes(groupStatus ?? '');
}

export interface Progress {
  done: number;
  total: number;
  finished: boolean;
  failed: boolean;
  label: string;
}

/** How far an operation got, for a progress bar and its text. */
export function operationProgress(op: Operation): Progress {
  const total = op.steps.length;
  const done = op.steps.filter(s => s.status === 'succeeded' || s.status === 'skipped').length;
  const failed = op.status === 'failed' || op.status === 'damaged';
  const finished = failed || op.status === 'succeeded';
  const current = op.steps.find(s => s.status === 'running');
  let label: string;
  if (failed) {
    label = `failed: ${op.error?.message ?? 'unknown error'}`;
  } else if (op.status === 'succeeded') {
    const deployed = op.result.deploy ?? {};
    const where = deployed.url ?? deployed.endpoint;
    label = deployed.name ? `serving ${String(deployed.name)}${where ? ` at ${String(where)}` : ''}` : 'done';
  } else if (current) {
    label = `${current.name}…`;
  } else {
    label = op.status;
  }
  return { done, total, finished, failed, label };
}

/** A compact number for table cells: integers as is, others to 4 significant digits. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    return Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3
      ? value.toExponential(3)
      : String(Number(value.toPrecision(4)));
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What the predict box sends: inline JSON, or the path of an input file on the server. */
export type PredictInput = { payload: unknown } | { file: string };

/**
 * Parse the predict box: JSON text (an array or a Seldon request object), or a path to a
 * PNG / JPEG / .npy / .json file inside the project folder (anything not starting with [ or {).
 * @throws Error with a message saying what to type instead.
 */
export function parsePayload(text: string): PredictInput {
  const trimmed = text.trim();
  if (!trimmed) {
    throw new Error(
      'type a JSON array like [[1, 2, 3]], {"data": {"ndarray": [[1, 2]]}} or a file path'
    );
  }
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) {
    return { file: trimmed };
  }
  try {
    return { payload: JSON.parse(trimmed) };
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message}) — e.g. [[1, 2, 3]]`);
  }
}

/** What the "Deploy best" form holds; empty texts mean "let the server decide". */
export interface DeployBestForm {
  name: string;
  metric: string;
  mode: '' | 'min' | 'max';
  source: string;
  modelClass: string;
  image: string;
}

/**
 * The POST operations body of "Deploy best": only what the user chose is sent, so the server
 * decides the rest (the group's objective, a unique default name) and never overwrites.
 */
export function deployBestRequest(group: number, form: DeployBestForm): OperationRequest {
  const request: OperationRequest = { action: 'deploy-best', group };
  const text = (value: string): string | undefined => value.trim() || undefined;
  const name = text(form.name);
  const metric = text(form.metric);
  const source = text(form.source);
  const modelClass = text(form.modelClass);
  const image = text(form.image);
  if (name) {
    request.name = name;
  }
  if (metric) {
    request.metric = metric;
  }
  if (form.mode) {
    request.mode = form.mode;
  }
  if (source) {
    request.source = source;
  }
  if (modelClass) {
    request.model_class = modelClass;
  }
  if (image) {
    request.image = image;
  }
  return request;
}

/** A model server's answer as a person reads it: the class, the top scores, the raw JSON. */
export interface ShownPrediction {
  name: string;
  label: string | null;
  top: [string, number][];
  raw: string;
}

/**
 * One metric of every experiment as uPlot wants it: one shared, sorted x array (the steps) and
 * one y array per experiment with null where that experiment has no point at that step.
 */
export interface AlignedData {
  experiments: number[];
  xs: number[];
  ys: (number | null)[][];
  /** Points of each experiment (a line needs two; fewer are drawn as points). */
  counts: number[];
  total: number;
}

export function alignSeries(series: SeriesMap, metric: string): AlignedData {
  const entries = Object.entries(series)
    .map(([experiment, metrics]) => ({ id: Number(experiment), xy: xyPoints(metrics[metric] ?? []) }))
    .filter(entry => entry.xy.length > 0)
    .sort((a, b) => a.id - b.id);
  const counts = entries.map(e => e.xy.length);
  const shared = sharedSteps(entries.map(e => e.xy));
  if (shared) {
    // the usual case (every experiment logs the same steps): no merge, no lookups
    return {
      experiments: entries.map(e => e.id),
      xs: shared,
      ys: entries.map(({ xy }) => xy.map(p => p[1])),
      counts,
      total: counts.reduce((n, c) => n + c, 0)
    };
  }
  const steps = new Set<number>();
  for (const { xy } of entries) {
    for (const [x] of xy) {
      steps.add(x);
    }
  }
  const xs = [...steps].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = entries.map(({ xy }) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    for (const [x, y] of xy) {
      column[index.get(x) as number] = y;
    }
    return column;
  });
  return {
    experiments: entries.map(e => e.id),
    xs,
    ys,
    counts,
    total: counts.reduce((n, c) => n + c, 0)
  };
}

/** The steps every line shares, strictly increasing, or null when they differ. */
function sharedSteps(lines: [number, number][][]): number[] | null {
  const first = lines[0];
  if (!first) {
    return [];
  }
  for (let i = 1; i < first.length; i++) {
    if (!(first[i][0] > first[i - 1][0])) {
      return null;
    }
  }
  for (const line of lines) {
    if (line.length !== first.length) {
      return null;
    }
    for (let i = 0; i < line.length; i++) {
      if (line[i][0] !== first[i][0]) {
        return null;
      }
    }
  }
  return first.map(p => p[0]);
}

/** `lr=0.01, momentum=0.9`: what tells an experiment's line apart (its varying params). */
export function paramsLabel(params: Record<string, unknown>, varying: string[]): string {
  return varying.map(p => `${p}=${formatValue(params[p])}`).join(', ');
}
