/**
 * A version's Evidently drift report in a JupyterLab tab: the HTML is fetched
 * through the authenticated API client and shown in a sandboxed frame (scripts
 * run, but in an opaque origin, so they cannot reach the server as the user).
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';

import { WorkbenchClient } from './api';
import { WorkbenchApiError } from './request';

export function driftReportWidget(
  client: WorkbenchClient,
  name: string,
  version: number,
  trans: TranslationBundle
): MainAreaWidget<IFrame> {
  const frame = new IFrame({ sandbox: ['allow-scripts', 'allow-popups'] });
  const widget = new MainAreaWidget({ content: frame });
  widget.id = `workbench-drift-${name}-${version}`;
  widget.title.label = trans.__('Drift: %1:%2', name, version);
  widget.title.closable = true;
  widget.addClass('jp-Workbench-reportTab');
  void fetchHtml(client, client.driftReportUrl(name, version)).then(
    html => setHtml(frame, html),
    (error: WorkbenchApiError) =>
      setHtml(
        frame,
        `<p style="font-family: sans-serif">${escapeHtml(error.message)}</p>`
      )
  );
  return widget;
}

async function fetchHtml(
  client: WorkbenchClient,
  url: string
): Promise<string> {
  const settings = client.settings ?? ServerConnection.makeSettings();
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { method: 'GET' },
      settings
    );
  } catch (reason) {
    throw new WorkbenchApiError(0, 'NetworkError', String(reason));
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = JSON.parse(text).message ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new WorkbenchApiError(response.status, 'Error', message);
  }
  return text;
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
