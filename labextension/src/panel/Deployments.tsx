/** Deployments with their health, a predict box and undeploy. */
import * as React from 'react';

import { Deployment } from '../types';

export interface DeploymentsProps {
  deployments: Deployment[];
  prediction: { name: string; text: string } | null;
  predictError: string | null;
  onPredict: (name: string, text: string) => void;
  onUndeploy: (name: string) => void;
}

export function Deployments(props: DeploymentsProps): JSX.Element {
  const { deployments, prediction, predictError, onPredict, onUndeploy } = props;
  const [target, setTarget] = React.useState('');
  const [payload, setPayload] = React.useState('[[1.0, 2.0, 3.0]]');
  const name = deployments.some(d => d.name === target) ? target : (deployments[0]?.name ?? '');
  return (
    <section className="jp-mlpipe-section" aria-label="Deployments">
      <h3 className="jp-mlpipe-h3">Deployments</h3>
      {deployments.length ? (
        <ul className="jp-mlpipe-list">
          {deployments.map(d => (
            <li key={d.name} className="jp-mlpipe-deployment" data-name={d.name}>
              <span className={`jp-mlpipe-health jp-mlpipe-health-${d.health ?? 'unknown'}`}
                aria-label={`health ${d.health ?? 'unknown'}`}>
                {d.health ?? 'unknown'}
              </span>{' '}
              <strong>{d.name}</strong>{' '}
              <span className="jp-mlpipe-muted">{d.backend ?? ''} {d.url ?? ''}</span>
              <button className="jp-mlpipe-button jp-mlpipe-small" aria-label={`Undeploy ${d.name}`}
                onClick={() => onUndeploy(d.name)}>
                Undeploy
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="jp-mlpipe-muted">No deployments.</p>
      )}
      {deployments.length ? (
        <form className="jp-mlpipe-form" aria-label="Predict"
          onSubmit={e => { e.preventDefault(); onPredict(name, payload); }}>
          <label className="jp-mlpipe-field">
            <span>Model</span>
            <select className="jp-mlpipe-select" value={name} aria-label="Deployment to query"
              onChange={e => setTarget(e.target.value)}>
              {deployments.map(d => (
                <option key={d.name} value={d.name}>{d.name}</option>
              ))}
            </select>
          </label>
          <textarea className="jp-mlpipe-textarea jp-mlpipe-payload" rows={3} value={payload}
            aria-label="Prediction input (JSON or a file path)" onChange={e => setPayload(e.target.value)} />
          <button type="submit" className="jp-mlpipe-button jp-mod-accept">Predict</button>
          {predictError ? <div className="jp-mlpipe-error" role="alert">{predictError}</div> : null}
          {prediction ? (
            <pre className="jp-mlpipe-prediction" aria-label={`Prediction of ${prediction.name}`}>
              {prediction.text}
            </pre>
          ) : null}
        </form>
      ) : null}
    </section>
  );
}
