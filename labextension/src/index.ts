/**
 * The workbench JupyterLab extension: registers the "Workbench" left-sidebar
 * panel and its commands (see commands.ts).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The client and the commands are needed at activation, like the sidebar.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { WorkbenchClient } from './api';
import { addCommands, CommandIDs, openHtmlTab } from './commands';
// The sidebar is added at start-up, so its module is needed at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { WorkbenchSidebar } from './components/WorkbenchSidebar';
import { runInKernel } from './kernelSign';

export { CommandIDs };

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'workbench:plugin',
  description:
    'The Workbench sidebar: governed, reproducible ML automation in JupyterLab.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    INotebookTracker,
    IFileBrowserFactory,
    IRenderMimeRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    notebooks: INotebookTracker | null,
    browsers: IFileBrowserFactory | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('workbench');
    const serverSettings = app.serviceManager.serverSettings;
    const client = new WorkbenchClient(serverSettings);
    const sidebar = new WorkbenchSidebar({
      trans,
      serverSettings,
      actions: {
        openPath: path =>
          void app.commands.execute('docmanager:open', { path }),
        openDriftReport: (name, version) =>
          void app.commands.execute(CommandIDs.openDriftReport, {
            name,
            version
          }),
        openUrl: url => window.open(url, '_blank', 'noopener'),
        openModelPage: (name, version) =>
          void app.commands.execute(CommandIDs.openModelPage, {
            name,
            version
          }),
        openHtml: tab => openHtmlTab({ app, client }, tab),
        signInKernel: request =>
          runInKernel(app.serviceManager.kernels, request)
      }
    });
    app.shell.add(sidebar, 'left', { rank: 900 });
    restorer?.add(sidebar, sidebar.id);
    addCommands({
      app,
      sidebar,
      client,
      trans,
      palette,
      notebooks,
      browsers,
      rendermime
    });
  }
};

export default plugin;
