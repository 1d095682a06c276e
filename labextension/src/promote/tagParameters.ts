/**
 * "Workbench: Tag cell as parameters": the active code cell becomes the one
 * papermill injects values after (the `parameters` tag), and any other cell
 * loses that tag, since papermill and promotion read only the first.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

export const PARAMETERS_TAG = 'parameters';

/**
 * A cell's tags with (`tagged`) or without the parameters tag; null when they
 * already are so.
 */
export function retag(tags: unknown, tagged: boolean): string[] | null {
  const list = Array.isArray(tags) ? tags.map(String) : [];
  const has = list.includes(PARAMETERS_TAG);
  if (has === tagged) {
    return null;
  }
  return tagged
    ? [...list, PARAMETERS_TAG]
    : list.filter(tag => tag !== PARAMETERS_TAG);
}

export function addTagParametersCommand(
  app: JupyterFrontEnd,
  id: string,
  notebooks: INotebookTracker,
  trans: TranslationBundle
): void {
  app.commands.addCommand(id, {
    label: trans.__('Tag Cell as Parameters'),
    caption: trans.__(
      'Make this cell the notebook’s parameters cell (the `parameters` tag papermill and promotion read)'
    ),
    isEnabled: () => notebooks.activeCell?.model.type === 'code',
    execute: () => {
      const panel = notebooks.currentWidget;
      const active = notebooks.activeCell;
      if (!panel || !active || active.model.type !== 'code') {
        return;
      }
      let untagged = 0;
      for (const cell of panel.content.widgets) {
        const next = retag(cell.model.getMetadata('tags'), cell === active);
        if (next === null) {
          continue;
        }
        if (cell !== active) {
          untagged++;
        }
        if (next.length) {
          cell.model.setMetadata('tags', next);
        } else {
          cell.model.deleteMetadata('tags');
        }
      }
      Notification.success(
        untagged
          ? trans.__(
              'This cell is the parameters cell now; %1 other cell(s) lost the tag.',
              untagged
            )
          : trans.__('This cell is the parameters cell now.'),
        { autoClose: 4000 }
      );
    }
  });
  app.contextMenu.addItem({
    command: id,
    selector: '.jp-Notebook .jp-CodeCell',
    rank: 60
  });
}
