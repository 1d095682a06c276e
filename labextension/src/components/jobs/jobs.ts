/**
 * State logic of the Jobs panel: progress of scoring jobs, what can be
 * cancelled, and when to keep polling.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IJob, IModelSummary, IRunRecord } from '../../tokens';
import { ChipKind, IChip } from '../models/models';

const JOB_KINDS: Record<string, ChipKind> = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'ok',
  failed: 'error',
  cancelled: 'warn'
};

export function jobChip(job: IJob, trans: TranslationBundle): IChip {
  return {
    label:
      job.cancel_requested && job.status === 'running'
        ? trans.__('cancelling')
        : job.status,
    kind: JOB_KINDS[job.status] ?? 'neutral',
    title: job.error ?? job.status
  };
}

/**
 * How far a job got: a fraction in [0, 1] (null while the total is unknown) and a label.
 */
export function jobProgress(
  job: IJob,
  trans: TranslationBundle
): { fraction: number | null; label: string } {
  const done = job.rows_done.toLocaleString();
  if (!job.rows_total) {
    return { fraction: null, label: trans.__('%1 rows', done) };
  }
  const fraction = Math.min(1, job.rows_done / job.rows_total);
  return {
    fraction,
    label: trans.__(
      '%1 / %2 rows (%3%)',
      done,
      job.rows_total.toLocaleString(),
      Math.floor(fraction * 100)
    )
  };
}

interface IStoredVerdict {
  share?: unknown;
  limit?: unknown;
  retrain_recommended?: unknown;
  text?: unknown;
}

/**
 * The scoring job's drift warning, as a chip: the stored verdict's share of
 * drifted columns, a warning when it is over the policy's limit (retraining
 * recommended), the verdict's sentence as the title. Null when the job stored
 * no verdict (not finished, drift not checked, or a record older than verdicts).
 */
export function jobDriftChip(
  job: IJob,
  trans: TranslationBundle
): IChip | null {
  const drift = job.drift as { verdict?: IStoredVerdict };
  const verdict = drift.verdict;
  if (!verdict || typeof verdict.share !== 'number') {
    return null;
  }
  const share = `${(verdict.share * 100).toFixed(0)}%`;
  const over = verdict.retrain_recommended === true;
  return {
    label: over
      ? trans.__('drift %1: retrain', share)
      : trans.__('drift %1', share),
    kind: over ? 'warn' : 'neutral',
    title: typeof verdict.text === 'string' ? verdict.text : share
  };
}

export function isActiveJob(job: IJob): boolean {
  return job.status === 'queued' || job.status === 'running';
}

/**
 * A `serve` job is a serving process: it ends when the service stops or its alias moves, and the
 * server refuses to cancel it, so there is no Cancel button for one.
 */
export function canCancelJob(job: IJob): boolean {
  return isActiveJob(job) && !job.cancel_requested && job.kind !== 'serve';
}

/**
 * Poll quickly while anything runs; otherwise refresh only on demand.
 */
export function pollInterval(
  runs: IRunRecord[],
  jobs: IJob[],
  activeMs = 2000
): number | null {
  const active =
    runs.some(run => run.status === 'running') || jobs.some(isActiveJob);
  return active ? activeMs : null;
}

/**
 * Routing counts of a finished job, e.g. "auto_accept 120 · review 30".
 */
export function decisionSummary(job: IJob): string {
  const decisions = job.stats.decisions;
  if (typeof decisions !== 'object' || decisions === null) {
    return '';
  }
  return Object.entries(decisions as Record<string, unknown>)
    .map(([label, count]) => `${label} ${Number(count).toLocaleString()}`)
    .join(' · ');
}

/**
 * The model references a job form offers: each alias (`name@alias`), then each
 * model's latest version (`name:n`).
 */
export function modelReferences(models: IModelSummary[]): string[] {
  const aliases: string[] = [];
  for (const m of models) {
    aliases.push(...Object.keys(m.aliases).map(alias => `${m.name}@${alias}`));
  }
  return [...aliases, ...models.map(m => `${m.name}:${m.latest_version}`)];
}

/**
 * Where a job's output goes by default: `scores/` and the input's file name.
 */
export function outputFor(input: string): string {
  const base = input.split('/').pop() || 'input.parquet';
  return `scores/${base}`;
}
