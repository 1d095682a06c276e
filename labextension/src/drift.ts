/**
 * HTML from the API in a JupyterLab tab: a version's Evidently drift report, an
 * exported audit report, a run's executed notebook. The HTML is fetched through
 * the authenticated API client and shown in a sandboxed frame: scripts run only
 * where they must (Evidently's charts), and always in an opaque origin, so they
 * cannot reach the server as the user.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';

import { WorkbenchClient } from './api';
import { WorkbenchApiError } from './request';

export interface IHtmlTabOptions {
  id: string;
  label: string;
  url: string;
  /**
   * Whether the page's own scripts may run (in the sandbox's opaque origin).
   */
  scripts: boolean;
}

export function htmlTabWidget(
  client: WorkbenchClient,
  options: IHtmlTabOptions
): MainAreaWidget<IFrame> {
  const frame = new IFrame({
    sandbox: options.scripts ? ['allow-scripts', 'allow-popups'] : []
  });
  const widget = new MainAreaWidget({ content: frame });
  widget.id = options.id;
  widget.title.label = options.label;
  widget.title.closable = true;
  widget.addClass('jp-Workbench-reportTab');
  void client.fetchText(options.url).then(
    html => setHtml(frame, html),
    (error: WorkbenchApiError) =>
      setHtml(
        frame,
        `<p style="font-family: sans-serif">${escapeHtml(error.message)}</p>`
      )
  );
  return widget;
}

export function driftReportWidget(
  client: WorkbenchClient,
  name: string,
  version: number,
  trans: TranslationBundle
): MainAreaWidget<IFrame> {
  return htmlTabWidget(client, {
    id: `workbench-drift-${name}-${version}`,
    label: trans.__('Drift: %1:%2', name, version),
    url: client.driftReportUrl(name, version),
    scripts: true
  });
}

function setHtml(frame: IFrame, html: string): void {
  const node = frame.node.querySelector('iframe');
  if (node) {
    node.srcdoc = html;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`);
}
