import {
  alignSeries,
  paramsLabel,
  DEFAULT_SORT,
  dropExperiments,
  formatValue,
  isActive,
  mergePoints,
  metricNames,
  deployBestRequest,
  operationProgress,
  parsePayload,
  SeriesMap,
  sortExperiments,
  summarizeCounts,
  toggleSort
} from '../src/model';
import { ExperimentRow, ExperimentStatus, Operation } from '../src/types';
import { experimentRow, metric } from './fixtures';

function row(id: number, status: ExperimentStatus, lr: number | null, loss: number | null): ExperimentRow {
  return experimentRow({
    id,
    status,
    params: lr === null ? {} : { lr },
    metrics: loss === null ? {} : { loss: metric(loss) }
  });
}

const rows = [row(3, 'running', 0.1, 0.5), row(1, 'succeeded', 0.01, 0.2), row(2, 'failed', null, null)];

describe('sorting', () => {
  it('sorts by id by default', () => {
    expect(sortExperiments(rows, DEFAULT_SORT).map(r => r.id)).toEqual([1, 2, 3]);
  });

  it('toggles direction on the same key and resets on a new key', () => {
    const once = toggleSort(DEFAULT_SORT, 'metric:loss');
    expect(once).toEqual({ key: 'metric:loss', ascending: true });
    expect(toggleSort(once, 'metric:loss')).toEqual({ key: 'metric:loss', ascending: false });
    expect(toggleSort({ key: 'metric:loss', ascending: false }, 'id')).toEqual({ key: 'id', ascending: true });
  });

  it('sorts by a metric with missing values last in both directions', () => {
    expect(sortExperiments(rows, { key: 'metric:loss', ascending: true }).map(r => r.id)).toEqual([1, 3, 2]);
    expect(sortExperiments(rows, { key: 'metric:loss', ascending: false }).map(r => r.id)).toEqual([3, 1, 2]);
  });

  it('sorts by a param and by status text', () => {
    expect(sortExperiments(rows, { key: 'param:lr', ascending: false }).map(r => r.id)).toEqual([3, 1, 2]);
    expect(sortExperiments(rows, { key: 'status', ascending: true }).map(r => r.status)).toEqual([
      'failed',
      'running',
      'succeeded'
    ]);
  });

  it('does not mutate its input', () => {
    const copy = rows.map(r => r.id);
    sortExperiments(rows, { key: 'metric:loss', ascending: false });
    expect(rows.map(r => r.id)).toEqual(copy);
  });
});

describe('incremental metric merge', () => {
  it('appends new points per experiment and metric without touching the input', () => {
    const first: SeriesMap = mergePoints({}, { '1': { loss: [[0, 1, 0.9], [1, 2, 0.7]] } });
    const second = mergePoints(first, {
      '1': { loss: [[2, 3, 0.5]], acc: [[2, 3, 0.6]] },
      '2': { loss: [[0, 1, 1.1]] }
    });
    expect(first['1'].loss).toHaveLength(2);
    expect(second['1'].loss.map(p => p[2])).toEqual([0.9, 0.7, 0.5]);
    expect(second['1'].acc).toEqual([[2, 3, 0.6]]);
    expect(second['2'].loss).toHaveLength(1);
    expect(metricNames(second)).toEqual(['acc', 'loss']);
  });

  it('drops a repeated boundary point so a re-sent batch does not double the curve', () => {
    const a = mergePoints({}, { '1': { loss: [[0, 1, 0.9], [1, 2, 0.7]] } });
    const b = mergePoints(a, { '1': { loss: [[1, 2, 0.7], [2, 3, 0.6]] } });
    expect(b['1'].loss.map(p => p[0])).toEqual([0, 1, 2]);
  });

  it('drops experiments whose log was rewritten before merging their new points', () => {
    const a = mergePoints({}, { '1': { loss: [[0, 1, 0.9], [1, 2, 0.7]] }, '2': { loss: [[0, 1, 1]] } });
    const b = mergePoints(dropExperiments(a, [1]), { '1': { loss: [[0, 5, 0.8]] } });
    expect(b['1'].loss).toEqual([[0, 5, 0.8]]);
    expect(b['2'].loss).toHaveLength(1);
    expect(dropExperiments(a, [])).toBe(a);
  });

  it('keeps only the newest points of a long series', () => {
    const points = Array.from({ length: 30 }, (_, i) => [i, i, i] as [number, number, number]);
    const merged = mergePoints({}, { '7': { loss: points } }, 10);
    expect(merged['7'].loss).toHaveLength(10);
    expect(merged['7'].loss[0][0]).toBe(20);
  });
});

describe('chart', () => {
  it('ignores null values: a step with none is a gap', () => {
    const aligned = alignSeries({ '1': { loss: [[0, 0, 3], [1, 0, null], [2, 0, 3]] } }, 'loss');
    expect(aligned.counts).toEqual([2]);
    expect(alignSeries({ '1': { loss: [[0, 0, null]] } }, 'loss').experiments).toEqual([]);
  });
});

