/** The sidebar widget: renders the App from the controller's state and reports visibility. */
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { PanelController, PanelState } from '../controller';
import { App } from './App';

export class MlpipePanel extends ReactWidget {
  constructor(readonly controller: PanelController = new PanelController()) {
    super();
    this.addClass('jp-mlpipe-panel');
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.controller.changed} initialArgs={this.controller.state}>
        {(_, state) => (
          <App state={state ?? this.controller.state} controller={this.controller} />
        )}
      </UseSignal>
    );
  }

  dispose(): void {
    this.controller.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.controller.setVisible(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.controller.setVisible(false);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.controller.setVisible(this.isVisible);
  }
}

export type { PanelState };
