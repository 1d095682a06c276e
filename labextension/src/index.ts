/**
 * The workbench JupyterLab extension: registers the "Workbench" left-sidebar
 * panel and its commands.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The sidebar is added at start-up, so its module is needed at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { WorkbenchSidebar } from './components/WorkbenchSidebar';
import { workbenchIcon } from './icons';

export namespace CommandIDs {
  export const openSidebar = 'workbench:open-sidebar';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'workbench:plugin',
  description:
    'The Workbench sidebar: governed, reproducible ML automation in JupyterLab.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('workbench');
    const sidebar = new WorkbenchSidebar({
      trans,
      serverSettings: app.serviceManager.serverSettings
    });
    app.shell.add(sidebar, 'left', { rank: 900 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: trans.__('Workbench: Open sidebar'),
      icon: workbenchIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({
      command: CommandIDs.openSidebar,
      category: trans.__('Workbench')
    });
  }
};

export default plugin;