describe('summaries', () => {
  it('orders status counts and skips zeros', () => {
    expect(summarizeCounts({ succeeded: 3, running: 2, failed: 0 })).toBe('2 running · 3 succeeded');
    expect(summarizeCounts({})).toBe('no experiments');
    expect(isActive({ succeeded: 3 })).toBe(false);
    expect(isActive({ queued: 1 })).toBe(true);
    // a group just created has no experiments yet but is not finished
    expect(isActive({}, 'created')).toBe(true);
    expect(isActive({}, 'running')).toBe(true);
    expect(isActive({ succeeded: 2 }, 'succeeded')).toBe(false);
    expect(isActive({ running: 1 }, 'stopped')).toBe(true);
  });

  it('reports operation progress', () => {
    const op: Operation = {
      id: 'abcdefabcdef',
      action: 'deploy-best',
      request: {},
      status: 'running',
      created: 0,
      updated: 0,
      result: {},
      error: null,
      steps: [
        { name: 'best', status: 'succeeded', started: 0, finished: 1, message: '' },
        { name: 'package', status: 'running', started: 1, finished: null, message: '' },
        { name: 'build', status: 'pending', started: null, finished: null, message: '' },
        { name: 'deploy', status: 'pending', started: null, finished: null, message: '' }
      ]
    };
    expect(operationProgress(op)).toEqual({ done: 1, total: 4, finished: false, failed: false, label: 'package…' });
    const failed = { ...op, status: 'failed' as const, error: { type: 'PackageError', message: 'no checkpoint' } };
    expect(operationProgress(failed).label).toBe('failed: no checkpoint');
    expect(operationProgress(failed).finished).toBe(true);
    const damaged = { ...op, status: 'damaged' as const, action: 'unknown' as const, steps: [],
      error: { type: 'DamagedRecord', message: 'not JSON' } };
    expect(operationProgress(damaged)).toMatchObject({ finished: true, failed: true });
    const served = { ...op, status: 'succeeded' as const,
      result: { deploy: { name: 'mnist-g3-e17', url: 'http://127.0.0.1:9000' } } };
    expect(operationProgress(served).label).toBe('serving mnist-g3-e17 at http://127.0.0.1:9000');
  });

  it('sends only what the user chose when deploying the best', () => {
    const empty = { name: ' ', metric: '', mode: '' as const, source: '', modelClass: '', image: '' };
    // no name, metric, mode or force: the server's objective and default name decide
    expect(deployBestRequest(3, empty)).toEqual({ action: 'deploy-best', group: 3 });
    expect(deployBestRequest(3, { ...empty, metric: 'loss', mode: 'min', name: 'mine' })).toEqual({
      action: 'deploy-best', group: 3, metric: 'loss', mode: 'min', name: 'mine'
    });
    expect(deployBestRequest(3, { ...empty, image: 'reg/m:1', source: 'model' })).toEqual({
      action: 'deploy-best', group: 3, image: 'reg/m:1', source: 'model'
    });
  });

  it('formats values compactly', () => {
    expect(formatValue(null)).toBe('–');
    expect(formatValue(3)).toBe('3');
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(0.00001234)).toBe('1.234e-5');
    expect(formatValue('adam')).toBe('adam');
  });

});

describe('predict payload', () => {
  it('accepts arrays and objects as inline JSON', () => {
    expect(parsePayload(' [[1, 2]] ')).toEqual({ payload: [[1, 2]] });
    expect(parsePayload('{"data": {"ndarray": [1]}}')).toEqual({ payload: { data: { ndarray: [1] } } });
  });

  it('takes anything else as a file path for the server to check', () => {
    expect(parsePayload(' notebooks/mnist/digit.png ')).toEqual({ file: 'notebooks/mnist/digit.png' });
  });

  it('explains what to type on bad input', () => {
    expect(() => parsePayload('')).toThrow(/JSON array/);
    expect(() => parsePayload('[1,')).toThrow(/not valid JSON/);
  });
});

describe('alignSeries', () => {
  it('puts every experiment on one shared step axis, with gaps as null', () => {
    const aligned = alignSeries(
      {
        '2': { loss: [[0, 1, 0.5], [2, 2, 0.25]] },
        '1': { loss: [[0, 1, 0.9], [1, 2, 0.8], [2, 3, null]], acc: [[0, 1, 0.1]] },
        '3': { acc: [[0, 1, 0.2]] }
      },
      'loss'
    );
    expect(aligned.experiments).toEqual([1, 2]);
    expect(aligned.xs).toEqual([0, 1, 2]);
    expect(aligned.ys).toEqual([[0.9, 0.8, null], [0.5, null, 0.25]]);
    expect(aligned.counts).toEqual([2, 2]);
    expect(aligned.total).toBe(4);
  });

  it('labels a line by the params that vary', () => {
    expect(paramsLabel({ lr: 0.01, seed: 1, momentum: 0.9 }, ['lr', 'momentum'])).toBe(
      'lr=0.01, momentum=0.9'
    );
  });
});

describe('alignSeries fast path', () => {
  it('gives the same answer when every line shares its steps', () => {
    const aligned = alignSeries(
      { '1': { loss: [[0, 0, 1], [1, 0, 2]] }, '2': { loss: [[0, 0, 3], [1, 0, 4]] } },
      'loss'
    );
    expect(aligned.xs).toEqual([0, 1]);
    expect(aligned.ys).toEqual([[1, 2], [3, 4]]);
  });

  it('merges when steps repeat or differ', () => {
    const aligned = alignSeries({ '1': { loss: [[0, 0, 1], [0, 0, 2]] } }, 'loss');
    expect(aligned.xs).toEqual([0]);
  });
});
