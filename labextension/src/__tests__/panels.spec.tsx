/**
 * Panels rendered against a fake server: the version detail's buttons follow the
 * server's review state, the review queue is decided from the keyboard, a run is
 * followed from launch to record.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { IWorkbenchActions } from '../components/context';
import { ModelsPanel } from '../components/models/ModelsPanel';
import { VersionDetail } from '../components/models/VersionDetail';
import { PipelinesPanel } from '../components/pipelines/PipelinesPanel';
import { ReviewPanel } from '../components/review/ReviewPanel';
import { IVersionList, IVersionSummary } from '../tokens';
import { fakeServer, ICall, waitFor } from './fake';
import { item, reviewState, run } from './samples';

const trans = nullTranslator.load('workbench');
const client = new WorkbenchClient();
const tick = () => new Promise(resolve => setTimeout(resolve, 0));

describe('panels', () => {
  let server: ReturnType<typeof fakeServer>;
  let widget: Widget | null = null;
  const actions: IWorkbenchActions = {
    openPath: jest.fn(),
    openDriftReport: jest.fn(),
    openUrl: jest.fn(),
    openModelPage: jest.fn(),
    openHtml: jest.fn(),
    signInKernel: jest.fn()
  };

  afterEach(() => {
    widget?.dispose();
    widget = null;
    server.spy.mockRestore();
  });

  const render = async (element: React.ReactElement) => {
    widget = ReactWidget.create(element);
    Widget.attach(widget, document.body);
    await waitFor(() => widget!.node.childElementCount > 0, 'the first render');
  };
  const text = () => widget!.node.textContent ?? '';
  const find = <T extends Element>(selector: string) =>
    widget!.node.querySelector<T>(selector);
  const button = (testId: string) =>
    find<HTMLButtonElement>(`[data-testid="${testId}"]`)!;
  const click = async (element: HTMLElement) => {
    element.click();
    await tick();
  };
  const posts = () => server.calls.filter(call => call.method === 'POST');

  it('disables Promote with the gate reason and approves with the comment', async () => {
    const blocked = {
      ...reviewState,
      actions: {
        approve: { allowed: true, reason: '' },
        reject: { allowed: true, reason: '' },
        promote: {
          allowed: false,
          reason: 'needs 2 approvals from allowed approvers, has 0'
        }
      }
    };
    server = fakeServer({
      'GET models/admissions/versions/1': blocked,
      'POST models/admissions/versions/1/decisions': [
        201,
        {
          ref: 'admissions:1',
          actor: 'ben',
          decision: 'approve',
          comment: 'ok',
          policy_hash: 'x'
        }
      ]
    });
    const changed = jest.fn();
    await render(
      <VersionDetail
        client={client}
        trans={trans}
        actions={actions}
        name="admissions"
        version={1}
        onChanged={changed}
      />
    );
    await waitFor(() => text().includes('admissions:1'), 'the detail');

    expect(button('workbench-promote').disabled).toBe(true);
    expect(text()).toContain('needs 2 approvals from allowed approvers, has 0');
    expect(button('workbench-reject').disabled).toBe(true); // a rejection needs a comment
    expect(text()).toContain('gender: demographic_parity_difference');

    const comment = find<HTMLTextAreaElement>('textarea')!;
    Object.getOwnPropertyDescriptor(
      HTMLTextAreaElement.prototype,
      'value'
    )!.set!.call(comment, 'ok');
    comment.dispatchEvent(new Event('input', { bubbles: true }));
    await waitFor(() => !button('workbench-reject').disabled, 'the comment');
    await click(button('workbench-approve'));
    await waitFor(() => changed.mock.calls.length === 1, 'the reload');

    expect(posts()[0].body).toEqual({ decision: 'approve', comment: 'ok' });
    await click(button('workbench-open-drift'));
    expect(actions.openDriftReport).toHaveBeenCalledWith('admissions', 1);
  });

  it('pages through older versions by cursor', async () => {
    const summary = (version: number): IVersionSummary => ({
      name: 'admissions',
      version,
      ref: `admissions:${version}`,
      author: 'ana',
      created_at: '2026-01-01T00:00:00',
      aliases: [],
      checks_total: 0,
      checks_failed: 0,
      approvals: 0,
      approvals_required: 1,
      rejected: false,
      promotable: false
    });
    const pages: Record<string, IVersionList> = {
      '': { versions: [summary(5), summary(4)], next_cursor: 'c4' },
      'cursor=c4': { versions: [summary(3), summary(2)], next_cursor: 'c2' },
      'cursor=c2': { versions: [summary(1)], next_cursor: null }
    };
    server = fakeServer({
      'GET models/admissions/versions': (call: ICall) => pages[call.query],
      'GET models/admissions/versions/5': reviewState
    });
    await render(
      <ModelsPanel
        client={client}
        trans={trans}
        actions={actions}
        navigation={{ tab: 'models', model: 'admissions', serial: 1 }}
      />
    );
    const listed = () =>
      Array.from(
        widget!.node.querySelectorAll<HTMLElement>('[data-version]')
      ).map(row => Number(row.dataset.version));
    await waitFor(() => listed().length === 2, 'the first page');

    await click(button('workbench-older-versions'));
    await waitFor(() => listed().length === 4, 'the second page');
    await click(button('workbench-older-versions'));
    await waitFor(() => listed().length === 5, 'the last page');

    expect(listed()).toEqual([5, 4, 3, 2, 1]);
    expect(find('[data-testid="workbench-older-versions"]')).toBeNull();
  });

  it('shows a refused promotion with every unmet condition', async () => {
    server = fakeServer({
      'GET models/admissions/versions/1': {
        ...reviewState,
        actions: {
          ...reviewState.actions,
          promote: { allowed: true, reason: '' }
        }
      },
      'PUT models/admissions/aliases/production': [
        409,
        {
          error: 'PromotionBlocked',
          message: 'Promotion is blocked.',
          details: ['rejected by ben: no']
        }
      ]
    });
    await render(
      <VersionDetail
        client={client}
        trans={trans}
        actions={actions}
        name="admissions"
        version={1}
        onChanged={jest.fn()}
      />
    );
    await waitFor(
      () => find('[data-testid="workbench-promote"]') !== null,
      'the button'
    );

    await click(button('workbench-promote'));
    await waitFor(() => text().includes('rejected by ben: no'), 'the refusal');
    expect(find('[role="alert"]')!.textContent).toContain('PromotionBlocked');
  });

  it('decides review items with a, d and n', async () => {
    server = fakeServer({
      'GET review/items': {
        items: [item(1, 'accept'), item(2, 'decline'), item(3, 'decline')]
      },
      'POST review/items/1/decisions': (call: any) => [
        201,
        { ...item(1), status: 'decided', decision: call.body.decision }
      ],
      'POST review/items/3/decisions': (call: any) => [
        201,
        { ...item(3), status: 'decided', decision: call.body.decision }
      ]
    });
    await render(
      <ReviewPanel client={client} trans={trans} actions={actions} />
    );
    await waitFor(() => text().includes('Item 1 of 3'), 'the first item');
    const panel = button('workbench-review');
    const press = async (key: string) => {
      panel.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
      await tick();
    };

    await press('a');
    await waitFor(() => text().includes('Accepted item 1'), 'the decision');
    expect(text()).toContain('Item 2 of 3');
    await press('a'); // overrides the model (it leaned to decline): refused without a comment
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(posts()).toHaveLength(1);
    expect(text()).toContain('This overrides the model');
    await press('n');
    await waitFor(() => text().includes('Item 3 of 3'), 'the third item');
    await press('d');
    await waitFor(
      () => text().includes('You have been through the queue'),
      'the end'
    );
    expect(posts().map(call => call.body)).toEqual([
      { decision: 'accept', comment: '' },
      { decision: 'decline', comment: '' }
    ]);
  });

  it('follows a started run from its launch to its record', async () => {
    let recorded = false;
    server = fakeServer({
      'GET pipelines/stages': {
        stages: [
          {
            name: 'train',
            cmd: 'workbench run n.ipynb --stage train',
            notebook: 'n.ipynb',
            notebook_lab_path: 'n.ipynb',
            deps: ['n.ipynb'],
            outs: ['runs/train/train.ipynb'],
            params: ['train'],
            metrics: [],
            plots: [],
            status: { state: 'up-to-date', changes: [], message: '' }
          }
        ]
      },
      'GET pipelines/runs': () => ({
        runs: recorded ? [{ ...run, status: 'running' }] : []
      }),
      'GET pipelines/schedules': { schedules: [] },
      'POST pipelines/stages/train/runs': [
        202,
        {
          id: run.id,
          kind: 'run',
          stage: 'train',
          pid: 9,
          started_at: run.started_at
        }
      ],
      [`GET pipelines/launches/${run.id}`]: () => {
        recorded = true;
        return {
          id: run.id,
          kind: 'run',
          pid: 9,
          started_at: run.started_at,
          running: true,
          returncode: null,
          cancel_requested: false,
          recorded: true,
          log_tail: ''
        };
      }
    });
    await render(
      <PipelinesPanel client={client} trans={trans} actions={actions} />
    );
    await waitFor(() => text().includes('up to date'), 'the stage');

    await click(button('workbench-run-stage'));
    await waitFor(
      () => find('[data-status="running"]') !== null,
      'the running run'
    );
    expect(text()).toContain('No schedules');
  });
});
