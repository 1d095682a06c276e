/**
 * Page objects for the browser tests: JupyterLab opened as one person, and the
 * Workbench sidebar with its tabs.
 */
import {
  Browser,
  BrowserContext,
  expect,
  Locator,
  Page
} from '@playwright/test';
import * as path from 'path';

/**
 * Screenshots go straight to the documentation's images (docs/images/jupyterlab-NAME.png).
 */
export const SCREENSHOTS = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'docs',
  'images'
);

export type Tab =
  'Models' | 'Pipelines' | 'Jobs' | 'Review' | 'Monitoring' | 'Audit';

// Errors JupyterLab's own stack logs, never workbench: jupyterlab_widgets probes a new
// kernel over the `jupyter.widget.control` comm, and the kernel's comm_close for it
// arrives after the frontend dropped the comm (harmless: ipywidgets issue #3525).
const IGNORED_CONSOLE = [/^Comm not found for comm id /];

/**
 * JupyterLab in its own browser context, logged in as the person whose token it got.
 */
export class Lab {
  private constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly who: string
  ) {
    page.on('console', message => {
      if (
        message.type() === 'error' &&
        !IGNORED_CONSOLE.some(pattern => pattern.test(message.text()))
      ) {
        this.consoleErrors.push(`${who}: ${message.text()}`);
      }
    });
    page.on('pageerror', error =>
      this.consoleErrors.push(`${who}: ${error.message}`)
    );
  }

  readonly consoleErrors: string[] = [];

  static async open(
    browser: Browser,
    token: string,
    who: string,
    path = 'lab'
  ): Promise<Lab> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const lab = new Lab(page, context, who);
    await page.goto(`/${path}?token=${token}`);
    await lab.ready();
    return lab;
  }

  async ready(): Promise<void> {
    await this.page
      .locator('#jupyterlab-splash')
      .waitFor({ state: 'detached', timeout: 60_000 });
    await expect(this.page.locator('.jp-LabShell')).toBeVisible();
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  /**
   * The Workbench sidebar, opened from its icon in the left bar.
   */
  async sidebar(): Promise<Sidebar> {
    const panel = this.page.locator('#workbench-sidebar');
    if (!(await panel.isVisible())) {
      await this.page
        .locator('.jp-SideBar .lm-TabBar-tab[data-id="workbench-sidebar"]')
        .click();
    }
    await expect(panel).toBeVisible();
    return new Sidebar(this.page, panel);
  }

  /**
   * Widen the left area so the panel reads well in screenshots.
   */
  async widenSidebar(width = 460): Promise<void> {
    const handle = this.page
      .locator('#jp-main-split-panel > .lm-SplitPanel-handle')
      .first();
    const box = await handle.boundingBox();
    if (!box) {
      return;
    }
    await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(width, box.y + box.height / 2, { steps: 5 });
    await this.page.mouse.up();
  }

  dialog(): Locator {
    return this.page.locator('.jp-Dialog');
  }

  async screenshot(name: string, target?: Locator): Promise<void> {
    const file = path.join(SCREENSHOTS, `jupyterlab-${name}.png`);
    if (target) {
      await target.screenshot({ path: file });
    } else {
      await this.page.screenshot({ path: file });
    }
  }
}

export class Sidebar {
  constructor(
    readonly page: Page,
    readonly root: Locator
  ) {}

  async tab(name: Tab): Promise<Locator> {
    await this.root.getByRole('tab', { name }).click();
    await expect(this.root.getByRole('tab', { name })).toHaveAttribute(
      'aria-selected',
      'true'
    );
    return this.root.getByRole('tabpanel');
  }

  async openModel(name: string, version = 1): Promise<Locator> {
    const panel = await this.tab('Models');
    const detail = panel.getByTestId('workbench-version-detail');
    if (!(await detail.isVisible())) {
      await panel.locator(`[data-model="${name}"]`).click();
    }
    const row = panel.locator(`[data-version="${version}"]`);
    if ((await row.getAttribute('aria-pressed')) !== 'true') {
      await row.click();
    }
    await expect(detail.locator('.jp-Workbench-detailTitle')).toBeVisible();
    return detail;
  }

  /**
   * Press the refresh button of the panel's first section (reloads what it shows).
   */
  async refresh(): Promise<void> {
    await this.root
      .getByRole('tabpanel')
      .locator('.jp-Workbench-sectionHeader button[aria-label^="Refresh"]')
      .first()
      .click();
  }
}
