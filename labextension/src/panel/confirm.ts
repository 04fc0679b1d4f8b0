/** Ask before an action that cannot be undone (stop, undeploy). */
import { Dialog, showDialog } from '@jupyterlab/apputils';

/**
 * Show a JupyterLab dialog; resolve true when the user confirmed.
 *
 * @param title - the question (`Stop sweep #3?`).
 * @param body - what will happen.
 * @param action - the label of the confirming button (a warning style).
 */
export async function confirmAction(title: string, body: string, action: string): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: action })]
  });
  return result.button.accept;
}
