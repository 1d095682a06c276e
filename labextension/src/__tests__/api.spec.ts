/**
 * The typed API client: each operation's method, path, query and JSON body.
 */
import { ServerConnection } from '@jupyterlab/services';

import { WorkbenchClient, withQuery } from '../api';
import { WorkbenchApiError } from '../request';
import { fakeServer } from './fake';

const settings = ServerConnection.makeSettings({
  baseUrl: 'http://localhost:8888/base/'
});

describe('withQuery', () => {
  it('leaves out empty values and encodes the rest', () => {
    expect(
      withQuery('audit/events', {
        actor: 'ana@example.org',
        action: '',
        limit: 5,
        subject_prefix: undefined
      })
    ).toBe('audit/events?actor=ana%40example.org&limit=5');
    expect(withQuery('models', {})).toBe('models');
  });
});

describe('WorkbenchClient', () => {
  let server: ReturnType<typeof fakeServer>;
  const client = new WorkbenchClient(settings);

  afterEach(() => server.spy.mockRestore());

  it.each([
    ['listModels', [], 'GET', 'models', ''],
    [
      'listVersions',
      ['admissions', 'candidate'],
      'GET',
      'models/admissions/versions',
      'alias=candidate'
    ],
    [
      'listVersions',
      ['admissions', undefined, 'eyJsaXN0Ijoi'],
      'GET',
      'models/admissions/versions',
      'cursor=eyJsaXN0Ijoi'
    ],
    ['reviewState', ['my model', 3], 'GET', 'models/my%20model/versions/3', ''],
    [
      'aliasHistory',
      ['admissions', 'production'],
      'GET',
      'models/admissions/alias-history',
      'alias=production'
    ],
    ['listStages', [], 'GET', 'pipelines/stages', ''],
    [
      'listRuns',
      [{ stage: 'train', limit: 5 }],
      'GET',
      'pipelines/runs',
      'stage=train&limit=5'
    ],
    ['getRun', ['abcd1234'], 'GET', 'pipelines/runs/abcd1234', ''],
    [
      'getLaunch',
      ['ab'.repeat(16)],
      'GET',
      `pipelines/launches/${'ab'.repeat(16)}`,
      ''
    ],
    ['runLog', ['abcd1234'], 'GET', 'pipelines/runs/abcd1234/log', ''],
    ['listSchedules', [], 'GET', 'pipelines/schedules', ''],
    ['listJobs', [{ status: 'running' }], 'GET', 'jobs', 'status=running'],
    ['getJob', ['abcd'], 'GET', 'jobs/abcd', ''],
    ['jobLog', ['abcd'], 'GET', 'jobs/abcd/log', ''],
    [
      'listReviewItems',
      [{ status: 'open' }],
      'GET',
      'review/items',
      'status=open'
    ],
    [
      'listAuditEvents',
      [{ action: 'model.' }],
      'GET',
      'audit/events',
      'action=model.'
    ],
    ['verifyAudit', [], 'GET', 'audit/verification', '']
  ])('%s reads %s %s', async (method, args, verb, path, query) => {
    server = fakeServer({ [`${verb} ${path}`]: { ok: true } });

    const answer = await (client as any)[method](...args);

    expect(answer).toEqual({ ok: true });
    expect(server.calls).toEqual([
      { method: verb, path, query, body: undefined }
    ]);
  });

  it.each([
    [
      'decide',
      ['admissions', 2, 'approve', 'fine'],
      'POST',
      'models/admissions/versions/2/decisions',
      { decision: 'approve', comment: 'fine' }
    ],
    [
      'runChecks',
      ['admissions', 2],
      'POST',
      'models/admissions/versions/2/checks',
      {}
    ],
    [
      'promote',
      ['admissions', 2, 'production', 'release'],
      'PUT',
      'models/admissions/aliases/production',
      { version: 2, reason: 'release' }
    ],
    [
      'writeReport',
      ['admissions', 2],
      'POST',
      'models/admissions/versions/2/reports',
      {}
    ],
    ['startRun', ['train'], 'POST', 'pipelines/stages/train/runs', {}],
    [
      'cancelRun',
      ['abcd'],
      'PATCH',
      'pipelines/runs/abcd',
      { status: 'cancelled' }
    ],
    [
      'planPromotion',
      [{ notebook: 'n.ipynb' }],
      'POST',
      'pipelines/promotions',
      { notebook: 'n.ipynb', dry_run: true }
    ],
    [
      'promoteNotebook',
      [{ notebook: 'n.ipynb', stage: 's' }],
      'POST',
      'pipelines/promotions',
      { notebook: 'n.ipynb', stage: 's', dry_run: false }
    ],
    [
      'addSchedule',
      ['train', '0 6 * * *'],
      'POST',
      'pipelines/schedules',
      { stage: 'train', cron: '0 6 * * *', tz: 'UTC' }
    ],
    [
      'pauseSchedule',
      [4, true],
      'PATCH',
      'pipelines/schedules/4',
      { paused: true }
    ],
    [
      'submitJob',
      [{ model: 'm:1', input: 'a', output: 'b' }],
      'POST',
      'jobs',
      { model: 'm:1', input: 'a', output: 'b' }
    ],
    ['cancelJob', ['abcd'], 'PATCH', 'jobs/abcd', { status: 'cancelled' }],
    [
      'decideReviewItem',
      [7, 'decline', 'no'],
      'POST',
      'review/items/7/decisions',
      { decision: 'decline', comment: 'no' }
    ]
  ])('%s sends %s %s with its body', async (method, args, verb, path, body) => {
    server = fakeServer({ [`${verb} ${path}`]: { ok: true } });

    await (client as any)[method](...args);

    expect(server.calls).toEqual([{ method: verb, path, query: '', body }]);
  });

  it('removes a schedule with DELETE and an empty answer', async () => {
    server = fakeServer({ 'DELETE pipelines/schedules/4': [204, undefined] });

    await expect(client.removeSchedule(4)).resolves.toBeNull();
  });

  it('turns an error answer into a WorkbenchApiError with its details', async () => {
    server = fakeServer({
      'PUT models/admissions/aliases/production': [
        409,
        {
          error: 'PromotionBlocked',
          message: 'blocked',
          details: ['needs 1 approvals']
        }
      ]
    });

    const failure = await client
      .promote('admissions', 1, 'production')
      .catch(error => error);

    expect(failure).toBeInstanceOf(WorkbenchApiError);
    expect([failure.status, failure.error, failure.details]).toEqual([
      409,
      'PromotionBlocked',
      ['needs 1 approvals']
    ]);
  });

  it('builds absolute URLs for the browser (drift report download)', () => {
    expect(client.driftReportUrl('admissions', 1, true)).toBe(
      'http://localhost:8888/base/workbench/api/models/admissions/versions/1/drift-report?download=1'
    );
    expect(client.driftReportUrl('admissions', 1)).toBe(
      'http://localhost:8888/base/workbench/api/models/admissions/versions/1/drift-report'
    );
  });
});
