/**
 * The Pipelines panel: the stages of dvc.yaml with their deps, outs and
 * changed / up-to-date state, Run and Run with parameters per notebook stage
 * (through `dvc repro`, which locks the stage), the runs with status, duration
 * and the failing cell, and the schedules (add, pause, resume, remove).
 */
import * as React from 'react';

import { WorkbenchApiError } from '../../request';
import { IRunRecord, IStage } from '../../tokens';
import {
  ActionButton,
  Chip,
  Empty,
  ErrorBox,
  Loaded,
  LogToggle,
  SectionHeader,
  useLoadable
} from '../common';
import { IPanelProps } from '../context';
import { asApiError, formatDuration, formatTime } from '../loadable';
import {
  failingCell,
  launchFailure,
  launchOutcome,
  isActiveRun,
  ownPaths,
  runChip,
  stageChip
} from './pipelines';
import { RunParameters } from './RunParameters';
import { Schedules } from './Schedules';

export function PipelinesPanel(props: IPanelProps): JSX.Element {
  const { client, trans } = props;
  const [stages, reloadStages] = useLoadable(
    () => client.listStages(),
    [client]
  );
  const [runs, reloadRuns] = useLoadable(
    () => client.listRuns({ limit: 20 }),
    [client],
    data => (data.runs.some(isActiveRun) ? 2000 : null)
  );
  const [starting, setStarting] = React.useState<string | null>(null);
  const [error, setError] = React.useState<WorkbenchApiError | null>(null);

  const run = async (stage: string, params?: Record<string, unknown>) => {
    setStarting(stage);
    setError(null);
    let launchId: string | null = null;
    try {
      const started = await client.startRun(stage, params);
      launchId = started.id;
      // The run records itself once its kernel starts; until then the server answers 404
      // with the process still running. Wait for the record (or for the process to die).
      for (let i = 0; i < 120; i++) {
        const outcome = launchOutcome(await client.getLaunch(started.id));
        if (outcome.kind === 'recorded') {
          break;
        }
        if (outcome.kind === 'gone') {
          setError(new WorkbenchApiError(0, 'RunFailed', outcome.message));
          launchId = null;
          break;
        }
        await new Promise(resolve => setTimeout(resolve, 500));
      }
    } catch (reason) {
      setError(asApiError(reason));
      throw reason;
    } finally {
      setStarting(null);
      reloadRuns();
      reloadStages();
    }
    if (launchId) {
      void follow(launchId);
    }
  };

  // `dvc repro` writes dvc.lock after the notebook ends: the stage's state is read again then.
  const follow = async (launchId: string) => {
    for (let i = 0; i < 3600; i++) {
      await new Promise(resolve => setTimeout(resolve, 1000));
      let launch;
      try {
        launch = await client.getLaunch(launchId);
      } catch {
        return;
      }
      if (!launch.running) {
        const failure = launchFailure(launch);
        if (failure) {
          setError(new WorkbenchApiError(0, 'ReproFailed', failure));
        }
        reloadRuns();
        reloadStages();
        return;
      }
    }
  };

  const refresh = () => {
    reloadStages();
    reloadRuns();
  };

  return (
    <>
      <section className="jp-Workbench-section" aria-label={trans.__('Stages')}>
        <SectionHeader
          title={trans.__('Stages')}
          onRefresh={refresh}
          busy={stages.status === 'loading'}
          trans={trans}
        />
        {error && <ErrorBox error={error} trans={trans} />}
        <Loaded state={stages} trans={trans} onRetry={reloadStages}>
          {data =>
            data.stages.length === 0 ? (
              <Empty>
                {trans.__(
                  'No stages yet. Open a parameterized notebook and run "Workbench: Promote notebook to pipeline" from its toolbar, the file browser or the command palette.'
                )}
              </Empty>
            ) : (
              <ul className="jp-Workbench-list" data-testid="workbench-stages">
                {data.stages.map(stage => (
                  <StageRow
                    key={stage.name}
                    {...props}
                    stage={stage}
                    starting={starting === stage.name}
                    busy={starting !== null}
                    onRun={params => run(stage.name, params)}
                  />
                ))}
              </ul>
            )
          }
        </Loaded>
      </section>
      <section className="jp-Workbench-section" aria-label={trans.__('Runs')}>
        <SectionHeader
          title={trans.__('Runs')}
          onRefresh={reloadRuns}
          trans={trans}
        />
        <Loaded state={runs} trans={trans} onRetry={reloadRuns}>
          {data =>
            data.runs.length === 0 ? (
              <Empty>
                {trans.__('No runs yet. Press Run on a stage above.')}
              </Empty>
            ) : (
              <RunList {...props} runs={data.runs} />
            )
          }
        </Loaded>
      </section>
      <Schedules
        {...props}
        stages={
          stages.status === 'ready'
            ? stages.data.stages.map(stage => stage.name)
            : []
        }
      />
    </>
  );
}

