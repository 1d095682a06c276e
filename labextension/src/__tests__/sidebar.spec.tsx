/**
 * The sidebar rendered in a DOM: the server status (loading, answer, error,
 * refresh), the tabs and the keyboard, and each panel's empty state.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { WorkbenchSidebar } from '../components/WorkbenchSidebar';
import { fakeServer, waitFor } from './fake';

const health = {
  version: '0.1.0',
  user: 'ana@example.org',
  roles: [],
  project_root: '/home/ana/credit',
  db_backend: 'sqlite',
  hint: null,
  identity_source: 'server',
  scheduler: false
};

const empty = {
  'GET models': { models: [] },
  'GET pipelines/stages': { stages: [] },
  'GET pipelines/runs': { runs: [] },
  'GET pipelines/schedules': { schedules: [] },
  'GET jobs': { jobs: [] },
  'GET review/items': { items: [] },
  'GET audit/events': { events: [] },
  'GET audit/verification': {
    ok: true,
    count: 0,
    head_hash: '',
    head_seq: 0,
    broken_at: null,
    problem: null,
    message: '',
    warnings: []
  }
};

describe('WorkbenchSidebar', () => {
  let server: ReturnType<typeof fakeServer>;
  let sidebar: WorkbenchSidebar;

  beforeEach(() => {
    sidebar = new WorkbenchSidebar({ trans: nullTranslator.load('workbench') });
  });

  afterEach(() => {
    sidebar.dispose();
    server.spy.mockRestore();
  });

  const text = () => sidebar.node.textContent!;

  it('shows what the server answers on /health', async () => {
    server = fakeServer({ ...empty, 'GET health': health });

    Widget.attach(sidebar, document.body);
    await waitFor(() => text().includes('sqlite'), 'the health answer');

    expect(text()).toContain('/home/ana/credit');
    expect(text()).toContain('ana@example.org');
    expect(server.calls.map(call => call.path)).toContain('health');
  });

  it('shows the hint outside a project', async () => {
    server = fakeServer({
      ...empty,
      'GET health': {
        ...health,
        project_root: null,
        db_backend: null,
        hint: 'Run `workbench init /home/ana`.'
      }
    });

    Widget.attach(sidebar, document.body);
    await waitFor(
      () => sidebar.node.querySelector('.jp-Workbench-hint') !== null,
      'the hint'
    );

    expect(sidebar.node.querySelector('.jp-Workbench-hint')!.textContent).toBe(
      'Run `workbench init /home/ana`.'
    );
  });

  it('shows the error and recovers on refresh', async () => {
    let answer: [number, unknown] = [
      409,
      {
        error: 'DatabaseCorrupt',
        message: 'Move the file aside.',
        details: null
      }
    ];
    server = fakeServer({ ...empty, 'GET health': () => answer });
    Widget.attach(sidebar, document.body);
    await waitFor(() => text().includes('Move the file aside.'), 'the error');

    answer = [
      200,
      { ...health, roles: ['approver'], db_backend: 'postgresql' }
    ];
    sidebar.node
      .querySelector<HTMLButtonElement>(
        'button[aria-label="Refresh server status"]'
      )!
      .click();
    await waitFor(() => text().includes('postgresql'), 'the recovery');

    expect(text()).not.toContain('Move the file aside.');
  });

  it('has a tab per area, reachable with the arrow keys, each with an empty state', async () => {
    server = fakeServer({ ...empty, 'GET health': health });
    Widget.attach(sidebar, document.body);
    const tabs = () =>
      Array.from(
        sidebar.node.querySelectorAll<HTMLButtonElement>('[role="tab"]')
      );
    await waitFor(
      () => text().includes('No models registered yet'),
      'the models empty state'
    );
    expect(tabs().map(tab => tab.textContent)).toEqual([
      'Models',
      'Pipelines',
      'Jobs',
      'Review',
      'Monitoring',
      'Audit'
    ]);

    const expected = [
      'No stages yet',
      'No runs yet',
      'The review queue is empty',
      'Monitoring starts once a version scores',
      'No audit events match'
    ];
    for (const phrase of expected) {
      const current = tabs().find(
        tab => tab.getAttribute('aria-selected') === 'true'
      )!;
      current.dispatchEvent(
        new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true })
      );
      await waitFor(() => text().includes(phrase), phrase);
    }
    expect(tabs()[5].getAttribute('aria-selected')).toBe('true');
    expect(
      sidebar.node.querySelector('.jp-Workbench-chip-ok')!.textContent
    ).toBe('chain verified');
  });

  it('opens a model when a command asks for it', async () => {
    server = fakeServer({
      ...empty,
      'GET health': health,
      'GET models/admissions/versions': { versions: [] }
    });
    Widget.attach(sidebar, document.body);
    await waitFor(
      () => text().includes('No models registered yet'),
      'the models tab'
    );

    sidebar.showTab('models', { model: 'admissions' });
    await waitFor(
      () =>
        server.calls.some(call => call.path === 'models/admissions/versions'),
      'the versions'
    );
    expect(text()).toContain('All models');
  });
});
