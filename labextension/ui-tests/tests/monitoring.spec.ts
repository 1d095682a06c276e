/**
 * The Monitoring panel (the sidebar's sixth tab) on the fixture project, where
 * 300 of the 400 scored applicants have their true outcome and the policy asks
 * for a realized AUC of 0.95 that the model does not reach: the breach shows as
 * a badge on the model in the Models list, as a red chip beside the met and
 * no-data ones, spelled out with its observed value and evidence, and as a
 * reason to retrain; the outcome coverage is stated; the charts of the window's
 * jobs (rates, realized AUC, calibration, score distribution, drift share,
 * selection rate per group, batch latency) are drawn as SVG by vega-embed from
 * the server's Vega-Lite specs. Screenshot: panel-monitoring.
 */
import { expect, Locator, test } from '@playwright/test';

import { Lab, Sidebar } from './workbench-page';

const ANALYST_TOKEN = process.env.WORKBENCH_E2E_ANALYST_TOKEN!;

/**
 * The seven charts drawn by Vega as SVG (no canvas, no action menu), each
 * with its title from the spec and its data as marks (points, or the
 * histogram's bars).
 */
async function expectCharts(section: Locator): Promise<void> {
  const charts = section.getByTestId('workbench-monitoring-charts');
  const titles: [string, string, string][] = [
    ['rates', 'Automation, review and override rates', '.mark-symbol path'],
    ['auc', 'Realized AUC', '.mark-symbol path'],
    ['calibration', 'Calibration (reliability bins)', '.mark-symbol path'],
    [
      'scores',
      'Score distribution per job',
      '.mark-rect path, .mark-line path'
    ],
    ['drift', 'Drift share', '.mark-symbol path'],
    [
      'selection',
      'Selection rate (automatic accepts) per group',
      '.mark-symbol path'
    ],
    ['latency', 'Batch latency', '.mark-symbol path']
  ];
  await expect(charts.locator('[data-chart]')).toHaveCount(titles.length);
  for (const [name, title, marks] of titles) {
    const chart = charts.locator(`[data-chart="${name}"]`);
    const svg = chart.locator('svg.marks');
    await expect(svg).toBeVisible();
    await expect(svg.locator('.role-title-text').first()).toHaveText(title);
    expect(await svg.locator(marks).count()).toBeGreaterThan(0);
    await expect(chart.locator('canvas, .vega-actions')).toHaveCount(0);
  }
}

test.describe.serial('the Monitoring panel', () => {
  let ana: Lab;
  let sidebar: Sidebar;

  test.beforeAll(async ({ browser }) => {
    ana = await Lab.open(browser, ANALYST_TOKEN, 'ana');
    // Tall enough for the whole panel (SLOs, retraining, coverage, seven charts, figures) in one screenshot.
    await ana.page.setViewportSize({ width: 1280, height: 2600 });
    await ana.widenSidebar();
    sidebar = await ana.sidebar();
  });

  test.afterAll(async () => {
    await ana?.close();
  });

  test('the model carries a badge for its breached objective', async () => {
    const panel = await sidebar.tab('Models');
    const badge = panel
      .locator('[data-model="admissions"]')
      .getByTestId('workbench-slo-badge');
    await expect(badge).toHaveText('1 SLO breached');
    await expect(badge.locator('.jp-Workbench-chip')).toHaveAttribute(
      'title',
      'v1 realized_auc >= 0.95'
    );
  });

  test("the model's Monitoring link opens the Monitoring tab on it", async () => {
    const panel = await sidebar.tab('Models');
    await panel.locator('[data-model="admissions"]').click();
    const link = panel.getByTestId('workbench-monitoring-link');
    await expect(link.getByTestId('workbench-slo-badge')).toHaveText(
      '1 SLO breached'
    );
    await link.getByRole('button').click();
    await expect(
      ana.page.getByRole('tab', { name: 'Monitoring' })
    ).toHaveAttribute('aria-selected', 'true');
    await expect(
      ana.page.getByRole('tabpanel').getByTestId('workbench-monitoring-model')
    ).toHaveValue('admissions');
  });

  test('the panel shows the breach, its evidence, the retraining it calls for and the figures', async () => {
    const panel = await sidebar.tab('Monitoring');
    const section = panel.getByTestId('workbench-monitoring');
    const chips = section.getByTestId('workbench-slos');
    await expect(chips.locator('.jp-Workbench-chip')).toHaveText([
      'realized_auc >= 0.95: breached',
      'review_rate <= 0.5: met',
      'override_rate <= 0.1: no data'
    ]);
    await expect(
      chips.locator('.jp-Workbench-chip', { hasText: 'breached' })
    ).toHaveClass(/jp-Workbench-chip-error/);
    await expect(
      chips.locator('.jp-Workbench-chip', { hasText: 'breached' })
    ).toHaveAttribute('title', /^v1 over 30d: observed 0\.\d{4}\. Evidence: /);
    await expect(section.getByTestId('workbench-slo-breaches')).toHaveText(
      /^realized_auc >= 0\.95: observed 0\.\d{4} against >= 0\.95 over 30d on v1 \(400 decisions, 300 outcomes, 1 job\)$/
    );
    await expect(section.getByTestId('workbench-retrain')).toContainText(
      /v1: realized_auc >= 0\.95 breached: observed 0\.\d+ over 30d/
    );
    await expect(section.getByTestId('workbench-outcome-coverage')).toHaveText(
      'Outcome coveragev1 · 30d: outcomes for 300 of 400 decisions (75.0%)'
    );
    const figures = section.locator('.jp-Workbench-monitoringRow').first();
    await expect(figures.locator('.jp-Workbench-rowTitle')).toHaveText(
      'v1 · 30d'
    );
    await expect(figures.locator('dt:text-is("decisions") + dd')).toHaveText(
      '400'
    );
    await expect(
      figures.locator('dt:text-is("outcome coverage") + dd')
    ).toHaveText('75.0%');
    await expect(figures.locator('dt:text-is("realized AUC") + dd')).toHaveText(
      /^0\.\d{3}$/
    );
    await expect(
      figures.locator('dt:text-is("staff hours saved") + dd')
    ).not.toHaveText('–');
    await expectCharts(section);
    await section.scrollIntoViewIfNeeded();
    await ana.screenshot('panel-monitoring', panel);
  });

  test('the window selector asks per job', async () => {
    const section = (await sidebar.tab('Monitoring')).getByTestId(
      'workbench-monitoring'
    );
    await section
      .getByRole('combobox', { name: 'Monitoring window' })
      .selectOption('job');
    await expect(
      section.locator('.jp-Workbench-monitoringRow .jp-Workbench-rowTitle')
    ).toHaveText([/^v1 · [0-9a-f]{8}$/]);
    await expect(section.getByTestId('workbench-slos')).toContainText(
      'realized_auc >= 0.95: breached'
    );
    await expectCharts(section);
  });

  test('nothing was logged as an error in the browser console', async () => {
    expect(ana.consoleErrors).toEqual([]);
  });
});
