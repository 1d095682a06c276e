/**
 * The extension's commands and where they appear: the command palette, the
 * notebook toolbar and the file browser's context menu for notebooks.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  ToolbarButton
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { WorkbenchClient } from './api';
import { asApiError } from './components/loadable';
import { WorkbenchSidebar } from './components/WorkbenchSidebar';
import { IHtmlTab } from './components/context';
import { driftReportWidget, htmlTabWidget } from './drift';
import { workbenchIcon } from './icons';
import { modelPageId, modelPageWidget } from './page/ModelPage';
import { promoteNotebookFlow } from './promote/PromoteDialog';
import { addTagParametersCommand } from './promote/tagParameters';

export namespace CommandIDs {
  export const openSidebar = 'workbench:open-sidebar';
  export const promoteNotebook = 'workbench:promote-notebook';
  export const openModelReview = 'workbench:open-model-review';
  export const openDriftReport = 'workbench:open-drift-report';
  export const openModelPage = 'workbench:open-model-page';
  export const tagParameters = 'workbench:tag-parameters';
}

export interface ICommandContext {
  app: JupyterFrontEnd;
  sidebar: WorkbenchSidebar;
  client: WorkbenchClient;
  trans: TranslationBundle;
  palette: ICommandPalette | null;
  notebooks: INotebookTracker | null;
  browsers: IFileBrowserFactory | null;
  rendermime: IRenderMimeRegistry | null;
}

/**
 * Show `widget` in the main area, or the tab already open with its id.
 */
export function showInMain(
  app: JupyterFrontEnd,
  widget: () => Widget,
  id: string
): void {
  for (const open of app.shell.widgets('main')) {
    if (open.id === id) {
      app.shell.activateById(id);
      return;
    }
  }
  const made = widget();
  app.shell.add(made, 'main');
  app.shell.activateById(made.id);
}

/**
 * Open HTML from the API (a report, an executed notebook) in a sandboxed tab.
 */
export function openHtmlTab(
  context: Pick<ICommandContext, 'app' | 'client'>,
  tab: IHtmlTab
): void {
  showInMain(context.app, () => htmlTabWidget(context.client, tab), tab.id);
}

/**
 * The notebook a promotion is for: the path given, the notebook selected in the
 * file browser (context menu), or the current notebook.
 */
function notebookPath(
  context: ICommandContext,
  args: Record<string, unknown>
): string | null {
  if (typeof args.path === 'string' && args.path.endsWith('.ipynb')) {
    return args.path;
  }
  if (args.origin === 'filebrowser' && context.browsers) {
    const browser = context.browsers.tracker.currentWidget;
    for (const item of browser?.selectedItems() ?? []) {
      if (item.type === 'notebook' || item.path.endsWith('.ipynb')) {
        return item.path;
      }
    }
  }
  const current = context.notebooks?.currentWidget;
  return current ? current.context.path : null;
}

