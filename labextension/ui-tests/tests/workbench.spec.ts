/**
 * The analyst and the reviewer never need a terminal: promote a notebook, run it,
 * review and approve a model as a second person, promote it through the gate,
 * decide a review item, and see the audit chain verified. One screenshot per panel
 * goes to tests/artifacts/.
 */
import { expect, test } from '@playwright/test';

import { Lab, Sidebar } from './workbench-page';

const ANALYST_TOKEN = process.env.WORKBENCH_E2E_ANALYST_TOKEN!;
const REVIEWER_TOKEN = process.env.WORKBENCH_E2E_REVIEWER_TOKEN!;

test.describe.serial('workbench in JupyterLab', () => {
  let ana: Lab;
  let sidebar: Sidebar;

  test.beforeAll(async ({ browser }) => {
    ana = await Lab.open(browser, ANALYST_TOKEN, 'ana');
    await ana.widenSidebar();
    sidebar = await ana.sidebar();
  });

  test.afterAll(async () => {
    await ana?.close();
  });

  test('the sidebar shows the server and who acts', async () => {
    await expect(sidebar.root).toContainText('ana@example.org');
    await expect(sidebar.root).toContainText('sqlite');
    await expect(sidebar.root.getByRole('tab')).toHaveCount(6);
  });

  test('the file browser offers the command on notebooks', async () => {
    const { page } = ana;
    await page
      .locator('.jp-SideBar .lm-TabBar-tab[data-id="filebrowser"]')
      .click();
    // An earlier spec may have left the browser in a subfolder: start from the root.
    await page.locator('.jp-FileBrowser .jp-BreadCrumbs-home').click();
    await page
      .locator('.jp-DirListing-item[title^="Name: notebooks"]')
      .dblclick();
    const notebook = page.locator(
      '.jp-DirListing-item[data-file-type="notebook"]',
      { hasText: 'summary.ipynb' }
    );
    await notebook.click({ button: 'right' });
    await expect(
      page.locator('.lm-Menu-itemLabel', { hasText: 'Promote to Pipeline…' })
    ).toBeVisible();
    await page.keyboard.press('Escape');
  });

  test('a notebook is promoted through the dialog and its stage appears', async () => {
    const { page } = ana;
    await page
      .locator('.jp-DirListing-item[data-file-type="notebook"]', {
        hasText: 'summary.ipynb'
      })
      .dblclick();
    const button = page.locator(
      '.jp-NotebookPanel-toolbar .jp-Workbench-promoteButton:visible'
    );
    await expect(button).toBeVisible();
    await button.click();

    const dialog = ana.dialog();
    await expect(
      dialog.getByTestId('workbench-promotion-checks')
    ).toContainText('All promotion checks passed');
    await ana.screenshot(
      'promote-checks',
      dialog.locator('.jp-Dialog-content')
    );
    await dialog.getByRole('button', { name: 'Continue' }).click();

    const form = ana.dialog().getByTestId('workbench-promote-form');
    await expect(form.locator('input[name="stage"]')).toHaveValue('summary');
    await form.locator('input[name="param-sample_rows"]').fill('150');
    await form.locator('textarea[name="deps"]').fill('data/applicants.parquet');
    await form.locator('textarea[name="outs"]').fill('outputs/summary.json');
    await ana.screenshot(
      'promote-form',
      ana.dialog().locator('.jp-Dialog-content')
    );
    await ana.dialog().getByRole('button', { name: 'Promote' }).click();
    await expect(ana.dialog()).toHaveCount(0);

    sidebar = await ana.sidebar();
    await expect(
      sidebar.root.getByRole('tab', { name: 'Pipelines' })
    ).toHaveAttribute('aria-selected', 'true');
    const stage = sidebar.root.locator('[data-stage="summary"]');
    await expect(stage).toBeVisible();
    await expect(stage).toContainText('notebooks/summary.ipynb');
  });

  test('the stage runs and succeeds', async () => {
    const panel = await sidebar.tab('Pipelines');
    await panel
      .locator('[data-stage="summary"]')
      .getByTestId('workbench-run-stage')
      .click();
    // this spec's own run (another spec may have run other stages on the same server)
    const run = panel
      .getByTestId('workbench-runs')
      .locator('li', { hasText: 'summary' })
      .first();
    await expect(run).toHaveAttribute('data-status', /running|succeeded/, {
      timeout: 60_000
    });
    await expect(run).toHaveAttribute('data-status', 'succeeded', {
      timeout: 120_000
    });
    await expect(
      panel.locator('[data-stage="summary"] .jp-Workbench-chip')
    ).toBeVisible();
    await ana.screenshot('panel-pipelines', sidebar.root);
  });

  test('the executed notebook opens, though it lives under .workbench/runs', async () => {
    const panel = await sidebar.tab('Pipelines');
    // this spec's own run (another spec may have run other stages on the same server)
    const run = panel
      .getByTestId('workbench-runs')
      .locator('li', { hasText: 'summary' })
      .first();
    await run.getByRole('button', { name: 'Open executed notebook' }).click();
    const frame = ana.page.frameLocator(
      '.jp-Workbench-reportTab:not(.lm-mod-hidden) iframe'
    );
    await expect(frame.locator('body')).toContainText('sample_rows = 150', {
      timeout: 30_000
    });
    await expect(frame.locator('body')).toContainText('gpa_mean');
    await ana.screenshot('executed-notebook');
  });

  test('the registered model shows why it cannot be promoted yet', async () => {
    const detail = await sidebar.openModel('admissions');
    await expect(detail.locator('.jp-Workbench-detailTitle')).toContainText(
      'admissions:1'
    );
    const promote = detail.getByTestId('workbench-promote');
    await expect(promote).toBeDisabled();
    await expect(detail.getByTestId('workbench-unmet')).toContainText(
      'needs 1 approvals from allowed approvers, has 0'
    );
    await expect(detail.getByTestId('workbench-approve')).toBeDisabled();
    await expect(detail).toContainText('ana@example.org is not an approver');
    await ana.screenshot('panel-models', sidebar.root);
  });

  test('a second person approves it', async ({ browser }) => {
    const ben = await Lab.open(browser, REVIEWER_TOKEN, 'ben');
    try {
      await ben.widenSidebar();
      const reviewer = await ben.sidebar();
      await expect(reviewer.root).toContainText('ben@example.org (approver)');
      const detail = await reviewer.openModel('admissions');
      const approve = detail.getByTestId('workbench-approve');
      await expect(approve).toBeEnabled();
      await detail
        .getByRole('textbox', { name: 'Comment' })
        .fill('Metrics and fairness within policy.');
      await approve.click();
      await expect(
        reviewer.root.getByTestId('workbench-decisions')
      ).toContainText('ben@example.org');
      await ben.screenshot('panel-models-approved', reviewer.root);
      expect(ben.consoleErrors).toEqual([]);
    } finally {
      await ben.close();
    }
  });

  test('then promotion through the gate succeeds', async () => {
    await sidebar.refresh();
    const detail = await sidebar.openModel('admissions');
    const promote = detail.getByTestId('workbench-promote');
    await expect(promote).toBeEnabled();
    await promote.click();
    await expect(sidebar.root.getByTestId('workbench-versions')).toContainText(
      '@production'
    );
  });

  test('the drift report opens in a tab', async () => {
    const detail = await sidebar.openModel('admissions');
    await detail.getByTestId('workbench-open-drift').click();
    const tab = ana.page.locator('.lm-TabBar-tab', {
      hasText: 'Drift: admissions:1'
    });
    await expect(tab).toBeVisible();
    const frame = ana.page.frameLocator(
      '.jp-Workbench-reportTab:not(.lm-mod-hidden) iframe'
    );
    await expect(frame.locator('body')).not.toBeEmpty({ timeout: 30_000 });
    await ana.screenshot('drift-report');
  });

  test('the exported audit report opens with its Evidently section', async () => {
    const detail = await sidebar.openModel('admissions');
    await detail.getByTestId('workbench-export-report').click();
    const report = ana.page.frameLocator(
      '.jp-Workbench-reportTab:not(.lm-mod-hidden) iframe'
    );
    await expect(report.locator('h2', { hasText: '6. Drift' })).toBeVisible({
      timeout: 30_000
    });
    const evidently = report.frameLocator('iframe.evidently');
    await report.locator('iframe.evidently').scrollIntoViewIfNeeded();
    await expect(evidently.locator('body')).not.toBeEmpty({ timeout: 30_000 });
    await expect(report.locator('iframe.evidently')).toBeVisible();
    await ana.screenshot('audit-report-tab');
  });

  test('a review item shows the row, Escape leaves the comment, and undo reopens it', async () => {
    const panel = await sidebar.tab('Review');
    const queue = panel.getByTestId('workbench-review');
    await expect(queue.getByTestId('workbench-review-values')).toContainText(
      'gpa'
    );
    const first = await queue.locator('[data-item]').getAttribute('data-item');
    const leaning = (
      await queue.locator('dt:has-text("leaning") + dd').textContent()
    )?.trim();
    const override = leaning === 'decline' ? 'a' : 'd';
    // An override from the keyboard without a comment says why nothing happened.
    await queue.focus();
    await ana.page.keyboard.press(override);
    await expect(queue.getByTestId('workbench-review-hint')).toContainText(
      'overrides the model'
    );
    // Typing, then Escape: the next letter is a shortcut, not part of the comment.
    const comment = queue.getByTestId('workbench-review-comment');
    await comment.fill('capacity');
    await comment.press('Escape');
    await ana.page.keyboard.press(override);
    await expect(queue.locator('.jp-Workbench-notice')).toContainText(
      `item ${first}`
    );
    await ana.screenshot('panel-review-undo', sidebar.root);
    await queue.getByTestId('workbench-review-undo').click();
    await expect(queue.locator('.jp-Workbench-notice')).toContainText(
      `Undid the decision on item ${first}`
    );
    await expect(queue.locator('[data-item]')).toHaveAttribute(
      'data-item',
      first!
    );
    await expect(queue.getByTestId('workbench-review-comment')).toHaveValue('');
  });

  test('a review item is decided from the keyboard', async () => {
    const panel = await sidebar.tab('Review');
    const queue = panel.getByTestId('workbench-review');
    await expect(queue.locator('[data-item]')).toBeVisible();
    await ana.screenshot('panel-review', sidebar.root);
    const leaning = (
      await queue.locator('dt:has-text("leaning") + dd').textContent()
    )?.trim();
    await queue.focus();
    await ana.page.keyboard.press(leaning === 'decline' ? 'd' : 'a');
    await expect(queue.locator('.jp-Workbench-notice')).toContainText(
      leaning === 'decline' ? 'Declined item' : 'Accepted item'
    );
  });

  test('the jobs panel shows the scoring job and the run', async () => {
    const panel = await sidebar.tab('Jobs');
    await expect(
      panel
        .getByTestId('workbench-jobs')
        .locator('li[data-status="succeeded"]', { hasText: 'admissions:1' })
    ).toBeVisible();
    // The fixture's `workbench serve` stopped: its serve jobs ended, and a serve job has no Cancel.
    const served = panel
      .getByTestId('workbench-jobs')
      .locator('li', { hasText: 'scholarships:2' })
      .first();
    await expect(served).toHaveAttribute('data-status', 'succeeded');
    await expect(served.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
    await expect(
      panel
        .getByTestId('workbench-runs')
        .locator('li[data-status="succeeded"]')
        .first()
    ).toBeVisible();
    const scoring = panel.getByTestId('workbench-jobs').locator('li').first();
    await scoring.getByRole('button', { name: 'Log' }).click();
    await expect(scoring.locator('.jp-Workbench-log')).not.toContainText(
      'Loading'
    );
    await scoring.getByRole('button', { name: 'Hide log' }).click();
    await ana.screenshot('panel-jobs', sidebar.root);
  });

  test('the audit chain is verified', async () => {
    const panel = await sidebar.tab('Audit');
    await expect(panel.getByTestId('workbench-chain')).toContainText(
      'chain verified'
    );
    const events = panel.getByTestId('workbench-events');
    await expect(events).toContainText('model.promote');
    await expect(events).toContainText('review.decide');
    await expect(events).toContainText('review.undo');
    await ana.screenshot('panel-audit', sidebar.root);
  });

  test('the panels follow the dark theme', async () => {
    const { page } = ana;
    await page
      .locator('.lm-MenuBar-itemLabel', { hasText: 'Settings' })
      .click();
    await page.locator('.lm-Menu-itemLabel', { hasText: /^Theme$/ }).hover();
    await page
      .locator('.lm-Menu-itemLabel', { hasText: /^JupyterLab Dark$/ })
      .click();
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-light',
      'false'
    );
    const detail = await sidebar.openModel('admissions');
    await expect(detail.getByTestId('workbench-decisions')).toBeVisible();
    await ana.screenshot('panel-models-dark', sidebar.root);
  });

  test('nothing was logged as an error in the browser console', async () => {
    expect(ana.consoleErrors).toEqual([]);
  });
});
