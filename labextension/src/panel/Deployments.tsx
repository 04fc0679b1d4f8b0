/** Deployments with their health, a predict box and undeploy. */
import * as React from 'react';

import { ShownPrediction } from '../model';
import { Deployment } from '../types';
import { confirmAction } from './confirm';

function PredictionView(props: { prediction: ShownPrediction }): JSX.Element {
  const { prediction } = props;
  return (
    <div className="jp-mlpipe-prediction" aria-label={`Prediction of ${prediction.name}`}>
      {prediction.label !== null ? (
        <>
          <div className="jp-mlpipe-prediction-label">
            Prediction: <strong>{prediction.label}</strong>
          </div>
          <table className="jp-mlpipe-top" aria-label="Top scores">
            <tbody>
              {prediction.top.map(([name, p]) => (
                <tr key={name}>
                  <td>{name}</td>
                  <td className="jp-mlpipe-top-bar">
                    <span style={{ width: `${Math.max(0, Math.min(1, p)) * 100}%` }} />
                  </td>
                  <td>{p.toFixed(4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <details open={prediction.label === null}>
        <summary>Raw JSON</summary>
        <pre className="jp-mlpipe-raw">{prediction.raw}</pre>
      </details>
    </div>
  );
}

export interface DeploymentsProps {
  deployments: Deployment[];
  prediction: ShownPrediction | null;
  predictError: string | null;
  onPredict: (name: string, text: string) => void;
  onUndeploy: (name: string) => void;
}

export function Deployments(props: DeploymentsProps): JSX.Element {
  const { deployments, prediction, predictError, onPredict, onUndeploy } = props;
  const [target, setTarget] = React.useState('');
  const [leaving, setLeaving] = React.useState<string | null>(null);
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
                disabled={leaving === d.name}
                onClick={() => void confirmAction(`Undeploy ${d.name}?`,
                  `The model server stops answering${d.url ? ` at ${d.url}` : ''}. Its package stays.`,
                  'Undeploy').then(ok => { if (ok) { setLeaving(d.name); onUndeploy(d.name); } })}>
                {leaving === d.name ? 'Undeploying…' : 'Undeploy'}
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
          <button type="submit" className="jp-mlpipe-button jp-mod-accept"
            disabled={!name}>Predict</button>
          {predictError ? <div className="jp-mlpipe-error" role="alert">{predictError}</div> : null}
          {prediction ? <PredictionView prediction={prediction} /> : null}
        </form>
      ) : null}
    </section>
  );
}
