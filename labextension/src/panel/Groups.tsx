/** The list of sweeps with live status counts, and a form to start a new one. */
import * as React from 'react';

import { GroupSummary, SweepRequest } from '../types';

/**
 * The starting spec runs as it is: each trial logs a loss curve through jupyter_mlpipe's own
 * tracking helper, so Start gives a live chart before any project file exists.
 */
export const EXAMPLE = `version: 1
kind: group
hptuning:
  concurrency: 2
  matrix:
    lr:
      values: [0.01, 0.05, 0.1]
declarations:
  steps: 20
run:
  cmd: python -c "import time; from jupyter_mlpipe import tracking as t;
    [(t.log_metrics(step=s, loss=1 / (1 + {{ lr }} * s)), time.sleep(0.2))
     for s in range({{ steps }})]"
`;

function counts(group: GroupSummary): string {
  const parts: string[] = [];
  for (const key of ['running', 'queued', 'succeeded', 'failed', 'stopped', 'unknown']) {
    const value = group.counts[key] ?? 0;
    if (value > 0) {
      parts.push(`${value} ${key}`);
    }
  }
  return parts.join(' · ');
}

export interface GroupsProps {
  groups: GroupSummary[];
  busy: boolean;
  /** The project's list is being read (after a switch): say so rather than "No sweeps". */
  loading: boolean;
  onOpen: (group: number) => void;
  onStart: (request: SweepRequest) => void;
}

export function Groups(props: GroupsProps): JSX.Element {
  const { groups, busy, loading, onOpen, onStart } = props;
  const [spec, setSpec] = React.useState(EXAMPLE);
  const [file, setFile] = React.useState('');
  const [name, setName] = React.useState('');
  const [objective, setObjective] = React.useState('loss:min');
  const submit = (event: React.FormEvent): void => {
    event.preventDefault();
    const request: SweepRequest = file.trim() ? { file: file.trim() } : { spec };
    if (name.trim()) {
      request.name = name.trim();
    }
    if (objective.trim()) {
      request.objective = objective.trim();
    }
    onStart(request);
  };
  return (
    <>
      <section className="jp-mlpipe-section" aria-label="Sweeps">
        <h3 className="jp-mlpipe-h3">Sweeps</h3>
        {groups.length ? (
          <ul className="jp-mlpipe-list">
            {[...groups].reverse().map(g => (
              <li key={g.id} className="jp-mlpipe-group" data-group={g.id}>
                <button className="jp-mlpipe-link" onClick={() => onOpen(g.id)}
                  aria-label={`Open sweep ${g.id}${g.name ? ` ${g.name}` : ''}`}>
                  #{g.id} {g.name ?? ''}
                </button>{' '}
                <span className={`jp-mlpipe-status jp-mlpipe-status-${g.status ?? 'unknown'}`}>
                  {g.status ?? ''}
                </span>{' '}
                <span className="jp-mlpipe-muted">{counts(g)}</span>
              </li>
            ))}
          </ul>
        ) : loading ? (
          <p className="jp-mlpipe-muted jp-mlpipe-loading" role="status">Loading sweeps…</p>
        ) : (
          <p className="jp-mlpipe-muted">No sweeps yet.</p>
        )}
      </section>
      <form className="jp-mlpipe-section jp-mlpipe-form" onSubmit={submit} aria-label="New sweep">
        <h3 className="jp-mlpipe-h3">New sweep</h3>
        <label className="jp-mlpipe-field">
          <span>Spec file</span>
          <input className="jp-mlpipe-input" value={file} placeholder="polyaxonfile.yml (or paste below)"
            onChange={e => setFile(e.target.value)} aria-label="Spec file path" />
        </label>
        <textarea className="jp-mlpipe-textarea jp-mlpipe-spec" rows={8} value={spec}
          disabled={!!file.trim()} aria-label="Sweep spec (YAML)"
          onChange={e => setSpec(e.target.value)} />
        <label className="jp-mlpipe-field">
          <span>Name</span>
          <input className="jp-mlpipe-input" value={name} placeholder="optional"
            onChange={e => setName(e.target.value)} aria-label="Sweep name" />
        </label>
        <label className="jp-mlpipe-field">
          <span>Objective</span>
          <input className="jp-mlpipe-input" value={objective} placeholder="METRIC:min or METRIC:max"
            onChange={e => setObjective(e.target.value)} aria-label="Sweep objective"
            title="what the sweep optimises: the best experiment is chosen and highlighted by it" />
        </label>
        <button type="submit" className="jp-mlpipe-button jp-mod-accept" disabled={busy}>
          Start sweep
        </button>
      </form>
    </>
  );
}