export function addCommands(context: ICommandContext): void {
  const { app, sidebar, client, trans, palette } = context;
  const { commands } = app;
  const category = trans.__('Workbench');

  commands.addCommand(CommandIDs.openSidebar, {
    label: trans.__('Workbench: Open sidebar'),
    icon: workbenchIcon,
    describedBy: { args: { type: 'object', properties: {} } },
    execute: () => app.shell.activateById(sidebar.id)
  });

  commands.addCommand(CommandIDs.promoteNotebook, {
    label: args =>
      args.origin === 'filebrowser'
        ? trans.__('Promote to Pipeline…')
        : trans.__('Workbench: Promote notebook to pipeline'),
    caption: trans.__(
      'Check the notebook, then add it to dvc.yaml as a stage that runs it with papermill'
    ),
    icon: args => (args.origin === 'toolbar' ? workbenchIcon : undefined),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: trans.__(
              'The notebook path (default: the current notebook)'
            )
          },
          origin: {
            type: 'string',
            enum: ['palette', 'toolbar', 'filebrowser']
          }
        }
      }
    },
    isEnabled: args => notebookPath(context, args) !== null,
    execute: async args => {
      const notebook = notebookPath(context, args);
      if (!notebook) {
        return null;
      }
      return promoteNotebookFlow({
        client,
        trans,
        notebook,
        onPromoted: () => {
          sidebar.showTab('pipelines');
          app.shell.activateById(sidebar.id);
        }
      });
    }
  });

  commands.addCommand(CommandIDs.openModelReview, {
    label: trans.__('Workbench: Open review for model…'),
    describedBy: {
      args: {
        type: 'object',
        properties: { model: { type: 'string' }, version: { type: 'number' } }
      }
    },
    execute: async args => {
      let model = typeof args.model === 'string' ? args.model : '';
      if (!model) {
        let names: string[];
        try {
          names = (await client.listModels()).models.map(m => m.name);
        } catch (reason) {
          void InputDialog.getText({ title: asApiError(reason).message });
          return;
        }
        if (names.length === 0) {
          sidebar.showTab('models');
          app.shell.activateById(sidebar.id);
          return;
        }
        const choice = await InputDialog.getItem({
          title: trans.__('Open review for model'),
          items: names,
          current: 0
        });
        if (!choice.button.accept || !choice.value) {
          return;
        }
        model = choice.value;
      }
      const version =
        typeof args.version === 'number' ? args.version : undefined;
      sidebar.showTab('models', { model, version });
      app.shell.activateById(sidebar.id);
    }
  });

  commands.addCommand(CommandIDs.openDriftReport, {
    label: trans.__('Workbench: Open drift report'),
    describedBy: {
      args: {
        type: 'object',
        required: ['name', 'version'],
        properties: { name: { type: 'string' }, version: { type: 'number' } }
      }
    },
    execute: args => {
      const widget = driftReportWidget(
        client,
        String(args.name),
        Number(args.version),
        trans
      );
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    }
  });

  commands.addCommand(CommandIDs.openModelPage, {
    label: trans.__('Workbench: Open model page'),
    describedBy: {
      args: {
        type: 'object',
        required: ['name', 'version'],
        properties: { name: { type: 'string' }, version: { type: 'number' } }
      }
    },
    execute: args => {
      const name = String(args.name);
      const version = Number(args.version);
      showInMain(
        app,
        () =>
          modelPageWidget({
            client,
            trans,
            rendermime: context.rendermime,
            name,
            version,
            openHtml: tab => openHtmlTab(context, tab)
          }),
        modelPageId(name, version)
      );
    }
  });

  if (context.notebooks) {
    addTagParametersCommand(
      app,
      CommandIDs.tagParameters,
      context.notebooks,
      trans
    );
  }

  for (const command of [
    CommandIDs.openSidebar,
    CommandIDs.promoteNotebook,
    CommandIDs.openModelReview,
    ...(context.notebooks ? [CommandIDs.tagParameters] : [])
  ]) {
    palette?.addItem({
      command,
      category,
      args: command === CommandIDs.promoteNotebook ? { origin: 'palette' } : {}
    });
  }

  app.contextMenu.addItem({
    command: CommandIDs.promoteNotebook,
    args: { origin: 'filebrowser' },
    selector: '.jp-DirListing-item[data-file-type="notebook"]',
    rank: 60
  });

  context.notebooks?.widgetAdded.connect((_, panel) => {
    const button = new ToolbarButton({
      icon: workbenchIcon,
      label: trans.__('Promote'),
      tooltip: trans.__('Workbench: Promote notebook to pipeline'),
      className: 'jp-Workbench-promoteButton',
      onClick: () => {
        void commands.execute(CommandIDs.promoteNotebook, {
          path: panel.context.path,
          origin: 'toolbar'
        });
      }
    });
    panel.toolbar.insertAfter('cellType', 'workbench-promote', button);
  });
}
