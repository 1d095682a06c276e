/**
 * The Models panel's Rollout section on the fixture's `scholarships`
 * (fixture/rollout_project.py): v1 on production, v2 on canary at 30% under
 * the policy's guards, 600 applicants decided by a real `workbench serve`
 * and the true outcome of 450 of them recorded. The section shows the canary
 * running, the arms (who decided how many, the decision mix, review and
 * override rates, realized AUC on the rows with outcomes), the comparisons
 * with their intervals and verdicts, and the guards: error_rate judged per
 * replica, review and override rates met, and auc_drop breached, its observed
 * value the champion's realized AUC less the canary's. Every number is checked
 * against the server's `GET models/scholarships/rollout`, and against what the
 * fixture sent (600 decisions, 450 outcomes). Screenshot: panel-rollout.
 */
import { expect, test } from '@playwright/test';

import { Lab, Sidebar } from './workbench-page';

const ANALYST_TOKEN = process.env.WORKBENCH_E2E_ANALYST_TOKEN!;

interface IArm {
  decisions: number;
  decision_mix: Record<string, number>;
  review_rate: number;
}

interface IRealized {
  with_outcomes: number;
  auc: number;
}

interface IDifference {
  difference: number;
  low: number;
  high: number;
  significant: boolean;
}

interface IRollout {
  rollout: {
    guards: {
      guard: string;
      limit: number;
      observed: number | null;
      status: string;
    }[];
  };
  report: {
    arms: Record<'champion' | 'canary', IArm>;
    review_rate_difference: IDifference;
    with_outcomes: {
      outcomes: number;
      arms: Record<'champion' | 'canary', IRealized>;
      auc_difference: {
        difference: number;
        interval: [number, number];
        significant: boolean;
      };
      selection_rate_difference: { gender: Record<string, IDifference> };
    };
  };
}

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;
const mix = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([label, count]) => `${label} ${count}`)
    .join(' · ');

