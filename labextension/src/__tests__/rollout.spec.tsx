/**
 * The Rollout section, its state logic, and its place in the Models panel's
 * model detail, against a fake server answering `GET models/{name}/rollout`.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { ModelsPanel } from '../components/models/ModelsPanel';
import { RolloutSection } from '../components/rollout/RolloutSection';
import {
  armRows,
  comparisons,
  guardChips,
  lastRollback,
  mixText,
  rolloutChips,
  verdictText,
  windowText
} from '../components/rollout/rollout';
import { IModelRollout, IRolloutEvent, IRolloutPlan } from '../tokens';
import { fakeServer, waitFor } from './fake';

const trans = nullTranslator.load('workbench');
const client = new WorkbenchClient();

const rollback: IRolloutEvent = {
  seq: 41,
  action: 'rollout.rollback',
  time: '2026-12-07T10:00:00+00:00',
  model: 'admissions',
  version: 2,
  guard: 'review_rate',
  observed: 0.4,
  limit: 0.3,
  automatic: true,
  evidence: {
    decisions: 20,
    review_rate: 0.4,
    decision_mix: { accept: 9, review: 8, decline: 3 },
    note: '<img src=x onerror=alert(1)>'
  }
};

const plan: IRolloutPlan = {
  mode: 'canary',
  share: 0.05,
  champion_version: 1,
  challenger_version: 2,
  active: true,
  ended_by: null,
  overrides: {
    champion: { reviews_decided: 0, override_rate: null },
    canary: { reviews_decided: 4, override_rate: 0.25 }
  },
  guards: [
    {
      guard: 'error_rate',
      limit: 0.01,
      observed: null,
      status: 'replica',
      source: 'replica'
    },
    {
      guard: 'review_rate',
      limit: 0.3,
      observed: 0.4,
      status: 'breached',
      source: 'store'
    },
    {
      guard: 'override_rate',
      limit: 0.5,
      observed: 0.25,
      status: 'ok',
      source: 'store'
    }
  ],
  guard_evidence: { decisions: 20 }
};

const canary: IModelRollout = {
  model: 'admissions',
  policy: 'a'.repeat(64),
  rollout: plan,
  report: {
    model: 'admissions',
    mode: 'canary',
    events: [],
    window: {
      since: '2026-12-07T09:00:00.123456+00:00',
      until: null,
      challenger: 2
    },
    share: 0.4,
    arms: {
      champion: {
        decisions: 30,
        decision_mix: { accept: 20, review: 3, decline: 7 },
        route_mix: {},
        review_rate: 0.1,
        reviews: 3,
        mean_score: 0.45
      },
      canary: {
        decisions: 20,
        decision_mix: { accept: 9, review: 8, decline: 3 },
        route_mix: {},
        review_rate: 0.4,
        reviews: 8,
        mean_score: 0.45
      }
    },
    review_rate_difference: {
      difference: 0.3,
      low: 0.0695,
      high: 0.5305,
      significant: true
    },
    with_outcomes: {
      outcomes: 40,
      arms: {
        champion: { with_outcomes: 24, auc: 0.81, selection: {} },
        canary: { with_outcomes: 16, auc: 0.78, selection: {} }
      },
      auc_difference: {
        difference: -0.03,
        interval: [-0.12, 0.06],
        significant: false
      },
      selection_rate_difference: {
        gender: {
          F: { difference: 0.02, low: -0.1, high: 0.14, significant: false }
        }
      }
    }
  },
  rollbacks: [],
  commands: {
    promote: 'workbench rollout promote admissions',
    stop: 'workbench rollout stop admissions'
  }
};

const shadow: IModelRollout = {
  ...canary,
  rollout: {
    ...plan,
    mode: 'shadow',
    share: null,
    guards: [],
    overrides: { champion: { reviews_decided: 0, override_rate: null } }
  },
  report: {
    model: 'admissions',
    mode: 'shadow',
    events: [],
    window: { since: null, until: null, challenger: 2 },
    rows: 20,
    sources: { online: 20 },
    agreement: { rate: 0.9, interval: [0.699, 0.9721] },
    score_difference: {
      mean: 0.05,
      interval: [0.05, 0.05],
      p05: 0.05,
      p50: 0.05,
      p95: 0.05
    },
    arms: {
      champion: {
        decisions: 20,
        decision_mix: { accept: 10, review: 5, decline: 5 },
        route_mix: {},
        review_rate: 0.25,
        reviews: 5,
        mean_score: 0.4
      },
      shadow: {
        decisions: 20,
        decision_mix: { accept: 8, review: 7, decline: 5 },
        route_mix: {},
        review_rate: 0.35,
        reviews: 7,
        mean_score: 0.45
      }
    },
    with_outcomes: { outcomes: 0, arms: {} }
  }
};

const rolledBack: IModelRollout = {
  ...canary,
  rollout: { ...plan, active: false, ended_by: rollback },
  report: {
    ...canary.report!,
    window: { ...canary.report!.window, until: rollback.time }
  },
  rollbacks: [rollback]
};

describe('rollout state', () => {
  it('words the plan: mode, champion against challenger, share and state', () => {
    expect(rolloutChips(plan, trans).map(c => [c.label, c.kind])).toEqual([
      ['canary', 'info'],
      ['champion v1 · challenger v2', 'neutral'],
      ['share 5.0%', 'neutral'],
      ['running', 'ok']
    ]);
    const ended = rolloutChips(rolledBack.rollout!, trans).pop()!;
    expect([ended.label, ended.kind, ended.title]).toEqual([
      'rolled back',
      'error',
      'Guard review_rate breached; rolled back at 2026-12-07 10:00:00.'
    ]);
    const waiting = rolloutChips(
      { ...plan, challenger_version: null, active: false },
      trans
    );
    expect(waiting.map(c => c.label)).toEqual([
      'canary',
      'champion v1 · challenger none placed',
      'share 5.0%',
      'not started'
    ]);
    expect(rolloutChips(shadow.rollout!, trans).map(c => c.label)).toEqual([
      'shadow',
      'champion v1 · challenger v2',
      'running'
    ]);
  });

  it('lays out each arm with its mix, review and override rates and realized AUC', () => {
    expect(armRows(canary)).toEqual([
      {
        arm: 'champion',
        version: 1,
        decisions: 30,
        mix: 'accept 20 · decline 7 · review 3',
        reviewRate: '10.0%',
        overrideRate: '–',
        auc: '0.8100 (24)'
      },
      {
        arm: 'canary',
        version: 2,
        decisions: 20,
        mix: 'accept 9 · review 8 · decline 3',
        reviewRate: '40.0%',
        overrideRate: '25.0%',
        auc: '0.7800 (16)'
      }
    ]);
    // A shadow decides nothing: no override rate of its own, and no outcomes yet.
    expect(
      armRows(shadow).map(r => [r.arm, r.version, r.overrideRate, r.auc])
    ).toEqual([
      ['champion', 1, '–', '–'],
      ['shadow', 2, '–', '–']
    ]);
    expect(mixText({ b: 2, a: 2, c: 5 })).toBe('c 5 · a 2 · b 2');
  });

  it('says which differences are more than noise', () => {
    const lines = comparisons(canary.report!, trans).map(
      c =>
        `${c.label}: ${c.value} [${c.interval}] ${verdictText(c.moreThanNoise, trans)}`
    );
    expect(lines).toEqual([
      'review rate (canary − champion): +0.3000 [+0.0695 … +0.5305] more than noise',
      'realized AUC (challenger − champion): -0.0300 [-0.1200 … +0.0600] within noise',
      'selection rate, gender = F: +0.0200 [-0.1000 … +0.1400] within noise'
    ]);
    const shadowLines = comparisons(shadow.report!, trans).map(c => [
      c.label,
      c.value,
      c.interval
    ]);
    expect(shadowLines).toEqual([
      ['agreement of decisions', '90.00%', '69.90% … 97.21%'],
      [
        'score difference (challenger − champion)',
        '+0.0500 (p05 +0.0500, p50 +0.0500, p95 +0.0500)',
        '+0.0500 … +0.0500'
      ]
    ]);
    const noInterval = comparisons(
      {
        ...canary.report!,
        with_outcomes: {
          outcomes: 3,
          arms: {},
          auc_difference: {
            difference: 0.1,
            interval: null,
            significant: false
          }
        }
      },
      trans
    ).pop()!;
    expect([
      noInterval.interval,
      verdictText(noInterval.moreThanNoise, trans)
    ]).toEqual(['no interval', 'too few outcomes to tell']);
  });

  it('says which decisions the numbers cover', () => {
    expect(windowText(canary.report!, trans)).toBe(
      'Decisions since v2 went on canary at 2026-12-07 09:00:00 UTC.'
    );
    expect(windowText(rolledBack.report!, trans)).toBe(
      'Decisions since v2 went on canary at 2026-12-07 09:00:00 UTC, until its rollout ended at 2026-12-07 10:00:00 UTC.'
    );
    expect(windowText(shadow.report!, trans)).toBe(
      'The rows v2 scored beside the champion.'
    );
    expect(
      windowText(
        {
          ...canary.report!,
          window: { since: null, until: null, challenger: null }
        },
        trans
      )
    ).toBe('Over every logged decision: the policy declares no rollout now.');
  });

  it('shows each guard with its state, and the last rollback with its evidence', () => {
    expect(guardChips(plan.guards, trans).map(c => [c.label, c.kind])).toEqual([
      ['error_rate ≤ 0.0100: per replica', 'info'],
      ['review_rate ≤ 0.3000: breached', 'error'],
      ['override_rate ≤ 0.5000: ok', 'ok']
    ]);
    expect(guardChips(plan.guards, trans)[1].title).toBe(
      'Observed 0.4000 against a limit of 0.3000.'
    );
    expect(lastRollback([], trans)).toBeNull();
    const note = lastRollback([rollback], trans)!;
    expect(note.summary).toBe(
      'v2 rolled back: review_rate observed 0.4000 against a limit of 0.3000'
    );
    expect(note.evidence).toEqual([
      { label: 'decisions', value: '20' },
      { label: 'review_rate', value: '0.4000' },
      { label: 'decision_mix', value: 'accept 9, review 8, decline 3' },
      { label: 'note', value: '<img src=x onerror=alert(1)>' }
    ]);
  });
});

describe('RolloutSection', () => {
  let server: ReturnType<typeof fakeServer>;
  let widget: Widget | null = null;
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
  const find = (testid: string) =>
    widget!.node.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
  const texts = (selector: string) =>
    Array.from(widget!.node.querySelectorAll(selector)).map(e => e.textContent);

  it('shows a running canary: arms, comparisons, guards and the CLI to end it', async () => {
    server = fakeServer({ 'GET models/admissions/rollout': canary });
    await render(
      <RolloutSection client={client} trans={trans} name="admissions" />
    );
    await waitFor(() => find('workbench-rollout-arms') !== null, 'the arms');
    expect(
      texts('[data-testid="workbench-rollout-chips"] .jp-Workbench-chip')
    ).toEqual([
      'canary',
      'champion v1 · challenger v2',
      'share 5.0%',
      'running'
    ]);
    expect(texts('[data-testid="workbench-rollout-arms"] tbody tr')).toEqual([
      'champion v130accept 20 · decline 7 · review 310.0%–0.8100 (24)',
      'canary v220accept 9 · review 8 · decline 340.0%25.0%0.7800 (16)'
    ]);
    expect(texts('[data-testid="workbench-rollout-comparisons"] li')[0]).toBe(
      'review rate (canary − champion): +0.3000 (95% +0.0695 … +0.5305): more than noise'
    );
    expect(
      texts('[data-testid="workbench-rollout-guards"] .jp-Workbench-chip')
    ).toEqual([
      'error_rate ≤ 0.0100: per replica',
      'review_rate ≤ 0.3000: breached',
      'override_rate ≤ 0.5000: ok'
    ]);
    expect(find('workbench-rollout-commands')!.textContent).toBe(
      'End it through the gate: workbench rollout promote admissions (the canary becomes production) or workbench rollout stop admissions.'
    );
    expect(find('workbench-rollout-rollback')).toBeNull();
    expect(find('workbench-rollout-window')!.textContent).toBe(
      'Decisions since v2 went on canary at 2026-12-07 09:00:00 UTC.'
    );
    expect(server.calls.map(c => `${c.method} ${c.path}`)).toEqual([
      'GET models/admissions/rollout'
    ]);
  });

  it('names the guard and evidence of an automatic rollback, as text', async () => {
    server = fakeServer({ 'GET models/admissions/rollout': rolledBack });
    await render(
      <RolloutSection client={client} trans={trans} name="admissions" />
    );
    await waitFor(
      () => find('workbench-rollout-rollback') !== null,
      'the rollback'
    );
    const note = find('workbench-rollout-rollback')!;
    expect(note.querySelector('p')!.textContent).toBe(
      'v2 rolled back: review_rate observed 0.4000 against a limit of 0.3000'
    );
    expect(note.textContent).toContain(
      'decision_mixaccept 9, review 8, decline 3'
    );
    // The evidence is shown as text, never as markup.
    expect(note.querySelector('img')).toBeNull();
    expect(note.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(find('workbench-rollout-commands')).toBeNull(); // nothing left to end
    expect(
      texts('[data-testid="workbench-rollout-chips"] .jp-Workbench-chip').pop()
    ).toBe('rolled back');
  });

  it('says "no rollout" for a model whose policy declares none', async () => {
    server = fakeServer({
      'GET models/admissions/rollout': {
        ...canary,
        rollout: null,
        report: null
      }
    });
    await render(
      <RolloutSection client={client} trans={trans} name="admissions" />
    );
    await waitFor(() => find('workbench-no-rollout') !== null, 'no rollout');
    expect(find('workbench-no-rollout')!.textContent).toContain('No rollout');
    expect(find('workbench-rollout-arms')).toBeNull();
    expect(widget!.node.querySelector('.jp-Workbench-error')).toBeNull();
  });

  it('shows the server error with a retry', async () => {
    server = fakeServer({
      'GET models/nobody/rollout': [
        404,
        { error: 'NotFound', message: "No model named 'nobody'", details: null }
      ]
    });
    await render(
      <RolloutSection client={client} trans={trans} name="nobody" />
    );
    await waitFor(
      () =>
        (widget!.node.textContent ?? '').includes("No model named 'nobody'"),
      'the error'
    );
  });

  it("sits in the Models panel beside a model's versions", async () => {
    server = fakeServer({
      'GET models/admissions/versions': { versions: [], next_cursor: null },
      'GET models/admissions/rollout': shadow
    });
    await render(
      <ModelsPanel
        client={client}
        trans={trans}
        actions={{} as never}
        navigation={{ tab: 'models', model: 'admissions', serial: 1 }}
      />
    );
    await waitFor(
      () => find('workbench-rollout-arms') !== null,
      'the rollout in the panel'
    );
    expect(texts('[data-testid="workbench-rollout-comparisons"] li')[0]).toBe(
      'agreement of decisions: 90.00% (95% 69.90% … 97.21%): more than noise'
    );
    expect(find('workbench-rollout-commands')!.textContent).toBe(
      'End it with workbench rollout stop admissions; promote the challenger with workbench models promote.'
    );
  });
});
