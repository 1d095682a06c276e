/**
 * State logic of runs and jobs: chips, the failing cell, launches, progress, polling.
 */
import { nullTranslator } from '@jupyterlab/translation';

import {
  canCancelJob,
  decisionSummary,
  isActiveJob,
  jobChip,
  jobDriftChip,
  jobProgress,
  pollInterval
} from '../components/jobs/jobs';
import {
  failingCell,
  launchOutcome,
  ownPaths,
  runChip,
  stageChip
} from '../components/pipelines/pipelines';
import { ILaunchInfo, IStage } from '../tokens';
import { job, run } from './samples';

const trans = nullTranslator.load('workbench');

const stage: IStage = {
  name: 'train',
  cmd: 'workbench run notebooks/train.ipynb --stage train',
  notebook: 'notebooks/train.ipynb',
  notebook_lab_path: 'notebooks/train.ipynb',
  deps: ['notebooks/train.ipynb', 'data/train.parquet'],
  outs: ['models/model.json', 'runs/train/train.ipynb'],
  params: ['train'],
  metrics: [],
  plots: [],
  status: {
    state: 'changed',
    changes: ['changed deps: data/train.parquet modified'],
    message: ''
  }
};

describe('runs', () => {
  it('colours the status', () => {
    expect(runChip(run).kind).toBe('ok');
    expect(
      runChip({ ...run, status: 'failed', error_message: 'boom' })
    ).toMatchObject({ kind: 'error', title: 'boom' });
    expect(runChip({ ...run, status: 'running' }).kind).toBe('info');
  });

  it('names the failing cell as people count', () => {
    expect(failingCell(run, trans)).toBeNull();
    expect(
      failingCell(
        { ...run, status: 'failed', error_cell: 2, error_name: 'ValueError' },
        trans
      )
    ).toBe('cell 3: ValueError');
    expect(failingCell({ ...run, status: 'timed-out' }, trans)).toBe(
      'timed-out'
    );
  });

  it('shows stage state with what changed', () => {
    expect(stageChip(stage, trans)).toMatchObject({
      label: 'changed',
      kind: 'warn',
      title: 'changed deps: data/train.parquet modified'
    });
    expect(
      stageChip(
        { ...stage, status: { state: 'up-to-date', changes: [], message: '' } },
        trans
      ).kind
    ).toBe('ok');
    expect(
      stageChip(
        {
          ...stage,
          status: { state: 'unknown', changes: [], message: 'locked' }
        },
        trans
      )
    ).toMatchObject({
      kind: 'neutral',
      title: 'locked'
    });
  });

  it("separates the user's paths from those workbench adds", () => {
    expect(ownPaths(stage)).toEqual({
      deps: ['data/train.parquet'],
      outs: ['models/model.json']
    });
  });

  it('follows a launch until it is recorded, or says why it died', () => {
    const launch: ILaunchInfo = {
      id: run.id,
      kind: 'run',
      pid: 3,
      started_at: run.started_at,
      running: true,
      returncode: null,
      cancel_requested: false,
      recorded: false,
      log_tail: ''
    };
    expect(launchOutcome(launch)).toEqual({ kind: 'starting' });
    expect(launchOutcome({ ...launch, recorded: true })).toEqual({
      kind: 'recorded'
    });
    const gone = launchOutcome({
      ...launch,
      running: false,
      returncode: 2,
      log_tail: 'Traceback\nParameterError: rows\n'
    });
    expect(gone).toEqual({
      kind: 'gone',
      message:
        'The run ended (exit code 2) before it started the notebook: ParameterError: rows'
    });
  });
});

describe('jobs', () => {
  it('shows progress as a fraction and a label', () => {
    expect(jobProgress(job, trans)).toEqual({
      fraction: 0.25,
      label: '250 / 1,000 rows (25%)'
    });
    expect(jobProgress({ ...job, rows_total: null }, trans)).toEqual({
      fraction: null,
      label: '250 rows'
    });
  });

  it('cancels only active jobs not already asked to stop', () => {
    expect(canCancelJob(job)).toBe(true);
    expect(canCancelJob({ ...job, cancel_requested: true })).toBe(false);
    // A serving process ends when its service stops; the server refuses to cancel one.
    expect(canCancelJob({ ...job, kind: 'serve' })).toBe(false);
    expect(canCancelJob({ ...job, status: 'succeeded' })).toBe(false);
    expect(isActiveJob({ ...job, status: 'queued' })).toBe(true);
    expect(jobChip({ ...job, cancel_requested: true }, trans).label).toBe(
      'cancelling'
    );
  });

  it('polls only while something runs', () => {
    expect(pollInterval([run], [{ ...job, status: 'succeeded' }])).toBeNull();
    expect(pollInterval([{ ...run, status: 'running' }], [])).toBe(2000);
    expect(pollInterval([], [job], 500)).toBe(500);
  });

  it('summarises the routing of a finished job', () => {
    expect(
      decisionSummary({
        ...job,
        stats: { decisions: { auto_accept: 1200, review: 30 } }
      })
    ).toBe('auto_accept 1,200 · review 30');
    expect(decisionSummary(job)).toBe('');
  });

  it("shows the job's stored drift verdict, a warning when over the limit", () => {
    const verdict = {
      n_columns: 10,
      n_drifted: 4,
      drifted_columns: ['gpa', 'test_score', 'region', 'essay'],
      share: 0.4,
      limit: 0.3,
      retrain_recommended: true,
      text: '4/10 columns drifted (share 0.400 over the limit 0.3: retraining recommended); drifted: gpa, test_score, region, essay'
    };
    expect(jobDriftChip({ ...job, drift: { verdict } }, trans)).toEqual({
      label: 'drift 40%: retrain',
      kind: 'warn',
      title: verdict.text
    });
    const within = { ...verdict, share: 0.1, retrain_recommended: false };
    expect(jobDriftChip({ ...job, drift: { verdict: within } }, trans)).toEqual(
      { label: 'drift 10%', kind: 'neutral', title: verdict.text }
    );
    // No verdict stored (running, drift not checked, an older record): no chip.
    expect(jobDriftChip({ ...job, drift: {} }, trans)).toBeNull();
    expect(jobDriftChip({ ...job, drift: { summary: {} } }, trans)).toBeNull();
  });
});
