/**
 * What every panel receives: the API client, translations, the JupyterLab
 * actions it may trigger (open a file, open a report tab), and the sidebar's
 * navigation state, which commands outside the sidebar can change.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { WorkbenchClient } from '../api';
import { KernelRequest } from '../kernelSign';

export interface IWorkbenchActions {
  /**
   * Open a file (a path relative to the server's root folder) in JupyterLab.
   */
  openPath(labPath: string): void;
  /**
   * Open a version's Evidently drift report in a JupyterLab tab.
   */
  openDriftReport(name: string, version: number): void;
  /**
   * Open a URL of the server in a new browser tab (downloads).
   */
  openUrl(url: string): void;
  /**
   * Open a version's page (every section, charts, comparison) in the main area.
   */
  openModelPage(name: string, version: number): void;
  /**
   * Open HTML from the API (a report, an executed notebook) in a sandboxed tab.
   */
  openHtml(tab: IHtmlTab): void;
  /**
   * Run a signed act in a short-lived kernel of the user's own (keyed projects: the
   * server signs nothing); resolves with the act's result as the REST API gives it.
   */
  signInKernel(request: KernelRequest): Promise<unknown>;
}

export interface IHtmlTab {
  id: string;
  label: string;
  /**
   * An absolute URL of the workbench API, fetched with the user's credentials.
   */
  url: string;
  /**
   * Whether its scripts may run (Evidently's charts), in the sandbox's opaque origin.
   */
  scripts: boolean;
}

export interface IPanelProps {
  client: WorkbenchClient;
  trans: TranslationBundle;
  actions: IWorkbenchActions;
}

/**
 * Switch the sidebar's tab, focusing a model (and version) there.
 */
export type ShowTab = (
  tab: TabId,
  focus?: { model?: string; version?: number }
) => void;

export const TABS = [
  'models',
  'pipelines',
  'jobs',
  'review',
  'monitoring',
  'audit'
] as const;
export type TabId = (typeof TABS)[number];

export interface INavigation {
  tab: TabId;
  /**
   * The model (and version) the Models or Monitoring panel should show, when a command or link asked for one.
   */
  model?: string;
  version?: number;
  /**
   * Bumped on every request, so asking twice for the same model still scrolls to it.
   */
  serial: number;
}

/**
 * The sidebar's navigation: which tab is active and what it should focus.
 */
export class NavigationModel {
  get state(): INavigation {
    return this._state;
  }

  get changed(): ISignal<this, INavigation> {
    return this._changed;
  }

  show(tab: TabId, focus: { model?: string; version?: number } = {}): void {
    this._state = { tab, ...focus, serial: this._state.serial + 1 };
    this._changed.emit(this._state);
  }

  private _state: INavigation = { tab: 'models', serial: 0 };
  private _changed = new Signal<this, INavigation>(this);
}
