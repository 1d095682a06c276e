/**
 * State logic of the Rollout section: a model's shadow or canary, read from
 * `GET models/{name}/rollout` and arranged for display. The numbers are the
 * server's (`workbench rollout report`); this only words them, and says from
 * the intervals whether a difference is more than noise.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import {
  IModelRollout,
  IProportionDifference,
  IRolloutEvent,
  IRolloutGuard,
  IRolloutPlan,
  IRolloutReport
} from '../../tokens';
import { formatNumber } from '../loadable';
import { IChip } from '../models/models';

/** One arm's row: who decides, how often it sends rows to review, how it fared. */
export interface IArmRow {
  arm: string;
  version: number | null;
  decisions: number;
  mix: string;
  reviewRate: string;
  overrideRate: string;
  auc: string;
}

/** One comparison between the arms, with the interval and its verdict. */
export interface IComparison {
  label: string;
  value: string;
  interval: string;
  /** null where no interval could be drawn. */
  moreThanNoise: boolean | null;
}

/** The newest automatic rollback, worded: which guard, against which limit, on what evidence. */
export interface IRollbackNote {
  summary: string;
  time: string;
  evidence: { label: string; value: string }[];
}

export function percent(value: number | null | undefined, digits = 1): string {
  return typeof value === 'number' ? `${(value * 100).toFixed(digits)}%` : '–';
}

function signed(value: number, digits = 4): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

function span(low: number, high: number, digits = 4): string {
  return `${signed(low, digits)} … ${signed(high, digits)}`;
}

/** "accept 20 · decline 7 · review 3", largest first (ties by name). */
export function mixText(mix: Record<string, number>): string {
  return Object.entries(mix)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([label, count]) => `${label} ${count}`)
    .join(' · ');
}

/** The challenger arm's name in the report: `canary` or `shadow`. */
function challengerArm(plan: IRolloutPlan | null, report: IRolloutReport) {
  return report.mode ?? plan?.mode ?? 'canary';
}

/**
 * The rollout's chips: its mode, champion against challenger, the canary's
 * share, and whether it runs or which event ended it.
 */
export function rolloutChips(
  plan: IRolloutPlan,
  trans: TranslationBundle
): IChip[] {
  const version = (v: number | null) =>
    v === null ? trans.__('none placed') : `v${v}`;
  const chips: IChip[] = [
    {
      label: plan.mode === 'canary' ? trans.__('canary') : trans.__('shadow'),
      kind: 'info',
      title:
        plan.mode === 'canary'
          ? trans.__(
              'The challenger decides for a fixed share of keys (a hash of the key).'
            )
          : trans.__(
              'The challenger scores every row beside the champion and decides nothing.'
            )
    },
    {
      label: trans.__(
        'champion %1 · challenger %2',
        version(plan.champion_version),
        version(plan.challenger_version)
      ),
      kind: 'neutral',
      title: trans.__(
        'The champion is the version on production; the challenger the version on canary, or the shadow the policy names.'
      )
    }
  ];
  if (plan.share !== null) {
    chips.push({
      label: trans.__('share %1', percent(plan.share)),
      kind: 'neutral',
      title: trans.__(
        "The share of keys the policy's rollout.share gives the canary."
      )
    });
  }
  chips.push(stateChip(plan, trans));
  return chips;
}

function stateChip(plan: IRolloutPlan, trans: TranslationBundle): IChip {
  const ended = plan.ended_by;
  if (ended) {
    const when = ended.time.slice(0, 19).replace('T', ' ');
    if (ended.action === 'rollout.rollback') {
      return {
        label: trans.__('rolled back'),
        kind: 'error',
        title: trans.__(
          'Guard %1 breached; rolled back at %2.',
          String(ended.guard ?? '?'),
          when
        )
      };
    }
    return ended.action === 'rollout.promote'
      ? {
          label: trans.__('promoted'),
          kind: 'ok',
          title: trans.__('Promoted to production at %1.', when)
        }
      : {
          label: trans.__('stopped'),
          kind: 'neutral',
          title: trans.__(
            'Stopped by hand at %1: %2',
            when,
            String(ended.reason ?? '')
          )
        };
  }
  if (!plan.active) {
    return {
      label: trans.__('not started'),
      kind: 'warn',
      title:
        plan.mode === 'canary'
          ? trans.__(
              'No version is on canary; promote one through the gate (workbench models promote NAME:V --alias canary).'
            )
          : trans.__("The policy's challenger is not a registered version.")
    };
  }
  return {
    label: trans.__('running'),
    kind: 'ok',
    title: trans.__('The service routes to the challenger.')
  };
}

/** One row per arm of the report, champion first, with its override rate and realized AUC. */
export function armRows(data: IModelRollout): IArmRow[] {
  const { report, rollout: plan } = data;
  if (!report?.arms) {
    return [];
  }
  const challenger = challengerArm(plan, report);
  const outcomes = report.with_outcomes?.arms ?? {};
  return Object.entries(report.arms).map(([arm, stats]) => {
    const override = plan?.overrides[arm];
    const realized = outcomes[arm];
    return {
      arm,
      version:
        arm === 'champion'
          ? (plan?.champion_version ?? null)
          : arm === challenger
            ? (plan?.challenger_version ?? null)
            : null,
      decisions: stats.decisions,
      mix: mixText(stats.decision_mix),
      reviewRate: percent(stats.review_rate),
      overrideRate: override ? percent(override.override_rate) : '–',
      auc:
        realized && realized.auc !== null
          ? `${formatNumber(realized.auc)} (${realized.with_outcomes})`
          : '–'
    };
  });
}