function StageRow(
  props: IPanelProps & {
    stage: IStage;
    starting: boolean;
    busy: boolean;
    onRun: (params?: Record<string, unknown>) => Promise<void>;
  }
): JSX.Element {
  const { stage, starting, busy, onRun, trans, actions } = props;
  const { deps, outs } = ownPaths(stage);
  const [editing, setEditing] = React.useState(false);
  return (
    <li className="jp-Workbench-card" data-stage={stage.name}>
      <div className="jp-Workbench-cardHeader">
        <span className="jp-Workbench-rowTitle">{stage.name}</span>
        <Chip chip={stageChip(stage, trans)} />
      </div>
      {stage.notebook_lab_path ? (
        <button
          type="button"
          className="jp-Workbench-linkButton"
          onClick={() => actions.openPath(stage.notebook_lab_path!)}
        >
          {stage.notebook}
        </button>
      ) : (
        <code className="jp-Workbench-muted">{stage.cmd}</code>
      )}
      <details>
        <summary>
          {trans.__(
            '%1 deps, %2 outs',
            deps.length + (stage.notebook ? 1 : 0),
            outs.length + 1
          )}
        </summary>
        <dl className="jp-Workbench-facts">
          <dt>{trans.__('deps')}</dt>
          <dd title={stage.deps.join('\n')}>{stage.deps.join(', ') || '–'}</dd>
          <dt>{trans.__('outs')}</dt>
          <dd title={stage.outs.join('\n')}>{stage.outs.join(', ') || '–'}</dd>
          <dt>{trans.__('params')}</dt>
          <dd>{stage.params.join(', ') || '–'}</dd>
        </dl>
      </details>
      <div className="jp-Workbench-toolbar">
        <ActionButton
          label={starting ? trans.__('Starting…') : trans.__('Run')}
          testId="workbench-run-stage"
          disabled={busy || stage.notebook === null}
          reason={
            stage.notebook === null
              ? trans.__('Not a notebook stage: run it with dvc repro.')
              : ''
          }
          onClick={() => void onRun().catch(() => undefined)}
        />
        {stage.notebook !== null && (
          <button
            type="button"
            className="jp-Workbench-linkButton"
            aria-expanded={editing}
            data-testid="workbench-run-with-params"
            onClick={() => setEditing(!editing)}
          >
            {trans.__('Run with parameters…')}
          </button>
        )}
      </div>
      {editing && (
        <RunParameters
          {...props}
          onRun={async params => {
            await onRun(params);
            setEditing(false);
          }}
        />
      )}
    </li>
  );
}

export function RunList(
  props: IPanelProps & {
    runs: IRunRecord[];
    onCancel?: (run: IRunRecord) => void;
  }
): JSX.Element {
  const { runs, trans, actions, client, onCancel } = props;
  return (
    <ul className="jp-Workbench-list" data-testid="workbench-runs">
      {runs.map(run => {
        const failure = failingCell(run, trans);
        return (
          <li
            key={run.id}
            className="jp-Workbench-card"
            data-run={run.id}
            data-status={run.status}
          >
            <div className="jp-Workbench-cardHeader">
              <span className="jp-Workbench-rowTitle">
                {run.stage ?? run.notebook}
              </span>
              <Chip chip={runChip(run)} />
            </div>
            <span className="jp-Workbench-muted">
              {run.id.slice(0, 8)} · {formatTime(run.started_at)} ·{' '}
              {formatDuration(run.duration_s)} · {run.actor}
            </span>
            {Object.keys(run.params ?? {}).length > 0 && (
              <div
                className="jp-Workbench-muted"
                data-testid="workbench-run-param-values"
              >
                {Object.entries(run.params)
                  .map(([key, value]) => `${key} = ${JSON.stringify(value)}`)
                  .join(', ')}
              </div>
            )}
            {failure && (
              <div
                className="jp-Workbench-failure"
                title={run.error_message ?? ''}
              >
                {failure}
                {run.error_message ? `: ${run.error_message}` : ''}
              </div>
            )}
            <div className="jp-Workbench-toolbar">
              {run.output_path && (
                <button
                  type="button"
                  className="jp-Workbench-linkButton"
                  onClick={() =>
                    actions.openHtml({
                      id: `workbench-run-${run.id}`,
                      label: trans.__(
                        'Run %1 (%2)',
                        run.id.slice(0, 8),
                        run.stage ?? run.notebook
                      ),
                      url: client.runNotebookUrl(run.id),
                      // The server strips its scripts; the frame's opaque origin isolates what is left.
                      scripts: true
                    })
                  }
                >
                  {trans.__('Open executed notebook')}
                </button>
              )}
              <LogToggle
                trans={trans}
                load={() => props.client.runLog(run.id)}
                version={`${run.status}:${run.cells.length}`}
              />
              {onCancel && isActiveRun(run) && (
                <button
                  type="button"
                  className="jp-Workbench-linkButton"
                  onClick={() => onCancel(run)}
                >
                  {trans.__('Cancel')}
                </button>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
