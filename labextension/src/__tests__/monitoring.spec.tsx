/**
 * The Monitoring panel (the sixth tab), its section per model, and the Models
 * list's SLO badge, against a fake server.
 * vega-embed is replaced by a stand-in that records what it was asked to draw
 * and puts an empty SVG in place (jsdom cannot lay out Vega's scenegraph); the
 * browser suite draws the real charts.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import vegaEmbed from 'vega-embed';

import { WorkbenchClient } from '../api';
import { ModelsPanel } from '../components/models/ModelsPanel';
import { MonitoringPanel } from '../components/monitoring/MonitoringPanel';
import { MonitoringSection } from '../components/monitoring/MonitoringSection';
import { IModelMonitoring, IMonitoringWindow, ISloStatus } from '../tokens';
import { fakeServer, waitFor } from './fake';

jest.mock('vega-embed', () => ({
  __esModule: true,
  default: jest.fn(async (element: HTMLElement) => {
    element.innerHTML = '<svg class="marks"></svg>';
    return { finalize: jest.fn() };
  })
}));
const embed = vegaEmbed as unknown as jest.Mock;

const trans = nullTranslator.load('workbench');
const client = new WorkbenchClient();

const row: IMonitoringWindow = {
  version: 1,
  window: '30d',
  start: null,
  end: null,
  jobs: 2,
  rows: 10000,
  automated: 5840,
  automation_rate: 0.584,
  review_rate: 0.416,
  reviewed: 0,
  overrides: 0,
  override_rate: null,
  outcomes: 3754,
  outcome_coverage: 0.375,
  auc: 0.695,
  brier: 0.162,
  calibration_error: 0.11,
  automated_accuracy: 0.868,
  fairness_gap: null,
  drift_share: 0.22,
  drifted_columns: ['test_score', 'region'],
  rows_per_second: 9000,
  p50_batch_latency_ms: 10,
  p95_batch_latency_ms: 12,
  p99_batch_latency_ms: 13.5,
  cpu_seconds_per_1k: 0.2,
  cost_per_1k: null,
  staff_hours_saved: 1167.2,
  reliability: [],
  fairness: {},
  job_ids: ['j1', 'j2']
};
const slo = (
  objective: string,
  status: ISloStatus['status'],
  observed: number | null
): ISloStatus => ({
  model: 'admissions',
  version: 1,
  objective,
  metric: objective.split(' ')[0],
  op: '>=',
  target: 0.75,
  status,
  observed,
  window: '30d',
  start: null,
  end: null,
  evidence: { jobs: ['j1', 'j2'], rows: 10000 },
  kind: 'accuracy'
});
const spec = (title: string, values: object[]) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.20.1.json',
  title,
  data: { values },
  mark: { type: 'line', point: true }
});
const rates = spec('Automation, review and override rates', [
  { version: 'v1', metric: 'automation_rate', value: 0.584 }
]);
const auc = spec('Realized AUC', [{ version: 'v1', value: 0.695 }]);
const monitoring: IModelMonitoring = {
  model: 'admissions',
  window: '30d',
  generated_at: '2026-12-07T00:00:00Z',
  policy: 'abc',
  breached: 1,
  rows: [row],
  slos: [
    slo('realized_auc >= 0.75', 'breached', 0.695),
    slo('override_rate <= 0.1', 'no_data', null),
    slo('automated_accuracy >= 0.85', 'met', 0.868)
  ],
  charts: { rates, auc, calibration: null },
  retrain: [],
  retrain_stage: null
};

const summary = (name: string) => ({
  name,
  latest_version: 1,
  versions: 1,
  aliases: {}
});
/** Two registered models: admissions with a breached SLO, tickets with no SLOs. */
const twoModels = {
  'GET models': { models: [summary('admissions'), summary('tickets')] },
  'GET models/admissions/monitoring': monitoring,
  'GET models/tickets/monitoring': {
    ...monitoring,
    model: 'tickets',
    breached: 0,
    slos: []
  }
};

