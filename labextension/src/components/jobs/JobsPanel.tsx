/**
 * The Jobs panel: notebook runs and scoring jobs with live progress (polling
 * while anything is active), cancel, and logs; and a form to submit a job.
 */
import * as React from 'react';

import { WorkbenchApiError } from '../../request';
import { IJob, IRunRecord } from '../../tokens';
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
import { isActiveRun } from '../pipelines/pipelines';
import { RunList } from '../pipelines/PipelinesPanel';
import {
  canCancelJob,
  decisionSummary,
  isActiveJob,
  jobChip,
  jobDriftChip,
  jobProgress,
  modelReferences,
  outputFor
} from './jobs';

export function JobsPanel(props: IPanelProps): JSX.Element {
  const { client, trans } = props;
  const [runs, reloadRuns] = useLoadable(
    () => client.listRuns({ limit: 20 }),
    [client],
    data => (data.runs.some(isActiveRun) ? 2000 : null)
  );
  const [jobs, reloadJobs] = useLoadable(
    () => client.listJobs({ limit: 20 }),
    [client],
    data => (data.jobs.some(isActiveJob) ? 2000 : null)
  );
  const [error, setError] = React.useState<WorkbenchApiError | null>(null);

  const attempt = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
    } catch (reason) {
      setError(asApiError(reason));
    }
    reloadRuns();
    reloadJobs();
  };

  return (
    <>
      {error && <ErrorBox error={error} trans={trans} />}
      <section
        className="jp-Workbench-section"
        aria-label={trans.__('Notebook runs')}
      >
        <SectionHeader
          title={trans.__('Notebook runs')}
          onRefresh={reloadRuns}
          trans={trans}
        />
        <Loaded state={runs} trans={trans} onRetry={reloadRuns}>
          {data =>
            data.runs.length === 0 ? (
              <Empty>
                {trans.__('No runs yet. Run a stage from the Pipelines tab.')}
              </Empty>
            ) : (
              <RunList
                {...props}
                runs={data.runs}
                onCancel={(run: IRunRecord) =>
                  attempt(() => client.cancelRun(run.id))
                }
              />
            )
          }
        </Loaded>
      </section>
      <section
        className="jp-Workbench-section"
        aria-label={trans.__('Scoring jobs')}
      >
        <SectionHeader
          title={trans.__('Scoring jobs')}
          onRefresh={reloadJobs}
          trans={trans}
        />
        <Loaded state={jobs} trans={trans} onRetry={reloadJobs}>
          {data =>
            data.jobs.length === 0 ? (
              <Empty>
                {trans.__(
                  'No scoring jobs yet. Submit one below, or call wb.score(...) in a notebook.'
                )}
              </Empty>
            ) : (
              <ul className="jp-Workbench-list" data-testid="workbench-jobs">
                {data.jobs.map(job => (
                  <JobRow
                    key={job.id}
                    {...props}
                    job={job}
                    onCancel={() => attempt(() => client.cancelJob(job.id))}
                  />
                ))}
              </ul>
            )
          }
        </Loaded>
        <SubmitJob {...props} onSubmitted={reloadJobs} />
      </section>
    </>
  );
}

