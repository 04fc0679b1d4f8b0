/** The sortable experiments table of one group. */
import * as React from 'react';

import { formatValue, SortState, sortExperiments } from '../model';
import { ExperimentRow } from '../types';

export interface TableProps {
  rows: ExperimentRow[];
  params: string[];
  metrics: string[];
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

export function ExperimentsTable(props: TableProps): JSX.Element {
  const { rows, params, metrics, sort, selected, onSort, onSelect, onStop } = props;
  const columns: Column[] = [
    { key: 'id', title: 'id' },
    { key: 'status', title: 'status' },
    ...params.map(p => ({ key: `param:${p}`, title: p })),
    ...metrics.map(m => ({ key: `metric:${m}`, title: m }))
  ];
  const sorted = sortExperiments(rows, sort);
  return (
    <div className="jp-mlpipe-table-wrap">
      <table className="jp-mlpipe-table" aria-label="Experiments">
        <thead>
          <tr>
            {columns.map(col => (
              <th
                key={col.key}
                scope="col"
                aria-sort={
                  sort.key === col.key ? (sort.ascending ? 'ascending' : 'descending') : 'none'
                }
              >
                <button
                  className="jp-mlpipe-sort"
                  onClick={() => onSort(col.key)}
                  aria-label={`Sort by ${col.title}`}
                >
                  {col.title}
                  {sort.key === col.key ? (sort.ascending ? ' ▲' : ' ▼') : ''}
                </button>
              </th>
            ))}
            <th scope="col">
              <span className="jp-mlpipe-visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map(row => (
            <tr
              key={row.id}
              className={row.id === selected ? 'jp-mlpipe-selected' : ''}
              data-experiment={row.id}
            >
              <td>
                <button
                  className="jp-mlpipe-link"
                  aria-label={`Show the log of experiment ${row.id}`}
                  aria-pressed={row.id === selected}
                  onClick={() => onSelect(row.id === selected ? null : row.id)}
                >
                  {row.id}
                </button>
              </td>
              <td>
                <span className={`jp-mlpipe-status jp-mlpipe-status-${row.status}`}>
                  {row.status}
                </span>
              </td>
              {params.map(p => (
                <td key={p}>{formatValue(row.params[p])}</td>
              ))}
              {metrics.map(m => (
                <td key={m} title={`min ${formatValue(row.metrics[m]?.min)}, max ${formatValue(row.metrics[m]?.max)}`}>
                  {formatValue(row.metrics[m]?.last)}
                </td>
              ))}
              <td>
                {row.status === 'running' || row.status === 'queued' ? (
                  <button
                    className="jp-mlpipe-button jp-mlpipe-small"
                    aria-label={`Stop experiment ${row.id}`}
                    onClick={() => onStop(row.id)}
                  >
                    Stop
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
