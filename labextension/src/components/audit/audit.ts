/**
 * State logic of the Audit panel: the filters as query arguments and the
 * chain status badge.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { Query } from '../../api';
import { IChainReport } from '../../tokens';
import { IChip } from '../models/models';

export interface IAuditFilters {
  subject_prefix: string;
  action: string;
  actor: string;
  limit: number;
}

export const defaultFilters: IAuditFilters = {
  subject_prefix: '',
  action: '',
  actor: '',
  limit: 200
};

export function filterQuery(filters: IAuditFilters): Query {
  return {
    subject_prefix: filters.subject_prefix.trim(),
    action: filters.action.trim(),
    actor: filters.actor.trim(),
    limit: filters.limit
  };
}

export function chainBadge(
  report: IChainReport,
  trans: TranslationBundle
): IChip {
  if (report.ok) {
    return {
      label: trans.__('chain verified'),
      kind: 'ok',
      title: trans.__(
        '%1 events; head %2 at seq %3',
        report.count,
        report.head_hash.slice(0, 12),
        report.head_seq
      )
    };
  }
  const where =
    report.broken_at === null
      ? trans.__('chain broken')
      : trans.__('broken at seq %1', report.broken_at);
  return {
    label: report.problem ? `${where} (${report.problem})` : where,
    kind: 'error',
    title: report.message
  };
}

/**
 * A short, readable line of an event's payload.
 */
export function payloadSummary(
  payload: Record<string, unknown>,
  max = 120
): string {
  const text = Object.entries(payload)
    .filter(
      ([, value]) => value !== null && value !== '' && typeof value !== 'object'
    )
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
