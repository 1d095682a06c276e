/**
 * State logic of the Monitoring section: SLO chips and the figures of a
 * monitoring row, read from `GET models/{name}/monitoring`.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import {
  IModelMonitoring,
  IMonitoringWindow,
  IRetrainRecommendation,
  ISloStatus
} from '../../tokens';
import { IChip } from '../models/models';

/**
 * One chip per objective of the newest version: met (ok), breached (error), no data (neutral).
 * The title carries the observed value and the evidence read.
 */
export function sloChips(
  statuses: ISloStatus[],
  trans: TranslationBundle
): IChip[] {
  return statuses.map(s => {
    const observed =
      s.observed === null ? trans.__('no data') : formatFigure(s.observed);
    const evidence = Object.entries(s.evidence)
      .map(([key, value]) => `${key}: ${evidenceText(value)}`)
      .join('; ');
    const state =
      s.status === 'met'
        ? trans.__('met')
        : s.status === 'breached'
          ? trans.__('breached')
          : trans.__('no data');
    return {
      label: `${s.objective}: ${state}`,
      kind:
        s.status === 'met'
          ? 'ok'
          : s.status === 'breached'
            ? 'error'
            : 'neutral',
      title: trans.__(
        'v%1 over %2: observed %3. Evidence: %4',
        s.version,
        s.window,
        observed,
        evidence
      )
    };
  });
}

/**
 * The Models panel's badge on a model with breached objectives (null when none).
 */
export function breachBadge(
  monitoring: IModelMonitoring,
  trans: TranslationBundle
): IChip | null {
  if (monitoring.breached === 0) {
    return null;
  }
  const breached = monitoring.slos
    .filter(s => s.status === 'breached')
    .map(s => `v${s.version} ${s.objective}`);
  return {
    label: trans._n(
      '%1 SLO breached',
      '%1 SLOs breached',
      monitoring.breached,
      monitoring.breached
    ),
    kind: 'error',
    title: breached.join('\n')
  };
}

/**
 * One line per breached objective, shown under the chips: what was observed
 * against the target, over which window, on which version, and what was read.
 */
export function breachNotes(
  statuses: ISloStatus[],
  trans: TranslationBundle
): string[] {
  return statuses
    .filter(s => s.status === 'breached')
    .map(s => {
      const read = [
        typeof s.evidence.rows === 'number'
          ? trans._n('%1 decision', '%1 decisions', s.evidence.rows)
          : null,
        typeof s.evidence.outcomes === 'number'
          ? trans._n('%1 outcome', '%1 outcomes', s.evidence.outcomes)
          : null,
        Array.isArray(s.evidence.jobs)
          ? trans._n('%1 job', '%1 jobs', s.evidence.jobs.length)
          : null
      ].filter(part => part !== null);
      return trans.__(
        '%1: observed %2 against %3 %4 over %5 on v%6 (%7)',
        s.objective,
        s.observed === null ? trans.__('no data') : formatFigure(s.observed),
        s.op,
        String(s.target),
        s.window,
        s.version,
        read.join(', ')
      );
    });
}

/**
 * The statuses of the newest version in the report (the one the chips show).
 */
export function newestStatuses(monitoring: IModelMonitoring): ISloStatus[] {
  const newest = Math.max(...monitoring.slos.map(s => s.version));
  return monitoring.slos.filter(s => s.version === newest);
}

export interface IFigure {
  label: string;
  value: string;
}

/**
 * The figures of one monitoring row, formatted, in reading order.
 */
export function windowFigures(
  row: IMonitoringWindow,
  trans: TranslationBundle
): IFigure[] {
  const pct = (v: number | null) =>
    v === null ? '–' : `${(v * 100).toFixed(1)}%`;
  const num = (v: number | null, digits = 3) =>
    v === null ? '–' : v.toFixed(digits);
  return [
    { label: trans.__('decisions'), value: row.rows.toLocaleString('en') },
    { label: trans.__('automation'), value: pct(row.automation_rate) },
    { label: trans.__('review'), value: pct(row.review_rate) },
    { label: trans.__('override'), value: pct(row.override_rate) },
    { label: trans.__('outcome coverage'), value: pct(row.outcome_coverage) },
    { label: trans.__('realized AUC'), value: num(row.auc) },
    { label: trans.__('Brier'), value: num(row.brier) },
    { label: trans.__('calibration error'), value: num(row.calibration_error) },
    {
      label: trans.__('automatic decisions right'),
      value: pct(row.automated_accuracy)
    },
    { label: trans.__('fairness gap'), value: num(row.fairness_gap) },
    { label: trans.__('drift share'), value: num(row.drift_share, 2) },
    {
      label: trans.__('p99 batch latency'),
      value:
        row.p99_batch_latency_ms === null
          ? '–'
          : `${row.p99_batch_latency_ms.toFixed(1)} ms`
    },
    {
      label: trans.__('staff hours saved'),
      value: num(row.staff_hours_saved, 1)
    }
  ];
}

function formatFigure(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

function evidenceText(value: unknown): string {
  if (Array.isArray(value)) {
    return value.length > 3
      ? `${value.slice(0, 3).join(', ')} … (${value.length})`
      : value.join(', ');
  }
  return typeof value === 'object' && value !== null
    ? JSON.stringify(value)
    : String(value);
}

export interface IRetrainNote {
  key: string;
  version: number;
  trigger: IRetrainRecommendation['trigger'];
  text: string;
  /**
   * What `workbench monitor --act` did about it last, or would do.
   */
  action: string;
}

/**
 * One line per version to retrain and why (its drift flag's verdict, a breached
 * accuracy or fairness objective), with what acting on it runs or ran.
 */
export function retrainNotes(
  monitoring: Pick<IModelMonitoring, 'retrain' | 'retrain_stage'>,
  trans: TranslationBundle
): IRetrainNote[] {
  const next =
    monitoring.retrain_stage === null
      ? trans.__(
          'The policy names no monitoring.retrain_stage: retrain by hand.'
        )
      : trans.__(
          'workbench monitor --act runs the stage %1; the gate still decides what is promoted.',
          monitoring.retrain_stage
        );
  return monitoring.retrain.map((r, index) => {
    const last = r.last_action as {
      at?: string;
      status?: string;
      stage?: string;
    } | null;
    return {
      key: `${r.version}:${r.trigger}:${index}`,
      version: r.version,
      trigger: r.trigger,
      text: trans.__('v%1: %2', r.version, r.reason),
      action: last
        ? trans.__(
            'Retrained with %1 at %2: %3.',
            last.stage ?? '?',
            (last.at ?? '').slice(0, 16).replace('T', ' '),
            last.status ?? '?'
          )
        : next
    };
  });
}

/**
 * How many of each version's decisions in the window have ground truth yet.
 */
export function coverageLines(
  rows: IMonitoringWindow[],
  trans: TranslationBundle
): string[] {
  return rows.map(row =>
    trans.__(
      'v%1 · %2: outcomes for %3 of %4 decisions (%5)',
      row.version,
      row.window,
      row.outcomes.toLocaleString('en'),
      row.rows.toLocaleString('en'),
      row.outcome_coverage === null
        ? '–'
        : `${(row.outcome_coverage * 100).toFixed(1)}%`
    )
  );
}