test.describe.serial('the Rollout section', () => {
  let ana: Lab;
  let sidebar: Sidebar;
  let server: IRollout;

  test.beforeAll(async ({ browser }) => {
    ana = await Lab.open(browser, ANALYST_TOKEN, 'ana');
    await ana.page.setViewportSize({ width: 1280, height: 1400 });
    await ana.widenSidebar(720);
    sidebar = await ana.sidebar();
    const answer = await ana.page.request.get(
      '/workbench/api/models/scholarships/rollout',
      { headers: { Authorization: `token ${ANALYST_TOKEN}` } }
    );
    expect(answer.status()).toBe(200);
    server = (await answer.json()) as IRollout;
  });

  test.afterAll(async () => {
    await ana?.close();
  });

  test('a model without a rollout says so', async () => {
    const panel = await sidebar.tab('Models');
    await panel.locator('[data-model="admissions"]').click();
    await expect(
      panel.getByTestId('workbench-rollout').getByTestId('workbench-no-rollout')
    ).toContainText('No rollout: the governing policy has no rollout section');
    await panel.getByRole('button', { name: 'All models' }).click();
  });

  test('the canary runs: mode, champion and challenger, share, window', async () => {
    const panel = await sidebar.tab('Models');
    await panel.locator('[data-model="scholarships"]').click();
    const section = panel.getByTestId('workbench-rollout');
    await expect(
      section
        .getByTestId('workbench-rollout-chips')
        .locator('.jp-Workbench-chip')
    ).toHaveText([
      'canary',
      'champion v1 · challenger v2',
      'share 30.0%',
      'running'
    ]);
    await expect(section.getByTestId('workbench-rollout-window')).toHaveText(
      /^Decisions since v2 went on canary at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.$/
    );
    await expect(section.getByTestId('workbench-rollout-commands')).toHaveText(
      'End it through the gate: workbench rollout promote scholarships (the canary becomes production) or workbench rollout stop scholarships.'
    );
    await expect(section.getByTestId('workbench-rollout-rollback')).toHaveCount(
      0
    );
  });

  test('the arms: decisions, mix, review and override rates, realized AUC', async () => {
    const { arms } = server.report;
    const realized = server.report.with_outcomes.arms;
    // What the fixture sent: 600 applicants, a hash share of about 30% to the canary, 450 outcomes.
    expect(arms.champion.decisions + arms.canary.decisions).toBe(600);
    expect(arms.canary.decisions / 600).toBeGreaterThan(0.2);
    expect(arms.canary.decisions / 600).toBeLessThan(0.4);
    expect(server.report.with_outcomes.outcomes).toBe(450);
    expect(
      realized.champion.with_outcomes + realized.canary.with_outcomes
    ).toBe(450);
    const table = (await sidebar.tab('Models'))
      .getByTestId('workbench-rollout')
      .getByTestId('workbench-rollout-arms');
    await expect(table.locator('thead th')).toHaveText([
      'arm',
      'decisions',
      'decision mix',
      'review',
      'override',
      'realized AUC (n)'
    ]);
    const rows = table.locator('tbody tr');
    await expect(rows).toHaveCount(2);
    for (const [index, arm, version] of [
      [0, 'champion', 1],
      [1, 'canary', 2]
    ] as const) {
      const stats = arms[arm];
      await expect(rows.nth(index).locator('td')).toHaveText([
        `${arm} v${version}`,
        String(stats.decisions),
        mix(stats.decision_mix),
        // Routing without a review band: nothing went to review, so nothing was overridden.
        '0.0%',
        '–',
        `${realized[arm].auc.toFixed(4)} (${realized[arm].with_outcomes})`
      ]);
      expect(Object.keys(stats.decision_mix).sort()).toEqual([
        'auto_accept',
        'auto_decline'
      ]);
    }
    // The shallower canary ranks worse on what came true.
    expect(realized.champion.auc).toBeGreaterThan(realized.canary.auc);
  });

  test('the comparisons, with their intervals and verdicts', async () => {
    const { review_rate_difference: review, with_outcomes: outcomes } =
      server.report;
    const auc = outcomes.auc_difference;
    expect(auc.difference).toBeCloseTo(
      outcomes.arms.canary.auc - outcomes.arms.champion.auc,
      12
    );
    expect(auc.interval[1]).toBeLessThan(0);
    const groups = Object.entries(outcomes.selection_rate_difference.gender);
    expect(groups.map(([group]) => group)).toEqual(['F', 'M', 'X']);
    const verdict = (d: IDifference) =>
      d.significant ? 'more than noise' : 'within noise';
    const expected = [
      `review rate (canary − champion): ${signed(review.difference)} (95% ${signed(review.low)} … ${signed(review.high)}): within noise`,
      `realized AUC (challenger − champion): ${signed(auc.difference)} (95% ${signed(auc.interval[0])} … ${signed(auc.interval[1])}): more than noise`,
      ...groups.map(
        ([group, d]) =>
          `selection rate, gender = ${group}: ${signed(d.difference)} (95% ${signed(d.low)} … ${signed(d.high)}): ${verdict(d)}`
      )
    ];
    const section = (await sidebar.tab('Models')).getByTestId(
      'workbench-rollout'
    );
    await expect(
      section.getByTestId('workbench-rollout-comparisons').locator('li')
    ).toHaveText(expected);
    expect(expected[0]).toBe(
      'review rate (canary − champion): +0.0000 (95% +0.0000 … +0.0000): within noise'
    );
  });

  test('the guards: per replica, met, and auc_drop breached with its observed value', async () => {
    const realized = server.report.with_outcomes.arms;
    const drop = realized.champion.auc - realized.canary.auc;
    const byName = Object.fromEntries(
      server.rollout.guards.map(g => [g.guard, g])
    );
    expect(byName.auc_drop.observed).toBeCloseTo(drop, 12);
    expect(byName.auc_drop.observed!).toBeGreaterThan(byName.auc_drop.limit);
    const panel = await sidebar.tab('Models');
    const section = panel.getByTestId('workbench-rollout');
    const chips = section
      .getByTestId('workbench-rollout-guards')
      .locator('.jp-Workbench-chip');
    await expect(chips).toHaveText([
      'error_rate ≤ 0.0100: per replica',
      'review_rate ≤ 0.2000: ok',
      'override_rate ≤ 0.2000: ok',
      'auc_drop ≤ 0.0300: breached'
    ]);
    await expect(chips.nth(0)).toHaveClass(/jp-Workbench-chip-info/);
    await expect(chips.nth(0)).toHaveAttribute(
      'title',
      /^Limit 0\.0100\. Each serving replica judges this on its own traffic/
    );
    await expect(chips.nth(1)).toHaveClass(/jp-Workbench-chip-ok/);
    await expect(chips.nth(1)).toHaveAttribute(
      'title',
      'Observed 0 against a limit of 0.2000.'
    );
    await expect(chips.nth(3)).toHaveClass(/jp-Workbench-chip-error/);
    await expect(chips.nth(3)).toHaveAttribute(
      'title',
      `Observed ${drop.toFixed(4)} against a limit of 0.0300.`
    );
    await section.scrollIntoViewIfNeeded();
    await ana.screenshot('panel-rollout', section);
  });

  test('nothing was logged as an error in the browser console', async () => {
    expect(ana.consoleErrors).toEqual([]);
  });
});
