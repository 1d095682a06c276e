/**
 * The health view's lines, and the loading state every view shares.
 */
import { nullTranslator } from '@jupyterlab/translation';

import { healthRows } from '../components/health';
import { asApiError, load } from '../components/loadable';
import { WorkbenchApiError } from '../request';
import { IHealthResponse } from '../tokens';

const trans = nullTranslator.load('workbench');

const inProject: IHealthResponse = {
  version: '0.1.0',
  user: 'ana@example.org',
  roles: ['approver'],
  project_root: '/home/ana/credit',
  db_backend: 'sqlite',
  hint: null,
  identity_source: 'server',
  scheduler: false
};

describe('load', () => {
  it('is ready with the answer', async () => {
    const state = await load(() => Promise.resolve(inProject));

    expect(state).toEqual({ status: 'ready', data: inProject });
  });

  it('keeps the server error', async () => {
    const failure = new WorkbenchApiError(
      409,
      'DatabaseCorrupt',
      'Not a database.'
    );

    const state = await load(() => Promise.reject(failure));

    expect(state).toEqual({ status: 'error', error: failure });
  });

  it('wraps anything else thrown', async () => {
    const state = await load(() => Promise.reject(new Error('boom')));

    expect(state.status).toBe('error');
    if (state.status === 'error') {
      expect(state.error).toBeInstanceOf(WorkbenchApiError);
      expect(state.error.error).toBe('ClientError');
      expect(state.error.message).toBe('boom');
    }
  });
});

describe('healthRows', () => {
  it('shows version, user with roles, project and database', () => {
    expect(healthRows(inProject, trans)).toEqual([
      { label: 'Version', value: '0.1.0' },
      { label: 'User', value: 'ana@example.org (approver)' },
      { label: 'Project', value: '/home/ana/credit' },
      { label: 'Database', value: 'sqlite' }
    ]);
  });

  it('says none outside a project', () => {
    const rows = healthRows(
      {
        ...inProject,
        roles: [],
        project_root: null,
        db_backend: null,
        hint: 'Run `workbench init`.'
      },
      trans
    );

    expect(rows.map(row => row.value)).toEqual([
      '0.1.0',
      'ana@example.org',
      'none',
      'none'
    ]);
  });
});

describe('asApiError', () => {
  it('passes a WorkbenchApiError through', () => {
    const error = new WorkbenchApiError(404, 'NotFound', 'gone');
    expect(asApiError(error)).toBe(error);
  });

  it('wraps a string', () => {
    expect(asApiError('odd').message).toBe('odd');
  });
});