function JobRow(
  props: IPanelProps & { job: IJob; onCancel: () => void }
): JSX.Element {
  const { job, trans, onCancel } = props;
  const progress = jobProgress(job, trans);
  const summary = decisionSummary(job);
  const drift = jobDriftChip(job, trans);
  return (
    <li
      className="jp-Workbench-card"
      data-job={job.id}
      data-status={job.status}
    >
      <div className="jp-Workbench-cardHeader">
        <span className="jp-Workbench-rowTitle">{job.model_ref}</span>
        <Chip chip={jobChip(job, trans)} />
        {drift && (
          <span data-testid="workbench-job-drift">
            <Chip chip={drift} />
          </span>
        )}
      </div>
      <span className="jp-Workbench-muted">
        {job.id.slice(0, 8)} · {formatTime(job.created_at)} ·{' '}
        {job.device ?? '?'} / {job.engine} · {job.actor}
      </span>
      <div
        className="jp-Workbench-progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={
          progress.fraction === null
            ? undefined
            : Math.round(progress.fraction * 100)
        }
        aria-label={progress.label}
      >
        <span
          style={{ width: `${Math.round((progress.fraction ?? 0) * 100)}%` }}
        />
      </div>
      <span className="jp-Workbench-muted">
        {progress.label}
        {job.ended_at && job.started_at
          ? ` · ${formatDuration((Date.parse(job.ended_at) - Date.parse(job.started_at)) / 1000)}`
          : ''}
      </span>
      {summary && <div className="jp-Workbench-muted">{summary}</div>}
      {job.error && <div className="jp-Workbench-failure">{job.error}</div>}
      <div className="jp-Workbench-toolbar">
        {canCancelJob(job) && (
          <button
            type="button"
            className="jp-Workbench-linkButton"
            onClick={onCancel}
          >
            {trans.__('Cancel')}
          </button>
        )}
        <LogToggle
          trans={trans}
          load={() => props.client.jobLog(job.id)}
          version={`${job.status}:${job.rows_done}`}
        />
      </div>
    </li>
  );
}

function SubmitJob(
  props: IPanelProps & { onSubmitted: () => void }
): JSX.Element {
  const { client, trans, onSubmitted } = props;
  const [model, setModel] = React.useState('');
  const [input, setInput] = React.useState('');
  const [output, setOutput] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<WorkbenchApiError | null>(null);
  const missing = !model.trim() || !input.trim() || !output.trim();
  // Pickers: the model references and Parquet files that exist, loaded when the form opens.
  const [choices] = useLoadable(async () => {
    const [models, files] = await Promise.all([
      client.listModels(),
      client.listFiles('.parquet')
    ]);
    return {
      models: modelReferences(models.models),
      files: files.files.filter(f => !f.startsWith('scores/'))
    };
  }, [client]);
  const options =
    choices.status === 'ready' ? choices.data : { models: [], files: [] };
  const listId = React.useId();

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await client.submitJob({
        model: model.trim(),
        input: input.trim(),
        output: output.trim()
      });
      onSubmitted();
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <details className="jp-Workbench-form">
      <summary>{trans.__('New scoring job')}</summary>
      <label className="jp-Workbench-field">
        <span>{trans.__('Model')}</span>
        <input
          value={model}
          name="model"
          list={`${listId}-models`}
          placeholder={options.models[0] ?? trans.__('no model registered yet')}
          onChange={e => setModel(e.target.value)}
        />
        <datalist id={`${listId}-models`}>
          {options.models.map(ref => (
            <option key={ref} value={ref} />
          ))}
        </datalist>
      </label>
      <label className="jp-Workbench-field">
        <span>{trans.__('Input (Parquet, inside the project)')}</span>
        <input
          value={input}
          name="input"
          list={`${listId}-files`}
          placeholder={
            options.files[0] ?? trans.__('no Parquet file in the project')
          }
          onChange={e => setInput(e.target.value)}
        />
        <datalist id={`${listId}-files`}>
          {options.files.map(file => (
            <option key={file} value={file} />
          ))}
        </datalist>
      </label>
      <label className="jp-Workbench-field">
        <span>{trans.__('Output')}</span>
        <input
          value={output}
          name="output"
          placeholder={outputFor(input || options.files[0] || 'input.parquet')}
          onChange={e => setOutput(e.target.value)}
        />
      </label>
      <ActionButton
        label={busy ? trans.__('Submitting…') : trans.__('Submit')}
        disabled={busy || missing}
        reason={missing ? trans.__('Fill in the model, input and output.') : ''}
        onClick={submit}
      />
      {error && <ErrorBox error={error} trans={trans} />}
    </details>
  );
}
