/**
 * State logic of the Models panel: the chips of a version row and the pieces of
 * a version's detail view, read from the server's review state. The server
 * decides what is allowed (`actions`); this only arranges it for display.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { WorkbenchClient } from '../../api';
import {
  IActionState,
  IModelMetrics,
  IModelSummary,
  IReviewState,
  IVersionSummary
} from '../../tokens';
import { IHtmlTab } from '../context';
import { formatNumber, isRecord } from '../loadable';

export type ChipKind = 'ok' | 'warn' | 'error' | 'info' | 'neutral';

export interface IChip {
  label: string;
  kind: ChipKind;
  title: string;
}

/**
 * The status chips of a version row: checks, approvals n/m, rejection, aliases.
 */
export function versionChips(
  version: IVersionSummary,
  trans: TranslationBundle
): IChip[] {
  const chips: IChip[] = [];
  if (version.checks_total === 0) {
    chips.push({
      label: trans.__('checks not run'),
      kind: 'neutral',
      title: trans.__('No checks evaluated under the current policy yet')
    });
  } else if (version.checks_failed === 0) {
    chips.push({
      label: trans.__('checks pass'),
      kind: 'ok',
      title: trans.__('%1 required checks passed', version.checks_total)
    });
  } else {
    chips.push({
      label: trans.__(
        '%1/%2 checks fail',
        version.checks_failed,
        version.checks_total
      ),
      kind: 'error',
      title: trans.__('Required checks failed')
    });
  }
  if (version.approvals_required !== null) {
    const enough = version.approvals >= version.approvals_required;
    chips.push({
      label: trans.__(
        'approvals %1/%2',
        version.approvals,
        version.approvals_required
      ),
      kind: enough ? 'ok' : 'warn',
      title: trans.__('Distinct allowed approvals the gate counts')
    });
  }
  if (version.rejected) {
    chips.push({
      label: trans.__('rejected'),
      kind: 'error',
      title: trans.__('A reviewer rejected this version')
    });
  }
  for (const alias of version.aliases) {
    chips.push({
      label: `@${alias}`,
      kind: 'info',
      title: trans.__('Alias %1 points here', alias)
    });
  }
  return chips;
}

/**
 * A button's state: enabled, or disabled with the server's reason.
 */
export interface IButtonState {
  disabled: boolean;
  reason: string;
}

export function buttonState(action: IActionState | undefined): IButtonState {
  if (!action) {
    return { disabled: true, reason: '' };
  }
  return {
    disabled: !action.allowed,
    reason: action.allowed ? '' : action.reason
  };
}

/**
 * The aliases the version may be promoted to: those the policy protects.
 */
export function promotableAliases(state: IReviewState): string[] {
  const protects = isRecord(state.policy) ? state.policy.protects : undefined;
  if (Array.isArray(protects) && protects.length) {
    return protects.map(String);
  }
  return [state.alias];
}

export interface IRow {
  label: string;
  value: string;
}

/**
 * The version's top-level numeric metrics (calibration tables and the like are left out).
 */
export function metricRows(state: IReviewState): IRow[] {
  return Object.entries(state.version.metrics)
    .filter(([, value]) => typeof value === 'number')
    .map(([label, value]) => ({ label, value: formatNumber(value) }));
}

export interface IFeature {
  feature: string;
  importance: number;
  share: number;
}

/**
 * The top features by mean |SHAP|, with each one's share of the largest (for bars).
 */
export function topFeatures(state: IReviewState, limit = 8): IFeature[] {
  const rows = state.version.explanation.global;
  if (!Array.isArray(rows)) {
    return [];
  }
  const features = rows
    .filter(isRecord)
    .map(row => ({
      feature: String(row.feature),
      importance: Number(row.mean_abs_shap) || 0
    }))
    .slice(0, limit);
  const largest = Math.max(...features.map(f => f.importance), 0);
  return features.map(f => ({
    ...f,
    share: largest > 0 ? f.importance / largest : 0
  }));
}

export interface IDriftSummary {
  drifted: number;
  columns: number;
  share: number;
  datasetDrift: boolean;
  driftedColumns: string[];
}

export function driftSummary(state: IReviewState): IDriftSummary | null {
  const { summary, columns } = state.version.drift;
  if (!isRecord(summary)) {
    return null;
  }
  const drifted = Array.isArray(columns)
    ? columns
        .filter(isRecord)
        .filter(column => column.drifted === true)
        .map(column => String(column.column))
    : [];
  return {
    drifted: Number(summary.n_drifted) || 0,
    columns: Number(summary.n_columns) || 0,
    share: Number(summary.drift_share) || 0,
    datasetDrift: summary.dataset_drift === true,
    driftedColumns: drifted
  };
}

/**
 * Fairness differences per sensitive attribute (`demographic_parity_difference` ...).
 */
export function fairnessRows(state: IReviewState): IRow[] {
  const rows: IRow[] = [];
  for (const [attribute, report] of Object.entries(state.version.fairness)) {
    if (!isRecord(report)) {
      continue;
    }
    for (const [key, value] of Object.entries(report)) {
      if (typeof value === 'number') {
        rows.push({
          label: `${attribute}: ${key}`,
          value: formatNumber(value)
        });
      }
    }
  }
  return rows;
}

/**
 * Whether the version has an Evidently drift report to open.
 */
export function hasDriftReport(state: IReviewState): boolean {
  return 'drift_report' in state.version.artifacts;
}

/**
 * A report written into the project, in a sandboxed tab through the API (its
 * Evidently section runs its scripts there, as it cannot in JupyterLab's HTML viewer).
 */
export function reportTab(client: WorkbenchClient, path: string): IHtmlTab {
  return {
    id: `workbench-report-${path}`,
    label: path.split('/').pop() ?? path,
    url: client.reportUrl(path),
    scripts: true
  };
}

/**
 * "auc 0.8547": the model's key metric for a version row, or null.
 */
export function keyMetricLabel(
  metrics: IModelMetrics,
  version: number
): string | null {
  const key = metrics.key_metric;
  const row = metrics.versions.find(v => v.version === version);
  if (!key || !row || typeof row.metrics[key] !== 'number') {
    return null;
  }
  return `${key} ${formatNumber(row.metrics[key])}`;
}

function words(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/**
 * Whether a model matches every word of the filter (its name or an alias).
 */
export function matchesModel(model: IModelSummary, query: string): boolean {
  const text = [model.name, ...Object.keys(model.aliases).map(a => `@${a}`)]
    .join(' ')
    .toLowerCase();
  return words(query).every(word => text.includes(word));
}

/**
 * Whether a version row matches every word of the filter: `v3`, the author, an
 * `@alias`, or a chip's text (`rejected`, `checks pass` ...).
 */
export function matchesVersion(
  row: IVersionSummary,
  query: string,
  trans: TranslationBundle
): boolean {
  const text = [
    `v${row.version}`,
    row.author,
    ...versionChips(row, trans).map(chip => chip.label)
  ]
    .join(' ')
    .toLowerCase();
  return words(query).every(word =>
    /^v\d+$/.test(word) ? `v${row.version}` === word : text.includes(word)
  );
}
