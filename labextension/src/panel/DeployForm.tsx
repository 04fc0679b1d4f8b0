/** "Deploy best": package → build → deploy of the group's best experiment, with progress. */
import * as React from 'react';

import { deployBestRequest, operationProgress } from '../model';
import { Operation, OperationRequest } from '../types';

export interface DeployFormProps {
  group: number;
  metrics: string[];
  operation: Operation | null;
  onDeploy: (request: OperationRequest) => void;
}

export function DeployForm(props: DeployFormProps): JSX.Element {
  const { group, metrics, operation, onDeploy } = props;
  // Empty fields leave the choice to the server: the name is unique per project, group and
  // experiment; the metric and direction are the group's objective.
  const [name, setName] = React.useState('');
  const [metric, setMetric] = React.useState('');
  const [mode, setMode] = React.useState<'' | 'min' | 'max'>('');
  const [source, setSource] = React.useState('');
  const [modelClass, setModelClass] = React.useState('');
  const [image, setImage] = React.useState('');
  const progress = operation ? operationProgress(operation) : null;
  const running = progress !== null && !progress.finished;

  const submit = (event: React.FormEvent): void => {
    event.preventDefault();
    onDeploy(deployBestRequest(group, { name, metric, mode, source, modelClass, image }));
  };

  return (
    <form className="jp-mlpipe-section jp-mlpipe-form" onSubmit={submit} aria-label="Deploy best">
      <h3 className="jp-mlpipe-h3">Deploy best</h3>
      <label className="jp-mlpipe-field">
        <span>Name</span>
        <input className="jp-mlpipe-input" value={name} placeholder="default: project-gG-eE"
          onChange={e => setName(e.target.value)} aria-label="Deployment name" />
      </label>
      <label className="jp-mlpipe-field">
        <span>Metric</span>
        <select className="jp-mlpipe-select" value={metric} aria-label="Metric to rank by"
          onChange={e => setMetric(e.target.value)}>
          <option value="">the group's objective</option>
          {metrics.map(m => (
            <option key={m} value={m}>{m}</option>
          ))}
        </select>
        <select className="jp-mlpipe-select" value={mode} aria-label="Best is the smallest or largest"
          onChange={e => setMode(e.target.value as '' | 'min' | 'max')}>
          <option value="">default</option>
          <option value="max">max</option>
          <option value="min">min</option>
        </select>
      </label>
      <label className="jp-mlpipe-field">
        <span>Model folder</span>
        <input className="jp-mlpipe-input" value={source} placeholder="model/ (inside the repos root)"
          onChange={e => setSource(e.target.value)} aria-label="Model class source folder" />
      </label>
      <label className="jp-mlpipe-field">
        <span>Model class</span>
        <input className="jp-mlpipe-input" value={modelClass} placeholder="MnistModel"
          onChange={e => setModelClass(e.target.value)} aria-label="Model class name" />
      </label>
      <label className="jp-mlpipe-field">
        <span>Image</span>
        <input className="jp-mlpipe-input" value={image} placeholder="optional for local serving"
          onChange={e => setImage(e.target.value)} aria-label="Image to build" />
      </label>
      <button type="submit" className="jp-mlpipe-button jp-mod-accept"
        disabled={running}>
        Deploy best
      </button>
      {operation && progress ? (
        <div className="jp-mlpipe-operation" role="status" aria-live="polite"
          data-status={operation.status}>
          <progress max={progress.total} value={progress.done} aria-label="Deploy progress" />
          <ol className="jp-mlpipe-steps">
            {operation.steps.map(step => (
              <li key={step.name} className={`jp-mlpipe-step jp-mlpipe-step-${step.status}`}>
                {step.name}: {step.status}
                {step.message ? ` — ${step.message}` : ''}
              </li>
            ))}
          </ol>
          <div className={progress.failed ? 'jp-mlpipe-error' : 'jp-mlpipe-muted'}>{progress.label}</div>
        </div>
      ) : null}
    </form>
  );
}
