/**
 * The experiments of one group, laid out for a narrow sidebar: the params that vary and the
 * objective first, the constant params folded into one line above the table, every other
 * column on demand ("All columns"). A failed experiment shows its one-line reason under its
 * status; the whole row opens the experiment's log.
 */
import * as React from 'react';

import { formatValue, SortState, sortExperiments } from '../model';
import { ExperimentRow } from '../types';

export interface TableProps {
  rows: ExperimentRow[];
  /** Every param name, the varying ones first. */
  params: string[];
  /** The params whose values differ between experiments. */
  varying: string[];
  metrics: string[];
  /** The group's objective metric (shown first among the metrics), if any. */
  objective: string | null;
  /** The best experiment by the objective, marked with a star. */
  best: number | null;
  sort: SortState;
  selected: number | null;
  onSort: (key: string) => void;
  onSelect: (experiment: number | null) => void;
  onStop: (experiment: number) => void;
}

interface Column {
  key: string;
  title: string;
}

/** The columns shown: compact (varying params, then the objective) or all of them. */
export function tableColumns(
  params: string[],
  varying: string[],
  metrics: string[],
  objective: string | null,
  all: boolean
): Column[] {
  const shownParams = all ? params : varying;
  const ordered = objective && metrics.includes(objective)
    ? [objective, ...metrics.filter(m => m !== objective)]
    : metrics;
  const shownMetrics = all ? ordered : ordered.slice(0, 1); // the objective, or the first metric
  return [
    ...shownParams.map(p => ({ key: `param:${p}`, title: p })),
    ...shownMetrics.map(m => ({ key: `metric:${m}`, title: m }))
  ];
}

/** `batch_size=64 · seed=1`: the params every experiment shares. */
export function constantsLine(rows: ExperimentRow[], params: string[], varying: string[]): string {
  const first = rows[0];
  if (!first) {
    return '';
  }
  return params
    .filter(p => !varying.includes(p))
    .map(p => `${p}=${formatValue(first.params[p])}`)
    .join(' · ');
}

function Header(props: { col: Column; sort: SortState; onSort: (key: string) => void }): JSX.Element {
  const { col, sort, onSort } = props;
  const active = sort.key === col.key;
  return (
    <th scope="col" aria-sort={active ? (sort.ascending ? 'ascending' : 'descending') : 'none'}>
      <button className="jp-mlpipe-sort" onClick={() => onSort(col.key)}
        aria-label={`Sort by ${col.title}`} title={col.title}>
        {col.title}
        {active ? (sort.ascending ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

function Status(props: { row: ExperimentRow }): JSX.Element {
  const { row } = props;
  const reason = row.status === 'running' || row.status === 'succeeded' ? '' : row.message;
  return (
    <>
      <span className={`jp-mlpipe-status jp-mlpipe-status-${row.status}`}>{row.status}</span>
      {reason ? <div className="jp-mlpipe-reason" title={reason}>{reason}</div> : null}
    </>
  );
}

export function ExperimentsTable(props: TableProps): JSX.Element {
  const { rows, params, varying, metrics, objective, best, sort, selected } = props;
  const [all, setAll] = React.useState(false);
  const columns = tableColumns(params, varying, metrics, objective, all);
  const constants = all ? '' : constantsLine(rows, params, varying);
  const hidden = params.length + metrics.length - columns.length;
  const sorted = sortExperiments(rows, sort);
  return (
    <div className="jp-mlpipe-experiments">
      <div className="jp-mlpipe-row jp-mlpipe-table-head">
        {constants ? (
          <span className="jp-mlpipe-constants" title="params every experiment shares">
            {constants}
          </span>
        ) : <span />}
        {hidden > 0 || all ? (
          <button className="jp-mlpipe-button jp-mlpipe-small" aria-pressed={all}
            onClick={() => setAll(!all)}>
            {all ? 'Fewer columns' : `All columns (+${hidden})`}
          </button>
        ) : null}
      </div>
      <div className="jp-mlpipe-table-wrap">
        <table className="jp-mlpipe-table" aria-label="Experiments">
          <thead>
            <tr>
              <Header col={{ key: 'id', title: 'id' }} sort={sort} onSort={props.onSort} />
              <Header col={{ key: 'status', title: 'status' }} sort={sort} onSort={props.onSort} />
              {columns.map(col => <Header key={col.key} col={col} sort={sort} onSort={props.onSort} />)}
              <th scope="col"><span className="jp-mlpipe-visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {sorted.map(row => (
              <tr key={row.id} data-experiment={row.id}
                className={`jp-mlpipe-clickable${row.id === selected ? ' jp-mlpipe-selected' : ''}`}
                title={`Experiment ${row.id}: click for its log`}
                onClick={() => props.onSelect(row.id === selected ? null : row.id)}>
                <td>
                  <button className="jp-mlpipe-link" aria-pressed={row.id === selected}
                    aria-label={`Show the log of experiment ${row.id}`}
                    onClick={event => { event.stopPropagation(); props.onSelect(row.id === selected ? null : row.id); }}>
                    {row.id}{row.id === best ? ' ★' : ''}
                  </button>
                </td>
                <td><Status row={row} /></td>
                {columns.map(col => {
                  const [kind, name] = [col.key.slice(0, col.key.indexOf(':')), col.key.slice(col.key.indexOf(':') + 1)];
                  if (kind === 'param') {
                    return <td key={col.key}>{formatValue(row.params[name])}</td>;
                  }
                  const m = row.metrics[name];
                  return (
                    <td key={col.key} title={`min ${formatValue(m?.min)}, max ${formatValue(m?.max)}`}>
                      {formatValue(m?.last)}
                    </td>
                  );
                })}
                <td>
                  {row.status === 'running' || row.status === 'queued' ? (
                    <button className="jp-mlpipe-button jp-mlpipe-small"
                      aria-label={`Stop experiment ${row.id}`}
                      onClick={event => { event.stopPropagation(); props.onStop(row.id); }}>
                      Stop
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
