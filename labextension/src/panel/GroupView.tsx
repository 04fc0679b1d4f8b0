/** One sweep: status counts, stop, the experiments table, the live chart, a log, deploy best. */
import * as React from 'react';

import { PanelController, PanelState } from '../controller';
import { isActive, paramsLabel, summarizeCounts } from '../model';
import { confirmAction } from './confirm';
import { MetricChart } from './Chart';
import { DeployForm } from './DeployForm';
import { ExperimentsTable } from './ExperimentsTable';

export function GroupView(props: { state: PanelState; controller: PanelController }): JSX.Element {
  const { state, controller } = props;
  const group = state.openGroup as number;
  const detail = state.detail;
  const metrics = detail?.metrics ?? [];
  const active = detail ? isActive(detail.counts, detail.group.status) : false;
  const labels = React.useMemo(() => {
    const out: Record<number, string> = {};
    for (const row of detail?.experiments ?? []) {
      out[row.id] = paramsLabel(row.params, detail?.varying ?? []);
    }
    return out;
  }, [detail?.experiments, detail?.varying]);
  return (
    <div className="jp-mlpipe-group-view" data-group={group}>
      <div className="jp-mlpipe-row">
        <button className="jp-mlpipe-button" onClick={() => controller.closeGroup()}
          aria-label="Back to all sweeps">
          ← Sweeps
        </button>
        <h2 className="jp-mlpipe-h2">
          Sweep #{group} {detail?.group.name ? String(detail.group.name) : ''}
        </h2>
      </div>
      {state.groupError ? <div className="jp-mlpipe-error" role="alert">{state.groupError}</div> : null}
      {detail ? (
        <>
          <div className="jp-mlpipe-row">
            <span className="jp-mlpipe-counts" aria-live="polite">{summarizeCounts(detail.counts)}</span>
            <button className="jp-mlpipe-button" aria-label={`Stop sweep ${group}`}
              disabled={!active}
              title={active ? 'Stop every running and queued experiment' : 'Nothing runs: nothing to stop'}
              onClick={() => void confirmAction(`Stop sweep #${group}?`,
                'Running experiments are stopped and queued ones never start. What they wrote stays.',
                'Stop').then(ok => { if (ok) { void controller.stopGroup(group); } })}>
              Stop
            </button>
          </div>
          <ExperimentsTable rows={detail.experiments} params={detail.params}
            varying={detail.varying} metrics={metrics}
            objective={detail.group.objective?.metric ?? null}
            best={detail.group.best ?? null}
            sort={state.sort} selected={state.logExperiment}
            onSort={key => controller.sortBy(key)}
            onSelect={id => controller.showLogs(id)}
            onStop={id => void confirmAction(`Stop experiment ${id}?`,
              'Its process is stopped; what it wrote stays.', 'Stop')
              .then(ok => { if (ok) { void controller.stopExperiment(id); } })} />
          <MetricChart series={state.series} metrics={metrics} metric={state.chartMetric}
            labels={labels} best={detail.group.best ?? null}
            onMetric={m => controller.setChartMetric(m)} />
          {state.logExperiment !== null ? (
            <section className="jp-mlpipe-section" aria-label={`Log of experiment ${state.logExperiment}`}>
              <h3 className="jp-mlpipe-h3">Log of experiment {state.logExperiment}</h3>
              <pre className="jp-mlpipe-log" tabIndex={0}>{state.logLines.join('\n')}</pre>
            </section>
          ) : null}
          <DeployForm group={group} metrics={metrics} operation={state.operation}
            onDeploy={request => void controller.startOperation(request)} />
        </>
      ) : (
        <p className="jp-mlpipe-muted">Loading…</p>
      )}
    </div>
  );
}
