/**
 * The lines of the health view, kept apart from React so they are unit tested
 * without rendering. Its loading state is a `Loadable` like every panel's.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IHealthResponse } from '../tokens';

/**
 * One labelled line of the view.
 */
export interface IHealthRow {
  label: string;
  value: string;
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
