/**
 * State logic of the Pipelines and Jobs panels for notebook runs: status chips,
 * the failing cell, how to read the answer while a just-started run is not
 * recorded yet (and once its `dvc repro` has ended), and the edited parameters
 * of a run.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { paramText, parseParam } from '../../promote/promote';
import {
  ILaunchInfo,
  IRunRecord,
  IStage,
  IStageParameters
} from '../../tokens';
import { ChipKind, IChip } from '../models/models';

const RUN_KINDS: Record<string, ChipKind> = {
  running: 'info',
  succeeded: 'ok',
  failed: 'error',
  'timed-out': 'error',
  cancelled: 'warn'
};

export function runChip(run: IRunRecord): IChip {
  return {
    label: run.status,
    kind: RUN_KINDS[run.status] ?? 'neutral',
    title: run.error_message ?? run.status
  };
}

export function stageChip(stage: IStage, trans: TranslationBundle): IChip {
  switch (stage.status.state) {
    case 'up-to-date':
      return {
        label: trans.__('up to date'),
        kind: 'ok',
        title: trans.__('Deps, params and outs match dvc.lock')
      };
    case 'changed':
      return {
        label: trans.__('changed'),
        kind: 'warn',
        title: stage.status.changes.join('\n') || trans.__('Needs a run')
      };
    default:
      return {
        label: trans.__('status unknown'),
        kind: 'neutral',
        title: stage.status.message
      };
  }
}

/**
 * Where a failed run stopped, as people count cells: "cell 3: ValueError".
 */
export function failingCell(
  run: IRunRecord,
  trans: TranslationBundle
): string | null {
  if (run.status === 'running' || run.status === 'succeeded') {
    return null;
  }
  const name = run.error_name ?? run.status;
  if (run.error_cell === null) {
    return name;
  }
  return trans.__('cell %1: %2', run.error_cell + 1, name);
}

export function isActiveRun(run: IRunRecord): boolean {
  return run.status === 'running';
}

/**
 * What a just-started run is doing: `starting` until its record exists (its
 * kernel is starting), `recorded` from then on (follow it as a run), `gone`
 * when its process ended before recording anything (the log tail says why).
 */
export type LaunchOutcome =
  | { kind: 'recorded' }
  | { kind: 'starting' }
  | { kind: 'gone'; message: string };

export function launchOutcome(launch: ILaunchInfo): LaunchOutcome {
  if (launch.recorded) {
    return { kind: 'recorded' };
  }
  if (launch.running) {
    return { kind: 'starting' };
  }
  const lines = launch.log_tail.split('\n').filter(line => line.trim());
  const last = lines.length ? lines[lines.length - 1] : '';
  return {
    kind: 'gone',
    message: `The run ended (exit code ${launch.returncode}) before it started the notebook${last ? `: ${last}` : '.'}`
  };
}

/**
 * The user's paths of a stage (deps without the notebook itself, outs without
 * the executed notebook workbench adds).
 */
export function ownPaths(stage: IStage): { deps: string[]; outs: string[] } {
  const executed = `runs/${stage.name}/${stage.name}.ipynb`;
  return {
    deps: stage.deps.filter(path => path !== stage.notebook),
    outs: stage.outs.filter(path => path !== executed)
  };
}

/**
 * How a launch ended once its process is gone: null while it runs or when
 * `dvc repro` succeeded (the stage is locked), else why not.
 */
export function launchFailure(launch: ILaunchInfo): string | null {
  if (launch.running || launch.returncode === 0) {
    return null;
  }
  const lines = launch.log_tail.split('\n').filter(line => line.trim());
  const last = lines.length ? lines[lines.length - 1] : '';
  return `dvc repro ended with exit code ${launch.returncode}${last ? `: ${last}` : '.'}`;
}

/**
 * The inputs' texts for a stage's parameters as params.yaml gives them.
 */
export function paramTexts(info: IStageParameters): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const spec of info.parameters) {
    texts[spec.name] = paramText(spec, info.values[spec.name]);
  }
  return texts;
}

/**
 * The values that differ from params.yaml (what the run request sends), and
 * the typing problem of each field that holds one.
 */
export function changedParams(
  info: IStageParameters,
  texts: Record<string, string>
): { params: Record<string, unknown>; errors: Record<string, string> } {
  const params: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const spec of info.parameters) {
    const parsed = parseParam(spec, texts[spec.name] ?? '');
    if (!parsed.ok) {
      errors[spec.name] = parsed.error;
    } else if (
      JSON.stringify(parsed.value) !== JSON.stringify(info.values[spec.name])
    ) {
      params[spec.name] = parsed.value;
    }
  }
  return { params, errors };
}
