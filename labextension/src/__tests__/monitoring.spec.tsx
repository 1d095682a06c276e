/**
 * The Monitoring section and the Models list's SLO badge, against a fake server.
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
import { MonitoringSection } from '../components/models/MonitoringSection';
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
  charts: { rates, auc, calibration: null }
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
    const summary = (name: string) => ({
      name,
      latest_version: 1,
      versions: 1,
      aliases: {}
    });
    server = fakeServer({
      'GET models': { models: [summary('admissions'), summary('tickets')] },
      'GET models/admissions/monitoring': monitoring,
      'GET models/tickets/monitoring': {
        ...monitoring,
        model: 'tickets',
        breached: 0,
        slos: []
      }
    });
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
    const badge = badges()[0];
    expect(badge.closest('[data-model]')!.getAttribute('data-model')).toBe(
      'admissions'
    );
    expect(badge.textContent).toBe('1 SLO breached');
    expect(
      badge.querySelector('.jp-Workbench-chip')!.getAttribute('title')
    ).toBe('v1 realized_auc >= 0.75');
  });
});
