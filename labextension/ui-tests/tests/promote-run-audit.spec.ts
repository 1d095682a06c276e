/**
 * The promote dialog's two ways out of a stage clash with every problem beside its
 * field, a stage run with edited parameters (dvc repro locks it), and the Audit
 * panel's report. Notebooks are written through Jupyter's contents API.
 */
import { expect, test } from '@playwright/test';

import { Lab, Sidebar } from './workbench-page';

const TOKEN = process.env.WORKBENCH_E2E_ANALYST_TOKEN!;

function notebook(cells: string[]): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3',
        language: 'python'
      }
    },
    cells: cells.map((source, i) => ({
      cell_type: 'code',
      id: `c${i}`,
      source,
      metadata: i === 0 ? { tags: ['parameters'] } : {},
      outputs: [],
      execution_count: null
    }))
  };
}

test.describe.serial('promote, run with parameters, audit report', () => {
  let ana: Lab;
  let sidebar: Sidebar;
  const auth = { Authorization: `token ${TOKEN}` };

  test.beforeAll(async ({ browser }) => {
    ana = await Lab.open(browser, TOKEN, 'ana');
    await ana.widenSidebar();
    const request = ana.page.request;
    for (const [path, body] of [
      ['notebooks/legacy', { type: 'directory' }],
      [
        'notebooks/legacy/tally.ipynb',
        {
          type: 'notebook',
          format: 'json',
          content: notebook(['rows = 1', 'print(rows)'])
        }
      ],
      [
        'notebooks/tally.ipynb',
        {
          type: 'notebook',
          format: 'json',
          content: notebook([
            'rows = 3\nlabel = "t"',
            'total = rows * 2\nprint(label, total)'
          ])
        }
      ]
    ] as const) {
      const made = await request.put(`/api/contents/${path}`, {
        headers: auth,
        data: body
      });
      expect(made.ok()).toBeTruthy();
    }
    const promoted = await request.post('/workbench/api/pipelines/promotions', {
      headers: auth,
      data: { notebook: 'notebooks/legacy/tally.ipynb', stage: 'tally' }
    });
    expect(promoted.status()).toBe(201);
    sidebar = await ana.sidebar();
  });

  test.afterAll(async () => {
    expect(ana.consoleErrors).toEqual([]);
    await ana?.close();
  });

  async function openPromoteDialog(): Promise<void> {
    const { page } = ana;
    await page.goto(`/lab/tree/notebooks/tally.ipynb?token=${TOKEN}`);
    await ana.ready();
    await page
      .locator('.jp-NotebookPanel-toolbar .jp-Workbench-promoteButton')
      .click();
    await expect(ana.dialog()).toContainText('already exists in dvc.yaml');
    await ana.dialog().getByRole('button', { name: 'Fix in the form' }).click();
  }

  test('a clash and typing problems show beside their fields; another name solves the clash', async () => {
    await openPromoteDialog();
    let form = ana.dialog().getByTestId('workbench-promote-form');
    await expect(form.getByTestId('workbench-stage-clash')).toBeVisible();
    await form.locator('input[name="param-rows"]').fill('many');
    await form.locator('textarea[name="deps"]').fill('data/missing.csv');
    await ana.dialog().getByRole('button', { name: 'Promote' }).click();

    form = ana.dialog().getByTestId('workbench-promote-form');
    await expect(form.locator('[data-field="param:rows"]')).toContainText(
      'rows needs a whole number'
    );
    await expect(form.locator('[data-field="deps"]')).toContainText(
      "the dep 'data/missing.csv' does not exist"
    );
    await expect(form.getByTestId('workbench-stage-clash')).toContainText(
      "stage 'tally' already exists"
    );
    await expect(form.locator('[data-field="stage"]')).toBeInViewport();
    await ana.screenshot(
      'promote-inline-errors',
      ana.dialog().locator('.jp-Dialog-content')
    );

    await form.getByRole('button', { name: 'Choose another name' }).click();
    await expect(form.locator('input[name="stage"]')).toHaveValue('tally-2');
    await expect(form.getByTestId('workbench-stage-clash')).toHaveCount(0);
    await form.locator('input[name="param-rows"]').fill('4');
    await form.locator('textarea[name="deps"]').fill('');
    await form.getByRole('button', { name: 'Check again' }).click();
    await expect(form.getByTestId('workbench-promotion-problems')).toHaveCount(
      0
    );
    await ana.screenshot(
      'promote-rename',
      ana.dialog().locator('.jp-Dialog-content')
    );
    await ana.dialog().getByRole('button', { name: 'Promote' }).click();
    await expect(ana.dialog()).toHaveCount(0);
    sidebar = await ana.sidebar();
    const panel = await sidebar.tab('Pipelines');
    await sidebar.refresh(); // already on Pipelines: showing the tab again does not reload it
    await expect(panel.locator('[data-stage="tally-2"]')).toContainText(
      'notebooks/tally.ipynb'
    );
  });

  test('the existing stage can be replaced from the dialog', async () => {
    await openPromoteDialog();
    const form = ana.dialog().getByTestId('workbench-promote-form');
    await form
      .getByRole('button', { name: 'Replace the existing stage' })
      .click();
    await expect(form.getByTestId('workbench-stage-replace')).toBeVisible();
    await expect(form.getByTestId('workbench-promotion-problems')).toHaveCount(
      0
    );
    await ana.screenshot(
      'promote-replace',
      ana.dialog().locator('.jp-Dialog-content')
    );
    await ana.dialog().getByRole('button', { name: 'Promote' }).click();
    await expect(ana.dialog()).toHaveCount(0);
    sidebar = await ana.sidebar();
    const panel = await sidebar.tab('Pipelines');
    await sidebar.refresh();
    await expect(panel.locator('[data-stage="tally"]')).toContainText(
      'notebooks/tally.ipynb'
    );
  });

  test('a stage runs with edited parameters and is up to date after', async () => {
    const panel = await sidebar.tab('Pipelines');
    const stage = panel.locator('[data-stage="tally"]');
    await stage.getByTestId('workbench-run-with-params').click();
    const params = stage.getByTestId('workbench-run-params');
    await params.locator('input[name="param-rows"]').fill('x');
    await params.getByTestId('workbench-run-params-submit').click();
    await expect(params.locator('[data-field="param:rows"]')).toContainText(
      'rows needs a whole number'
    );
    await params.locator('input[name="param-rows"]').fill('7');
    await params.getByTestId('workbench-run-params-submit').click();

    const run = panel.getByTestId('workbench-runs').locator('li').first();
    await expect(run).toContainText('rows = 7', { timeout: 60_000 });
    await expect(run).toHaveAttribute('data-status', 'succeeded', {
      timeout: 120_000
    });
    await expect(stage.locator('.jp-Workbench-chip')).toHaveText('up to date', {
      timeout: 60_000
    });
    await ana.screenshot('pipelines-run-params', sidebar.root);
  });

  test('the Audit panel writes, opens and offers the audit report', async () => {
    const panel = await sidebar.tab('Audit');
    await panel.locator('summary', { hasText: 'Audit report' }).click();
    const report = panel.getByTestId('workbench-audit-report');
    await report.getByTestId('workbench-audit-report-generate').click();
    await expect(report.getByRole('status')).toContainText(
      'reports/admissions-v',
      { timeout: 60_000 }
    );
    await expect(report.getByRole('link', { name: 'Download' })).toBeVisible();
    await ana.screenshot('panel-audit-report', sidebar.root);
    const frame = ana.page.frameLocator(
      '.jp-Workbench-reportTab:not(.lm-mod-hidden) iframe'
    );
    await expect(frame.locator('body')).toContainText('admissions', {
      timeout: 30_000
    });
  });
});