function proportion(
  label: string,
  d: IProportionDifference,
  digits = 4
): IComparison {
  return {
    label,
    value: signed(d.difference, digits),
    interval: span(d.low, d.high, digits),
    moreThanNoise: d.significant
  };
}

/**
 * The comparisons of the arms: a shadow's agreement and score difference, a
 * canary's review-rate difference, and with outcomes the AUC difference and
 * each group's selection-rate difference.
 */
export function comparisons(
  report: IRolloutReport,
  trans: TranslationBundle
): IComparison[] {
  const out: IComparison[] = [];
  if (report.agreement) {
    const [low, high] = report.agreement.interval;
    out.push({
      label: trans.__('agreement of decisions'),
      value: percent(report.agreement.rate, 2),
      interval: `${percent(low, 2)} … ${percent(high, 2)}`,
      moreThanNoise: high < 1
    });
  }
  if (report.score_difference) {
    const d = report.score_difference;
    out.push({
      label: trans.__('score difference (challenger − champion)'),
      value: trans.__(
        '%1 (p05 %2, p50 %3, p95 %4)',
        signed(d.mean),
        signed(d.p05),
        signed(d.p50),
        signed(d.p95)
      ),
      interval: span(d.interval[0], d.interval[1]),
      moreThanNoise: d.interval[0] > 0 || d.interval[1] < 0
    });
  }
  if (report.review_rate_difference) {
    out.push(
      proportion(
        trans.__('review rate (canary − champion)'),
        report.review_rate_difference
      )
    );
  }
  const outcomes = report.with_outcomes;
  const auc = outcomes?.auc_difference;
  if (auc && auc.difference !== null) {
    out.push({
      label: trans.__('realized AUC (challenger − champion)'),
      value: signed(auc.difference),
      interval: auc.interval
        ? span(auc.interval[0], auc.interval[1])
        : trans.__('no interval'),
      moreThanNoise: auc.interval ? auc.significant : null
    });
  }
  for (const [column, groups] of Object.entries(
    outcomes?.selection_rate_difference ?? {}
  )) {
    for (const [group, d] of Object.entries(groups)) {
      out.push(
        proportion(trans.__('selection rate, %1 = %2', column, group), d)
      );
    }
  }
  return out;
}

function moment(iso: string): string {
  return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * Which decisions the numbers cover: this rollout's (since the canary alias
 * was placed, until the event that ended it; a shadow's rows), or every
 * logged decision when the policy declares no rollout.
 */
export function windowText(
  report: IRolloutReport,
  trans: TranslationBundle
): string {
  const { since, until, challenger } = report.window;
  if (challenger === null) {
    return trans.__(
      'Over every logged decision: the policy declares no rollout now.'
    );
  }
  const from = since
    ? trans.__(
        'Decisions since v%1 went on canary at %2',
        challenger,
        moment(since)
      )
    : trans.__('The rows v%1 scored beside the champion', challenger);
  return until
    ? trans.__('%1, until its rollout ended at %2.', from, moment(until))
    : `${from}.`;
}

/** The verdict's words: whether the interval excludes no difference. */
export function verdictText(
  moreThanNoise: boolean | null,
  trans: TranslationBundle
): string {
  return moreThanNoise === null
    ? trans.__('too few outcomes to tell')
    : moreThanNoise
      ? trans.__('more than noise')
      : trans.__('within noise');
}

/**
 * One chip per guard: ok, breached (error), waiting for min_decisions,
 * no data, or judged by each serving replica (its limit only).
 */
export function guardChips(
  guards: IRolloutGuard[],
  trans: TranslationBundle
): IChip[] {
  return guards.map(g => {
    const observed = g.observed === null ? '–' : formatNumber(g.observed);
    const states: Record<IRolloutGuard['status'], [string, IChip['kind']]> = {
      ok: [trans.__('ok'), 'ok'],
      breached: [trans.__('breached'), 'error'],
      waiting: [trans.__('waiting'), 'neutral'],
      no_data: [trans.__('no data'), 'neutral'],
      replica: [trans.__('per replica'), 'info']
    };
    const [state, kind] = states[g.status];
    const title =
      g.status === 'replica'
        ? trans.__(
            'Limit %1. Each serving replica judges this on its own traffic; a breach rolls the canary back.',
            formatNumber(g.limit)
          )
        : g.status === 'waiting'
          ? trans.__(
              'Limit %1. Guards are judged once the canary made min_decisions decisions.',
              formatNumber(g.limit)
            )
          : trans.__(
              'Observed %1 against a limit of %2.',
              observed,
              formatNumber(g.limit)
            );
    return {
      label: `${g.guard} ≤ ${formatNumber(g.limit)}: ${state}`,
      kind,
      title
    };
  });
}

function evidenceValue(value: unknown): string {
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .map(
        ([k, v]) =>
          `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`
      )
      .join(', ');
  }
  return String(value);
}

/** The newest automatic rollback, or null when the guards never tripped. */
export function lastRollback(
  rollbacks: IRolloutEvent[],
  trans: TranslationBundle
): IRollbackNote | null {
  const event = rollbacks[rollbacks.length - 1];
  if (!event) {
    return null;
  }
  const evidence = (event.evidence ?? {}) as Record<string, unknown>;
  return {
    summary: trans.__(
      'v%1 rolled back: %2 observed %3 against a limit of %4',
      String(event.version ?? '?'),
      String(event.guard ?? '?'),
      formatNumber(event.observed),
      formatNumber(event.limit)
    ),
    time: event.time,
    evidence: Object.entries(evidence).map(([label, value]) => ({
      label,
      value: evidenceValue(value)
    }))
  };
}
