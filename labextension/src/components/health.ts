/**
 * State logic of the health view, kept apart from React so it is unit tested
 * without rendering.
 */
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { requestAPI, WorkbenchApiError } from '../request';
import { IHealthResponse } from '../tokens';

export type HealthState =
  | { status: 'loading' }
  | { status: 'ready'; health: IHealthResponse }
  | { status: 'error'; error: WorkbenchApiError };

/**
 * One labelled line of the view.
 */
export interface IHealthRow {
  label: string;
  value: string;
}

export function fetchHealth(
  settings?: ServerConnection.ISettings
): Promise<IHealthResponse> {
  return requestAPI<IHealthResponse>('health', { method: 'GET' }, settings);
}

/**
 * Any thrown value as a WorkbenchApiError, so the view has one error shape.
 */
export function asApiError(reason: unknown): WorkbenchApiError {
  if (reason instanceof WorkbenchApiError) {
    return reason;
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return new WorkbenchApiError(0, 'ClientError', message);
}

/**
 * Run `fetch` and turn its outcome into the next state; never rejects.
 */
export async function loadHealth(
  fetch: () => Promise<IHealthResponse>
): Promise<HealthState> {
  try {
    return { status: 'ready', health: await fetch() };
  } catch (reason) {
    return { status: 'error', error: asApiError(reason) };
  }
}

/**
 * The lines the view shows for a health answer.
 */
export function healthRows(
  health: IHealthResponse,
  trans: TranslationBundle
): IHealthRow[] {
  const roles = health.roles.length ? ` (${health.roles.join(', ')})` : '';
  const none = trans.__('none');
  return [
    { label: trans.__('Version'), value: health.version },
    { label: trans.__('User'), value: `${health.user}${roles}` },
    { label: trans.__('Project'), value: health.project_root ?? none },
    { label: trans.__('Database'), value: health.db_backend ?? none }
  ];
}