describe('monitoring', () => {
  let server: ReturnType<typeof fakeServer>;
  let widget: Widget | null = null;
  afterEach(() => {
    embed.mockClear();
    widget?.dispose();
    widget = null;
    server.spy.mockRestore();
  });
  const render = async (element: React.ReactElement) => {
    widget = ReactWidget.create(element);
    Widget.attach(widget, document.body);
    await waitFor(() => widget!.node.childElementCount > 0, 'the first render');
  };
  const chips = () =>
    Array.from(
      widget!.node.querySelectorAll<HTMLElement>(
        '[data-testid="workbench-slos"] .jp-Workbench-chip'
      )
    ).map(chip => [
      chip.textContent,
      chip.className.replace('jp-Workbench-chip jp-Workbench-chip-', '')
    ]);

  it('shows each SLO as a chip with its evidence, the figures and the drifted columns', async () => {
    server = fakeServer({ 'GET models/admissions/monitoring': monitoring });
    await render(
      <MonitoringSection client={client} trans={trans} name="admissions" />
    );
    await waitFor(() => chips().length === 3, 'the SLO chips');
    expect(chips()).toEqual([
      ['realized_auc >= 0.75: breached', 'error'],
      ['override_rate <= 0.1: no data', 'neutral'],
      ['automated_accuracy >= 0.85: met', 'ok']
    ]);
    const breached = widget!.node.querySelector<HTMLElement>(
      '.jp-Workbench-chip-error'
    )!;
    expect(breached.title).toBe(
      'v1 over 30d: observed 0.6950. Evidence: jobs: j1, j2; rows: 10000'
    );
    const notes = Array.from(
      widget!.node.querySelectorAll('[data-testid="workbench-slo-breaches"] li')
    ).map(li => li.textContent);
    expect(notes).toEqual([
      'realized_auc >= 0.75: observed 0.6950 against >= 0.75 over 30d on v1 (10000 decisions, 2 jobs)'
    ]);
    const text = widget!.node.textContent ?? '';
    expect(text).toContain('realized AUC0.695');
    expect(text).toContain('outcome coverage37.5%');
    expect(text).toContain('staff hours saved1167.2');
    expect(text).toContain('Drifted: test_score, region');
    expect(server.calls.map(c => `${c.path}?${c.query}`)).toEqual([
      'models/admissions/monitoring?window=30d'
    ]);
  });

  it('draws each chart there is data for with vega-embed, as SVG without actions', async () => {
    server = fakeServer({ 'GET models/admissions/monitoring': monitoring });
    await render(
      <MonitoringSection client={client} trans={trans} name="admissions" />
    );
    const drawn = () =>
      Array.from(
        widget!.node.querySelectorAll<HTMLElement>(
          '[data-testid="workbench-monitoring-charts"] [data-chart]'
        )
      );
    await waitFor(
      () =>
        drawn().every(chart => chart.querySelector('svg')) &&
        drawn().length === 2,
      'the charts'
    );
    // No calibration chart: the server sent none (no reliability bins).
    expect(drawn().map(chart => chart.dataset.chart)).toEqual(['rates', 'auc']);
    expect(drawn().map(chart => chart.getAttribute('aria-label'))).toEqual([
      'Automation, review and override rates',
      'Realized AUC'
    ]);
    const fit = {
      width: 'container',
      height: 160,
      autosize: { type: 'fit-x', contains: 'padding' }
    };
    expect(embed.mock.calls.map(call => call[1])).toEqual([
      { ...rates, ...fit },
      { ...auc, ...fit }
    ]);
    for (const [element, , options] of embed.mock.calls) {
      expect(drawn()).toContainEqual(element.parentElement);
      expect(options).toEqual({
        actions: false,
        renderer: 'svg',
        theme: undefined
      });
    }
  });

  it('draws no chart for a window without decisions', async () => {
    server = fakeServer({
      'GET models/admissions/monitoring': {
        ...monitoring,
        rows: [],
        charts: { rates: null, auc: null, calibration: null }
      }
    });
    await render(
      <MonitoringSection client={client} trans={trans} name="admissions" />
    );
    await waitFor(
      () => (widget!.node.textContent ?? '').includes('No logged decisions'),
      'the empty window'
    );
    expect(
      widget!.node.querySelector('[data-testid="workbench-monitoring-charts"]')
    ).toBeNull();
    expect(embed).not.toHaveBeenCalled();
  });

  it('asks again for another window and draws its charts', async () => {
    server = fakeServer({ 'GET models/admissions/monitoring': monitoring });
    await render(
      <MonitoringSection client={client} trans={trans} name="admissions" />
    );
    await waitFor(() => chips().length === 3, 'the SLO chips');
    const select = widget!.node.querySelector<HTMLSelectElement>('select')!;
    select.value = 'job';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await waitFor(() => server.calls.length === 2, 'the second window');
    expect(server.calls[1].query).toBe('window=job');
    await waitFor(() => embed.mock.calls.length === 4, 'the charts again');
  });

  it('badges a model with breached SLOs in the Models list, and not one without', async () => {
    server = fakeServer(twoModels);
    await render(
      <ModelsPanel
        client={client}
        trans={trans}
        actions={{} as never}
        navigation={{ tab: 'models', serial: 0 }}
      />
    );
    const badges = () =>
      Array.from(
        widget!.node.querySelectorAll<HTMLElement>(
          '[data-testid="workbench-slo-badge"]'
        )
      );
    await waitFor(
      () => badges().length === 1 && server.calls.length === 3,
      'the badge'
    );
    // The badge asks for no charts: only the statuses.
    expect(
      server.calls.filter(c => c.path.endsWith('/monitoring')).map(c => c.query)
    ).toEqual(['charts=0', 'charts=0']);
    const badge = badges()[0];
    expect(badge.closest('[data-model]')!.getAttribute('data-model')).toBe(
      'admissions'
    );
    expect(badge.textContent).toBe('1 SLO breached');
    expect(
      badge.querySelector('.jp-Workbench-chip')!.getAttribute('title')
    ).toBe('v1 realized_auc >= 0.75');
  });

  it('names the versions to retrain, why, and what acting on it runs or ran', async () => {
    server = fakeServer({
      'GET models/admissions/monitoring': {
        ...monitoring,
        retrain_stage: 'train',
        retrain: [
          {
            version: 2,
            trigger: 'drift',
            reason:
              'drift: 3/10 columns drifted (share 0.300 over the limit 0.2: retraining recommended)',
            jobs: ['j2'],
            last_action: null
          },
          {
            version: 1,
            trigger: 'accuracy',
            reason: 'realized_auc >= 0.75 breached: observed 0.695 over 30d',
            jobs: ['j1'],
            last_action: {
              at: '2026-12-07T10:11:12Z',
              status: 'succeeded',
              stage: 'train'
            }
          }
        ]
      }
    });
    await render(
      <MonitoringSection client={client} trans={trans} name="admissions" />
    );
    const items = () =>
      Array.from(
        widget!.node.querySelectorAll<HTMLElement>(
          '[data-testid="workbench-retrain"] li'
        )
      );
    await waitFor(() => items().length === 2, 'the recommendations');
    expect(items().map(li => [li.dataset.trigger, li.textContent])).toEqual([
      [
        'drift',
        'v2: drift: 3/10 columns drifted (share 0.300 over the limit 0.2: retraining recommended) workbench monitor --act runs the stage train; the gate still decides what is promoted.'
      ],
      [
        'accuracy',
        'v1: realized_auc >= 0.75 breached: observed 0.695 over 30d Retrained with train at 2026-12-07 10:11: succeeded.'
      ]
    ]);
    expect(
      widget!.node.querySelector('[data-testid="workbench-outcome-coverage"]')!
        .textContent
    ).toBe(
      'Outcome coveragev1 · 30d: outcomes for 3,754 of 10,000 decisions (37.5%)'
    );
  });

  it('says nothing about retraining when no version needs it', async () => {
    server = fakeServer({ 'GET models/admissions/monitoring': monitoring });
    await render(
      <MonitoringSection client={client} trans={trans} name="admissions" />
    );
    await waitFor(() => chips().length === 3, 'the SLO chips');
    expect(
      widget!.node.querySelector('[data-testid="workbench-retrain"]')
    ).toBeNull();
  });

  it('is a tab of its own that picks a model, starting from the one asked for', async () => {
    server = fakeServer(twoModels);
    await render(
      <MonitoringPanel
        client={client}
        trans={trans}
        actions={{} as never}
        navigation={{ tab: 'monitoring', model: 'tickets', serial: 1 }}
      />
    );
    const picker = () =>
      widget!.node.querySelector<HTMLSelectElement>(
        '[data-testid="workbench-monitoring-model"]'
      );
    await waitFor(() => picker() !== null, 'the model picker');
    expect(Array.from(picker()!.options).map(o => o.value)).toEqual([
      'admissions',
      'tickets'
    ]);
    expect(picker()!.value).toBe('tickets');
    await waitFor(
      () =>
        server.calls.some(c => c.path === 'models/tickets/monitoring') &&
        (widget!.node.textContent ?? '').includes(
          'The policy sets no service levels'
        ),
      'the tickets model'
    );
    picker()!.value = 'admissions';
    picker()!.dispatchEvent(new Event('change', { bubbles: true }));
    await waitFor(() => chips().length === 3, 'the admissions SLO chips');
    expect(
      server.calls.filter(c => c.path.endsWith('/monitoring')).map(c => c.path)
    ).toEqual(['models/tickets/monitoring', 'models/admissions/monitoring']);
  });

  it('opens on the Monitoring tab from a model in the Models panel', async () => {
    server = fakeServer({
      'GET models/admissions/versions': { versions: [], next_cursor: null },
      'GET models/admissions/metrics': { key_metric: null, versions: [] },
      'GET models/admissions/monitoring': monitoring
    });
    const showTab = jest.fn();
    await render(
      <ModelsPanel
        client={client}
        trans={trans}
        actions={{} as never}
        navigation={{ tab: 'models', model: 'admissions', serial: 1 }}
        showTab={showTab}
      />
    );
    const link = () =>
      widget!.node.querySelector<HTMLElement>(
        '[data-testid="workbench-monitoring-link"] button'
      );
    await waitFor(() => link() !== null, 'the Monitoring link');
    link()!.click();
    expect(showTab).toHaveBeenCalledWith('monitoring', { model: 'admissions' });
    // The Models panel no longer draws the charts: only the badge, without them.
    expect(
      widget!.node.querySelector('[data-testid="workbench-monitoring"]')
    ).toBeNull();
  });
});
