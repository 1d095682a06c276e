/**
 * The sidebar at JupyterLab's default width, and the model page in the main area:
 * every section, the charts, and two versions compared. Screenshots go to
 * docs/images/ (see workbench-page.ts).
 */
import { expect, Page, test } from '@playwright/test';

import { Lab } from './workbench-page';

const ANALYST_TOKEN = process.env.WORKBENCH_E2E_ANALYST_TOKEN!;

async function setTheme(page: Page, theme: 'Light' | 'Dark'): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: 'Settings' }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Theme$/ }).hover();
  await page
    .locator('.lm-Menu-itemLabel', {
      hasText: new RegExp(`^JupyterLab ${theme}$`)
    })
    .click();
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    theme === 'Light' ? 'true' : 'false'
  );
}

test.describe.serial('the model page', () => {
  let ana: Lab;

  test.beforeAll(async ({ browser }) => {
    ana = await Lab.open(browser, ANALYST_TOKEN, 'ana');
  });

  test.afterAll(async () => {
    await ana?.close();
  });

  test('the sidebar fits its default width in both themes', async () => {
    const sidebar = await ana.sidebar();
    const fits = async () => {
      for (const tab of [
        'Models',
        'Pipelines',
        'Jobs',
        'Review',
        'Monitoring',
        'Audit'
      ]) {
        await expect(
          sidebar.root.getByRole('tab', { name: tab })
        ).toBeVisible();
      }
      // Every element ends inside the panel: no horizontal scroll, nothing cut off.
      const outside = await sidebar.root.evaluate(node => {
        const right = node.getBoundingClientRect().right;
        return Array.from(node.querySelectorAll('*'))
          .filter(el => el.getBoundingClientRect().right > right + 0.5)
          .map(el => `${el.tagName.toLowerCase()}.${el.className}`)
          .slice(0, 5);
      });
      expect(outside).toEqual([]);
      expect(
        await sidebar.root.evaluate(node => node.scrollWidth - node.clientWidth)
      ).toBe(0);
    };
    const detail = await sidebar.openModel('admissions');
    await expect(sidebar.root.getByTestId('workbench-versions')).toContainText(
      'auc'
    );
    await expect(sidebar.root.locator('[data-model]')).toHaveCount(0);
    await fits();
    const approve = detail.getByTestId('workbench-approve');
    await expect(approve).toBeDisabled();
    await ana.screenshot('sidebar-default-light', sidebar.root);

    await setTheme(ana.page, 'Dark');
    await fits();
    // Disabled: the primary colour is gone, so it cannot be mistaken for a live button.
    const colours = await approve.evaluate(node => {
      const style = getComputedStyle(node);
      const brand = getComputedStyle(document.body)
        .getPropertyValue('--jp-brand-color1')
        .trim();
      return { background: style.backgroundColor, cursor: style.cursor, brand };
    });
    expect(colours.cursor).toBe('not-allowed');
    const brand = await ana.page.evaluate(value => {
      const probe = document.createElement('span');
      probe.style.color = value;
      document.body.appendChild(probe);
      const rgb = getComputedStyle(probe).color;
      probe.remove();
      return rgb;
    }, colours.brand);
    expect(colours.background).not.toBe(brand);
    await ana.screenshot('sidebar-default-dark', sidebar.root);
    await setTheme(ana.page, 'Light');
  });

  test('the Models list filters, and each version row shows the key metric', async () => {
    const sidebar = await ana.sidebar();
    const panel = await sidebar.tab('Models');
    const versions = panel.getByTestId('workbench-versions');
    await expect(versions.locator('[data-version]')).toHaveCount(2);
    await expect(
      versions.locator(
        '[data-version="1"] [data-testid="workbench-key-metric"]'
      )
    ).toContainText(/^auc 0\.\d+/);
    await panel.getByRole('searchbox', { name: 'Filter versions' }).fill('v2');
    await expect(versions.locator('[data-version]')).toHaveCount(1);
    await panel.getByRole('searchbox', { name: 'Filter versions' }).fill('');
  });

  test('a version opens in the main area with every section', async () => {
    const sidebar = await ana.sidebar();
    const detail = await sidebar.openModel('admissions');
    await detail.getByTestId('workbench-open-page').click();
    const page = ana.page.getByTestId('workbench-model-page');
    await expect(page.locator('.jp-Workbench-pageHeader h2')).toContainText(
      'admissions:1'
    );
    for (const section of [
      'metrics',
      'checks',
      'fairness',
      'calibration',
      'shap',
      'drift',
      'charts',
      'lineage',
      'contract',
      'gate',
      'aliases',
      'jobs',
      'artifacts',
      'compare'
    ]) {
      await expect(page.locator(`[data-section="${section}"]`)).toBeVisible();
    }
    await expect(page.locator('[data-section="metrics"]')).toContainText('auc');
    await expect(page.getByTestId('workbench-fairness-groups')).toContainText(
      'selection rate'
    );
    await expect(page.locator('[data-section="shap"] img')).toHaveCount(2);
    await expect(page.getByTestId('workbench-job-drift')).toBeVisible();
    await expect(page.locator('[data-section="contract"]')).toContainText(
      'applicant_id'
    );
    // The artifact browser shows a PNG in place.
    const bar = page.locator('[data-artifact="shap_bar_png"]');
    await bar.getByRole('button', { name: 'Show' }).click();
    await expect(bar.locator('img')).toBeVisible();
    await ana.screenshot('model-page');
  });

  test('the charts render with JupyterLab’s Vega renderer', async () => {
    const charts = ana.page.getByTestId('workbench-charts');
    await charts.scrollIntoViewIfNeeded();
    await expect(charts.locator('.vega-embed')).toHaveCount(3, {
      timeout: 30_000
    });
    await expect(
      charts.locator('.vega-embed canvas, .vega-embed svg').first()
    ).toBeVisible();
    await ana.screenshot('model-page-charts', charts);
  });

  test('two versions side by side', async () => {
    const compare = ana.page.getByTestId('workbench-compare');
    await compare.scrollIntoViewIfNeeded();
    await expect(
      compare.getByTestId('workbench-compare-metrics')
    ).toContainText('auc');
    await expect(compare.getByTestId('workbench-compare-shap')).toContainText(
      'gpa'
    );
    await expect(
      compare.getByTestId('workbench-artifacts-identical')
    ).toContainText('artifacts differ');
    await ana.screenshot('model-compare', compare);
  });

  test('nothing was logged as an error in the browser console', async () => {
    expect(ana.consoleErrors).toEqual([]);
  });
});
