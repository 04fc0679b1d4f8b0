/** The sidebar's content: the sweeps list or one sweep, then the deployments. */
import * as React from 'react';

import { PanelController, PanelState } from '../controller';
import { Deployments } from './Deployments';
import { Groups } from './Groups';
import { GroupView } from './GroupView';

function ProjectField(props: { project: string; onChange: (p: string) => void }): JSX.Element {
  const [text, setText] = React.useState(props.project);
  return (
    <form className="jp-mlpipe-row jp-mlpipe-project"
      onSubmit={e => { e.preventDefault(); props.onChange(text); }}>
      <label className="jp-mlpipe-label" htmlFor="jp-mlpipe-project">Project</label>
      <input id="jp-mlpipe-project" className="jp-mlpipe-input" value={text}
        placeholder="default" aria-label="Project"
        onChange={e => setText(e.target.value)} onBlur={() => props.onChange(text)} />
    </form>
  );
}

export function App(props: { state: PanelState; controller: PanelController }): JSX.Element {
  const { state, controller } = props;
  return (
    <div className="jp-mlpipe-app">
      <header className="jp-mlpipe-header">
        <h1 className="jp-mlpipe-h1">ML pipeline</h1>
        <button className="jp-mlpipe-button" onClick={() => controller.refresh()}
          aria-label="Refresh now">
          Refresh
        </button>
      </header>
      <ProjectField project={state.project} onChange={p => controller.setProject(p)} />
      {state.listError ? <div className="jp-mlpipe-error" role="alert">{state.listError}</div> : null}
      {state.actionError ? <div className="jp-mlpipe-error" role="alert">{state.actionError}</div> : null}
      {state.openGroup === null ? (
        <Groups groups={state.groups} busy={state.sweepBusy} loading={state.listLoading}
          onOpen={id => controller.openGroup(id)}
          onStart={request => void controller.startSweep(request)} />
      ) : (
        <GroupView state={state} controller={controller} />
      )}
      <Deployments deployments={state.deployments} prediction={state.prediction}
        predictError={state.predictError}
        onPredict={(name, text) => void controller.predict(name, text)}
        onUndeploy={name => void controller.undeploy(name)} />
    </div>
  );
}
