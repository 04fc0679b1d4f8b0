/**
 * JupyterLab plugin: the jupyter-mlpipe sidebar (sweeps, live metrics, deploy best, predict).
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';

import iconSvg from '../style/icon.svg';
import { MlpipePanel } from './panel/widget';

export const mlpipeIcon = new LabIcon({ name: 'jupyter-mlpipe:icon', svgstr: iconSvg });

const PANEL_ID = 'jupyter-mlpipe-panel';
const COMMAND = 'jupyter-mlpipe:open';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlpipe:plugin',
  description: 'Sidebar for jupyter-mlpipe sweeps and deployments.',
  autoStart: true,
  requires: [ILabShell],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    shell: ILabShell,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const panel = new MlpipePanel();
    panel.id = PANEL_ID;
    panel.title.icon = mlpipeIcon;
    panel.title.caption = 'ML pipeline: sweeps and deployments';
    panel.node.setAttribute('role', 'region');
    panel.node.setAttribute('aria-label', 'ML pipeline sidebar');
    shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, PANEL_ID);
    app.commands.addCommand(COMMAND, {
      label: 'Show the ML pipeline sidebar',
      execute: () => shell.activateById(PANEL_ID)
    });
    palette?.addItem({ command: COMMAND, category: 'ML pipeline' });
  }
};

export default plugin;
