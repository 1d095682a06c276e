/**
 * The "Workbench" left-sidebar panel. It hosts one section per area; the
 * foundation has the server status, later panels (models, pipelines, jobs,
 * review, audit) join it here.
 */
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { workbenchIcon } from '../icons';
import { fetchHealth, loadHealth } from './health';
import { HealthView } from './HealthView';

export const SIDEBAR_ID = 'workbench-sidebar';

export interface IWorkbenchSidebarOptions {
  trans: TranslationBundle;
  /**
   * The server connection; by default the page's own.
   */
  serverSettings?: ServerConnection.ISettings;
}

export class WorkbenchSidebar extends ReactWidget {
  constructor(options: IWorkbenchSidebarOptions) {
    super();
    this._trans = options.trans;
    this._serverSettings = options.serverSettings;
    this.id = SIDEBAR_ID;
    this.title.icon = workbenchIcon;
    this.title.caption = this._trans.__('Workbench');
    this.addClass('jp-Workbench-sidebar');
  }

  protected render(): JSX.Element {
    return (
      <div className="jp-Workbench-panel">
        <h2 className="jp-Workbench-title">{this._trans.__('Workbench')}</h2>
        <HealthView load={this._loadHealth} trans={this._trans} />
      </div>
    );
  }

  // Stable across renders, so HealthView loads once per mount, not per render.
  private readonly _loadHealth = () =>
    loadHealth(() => fetchHealth(this._serverSettings));

  private readonly _trans: TranslationBundle;
  private readonly _serverSettings?: ServerConnection.ISettings;
}
