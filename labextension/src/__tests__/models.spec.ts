/**
 * State logic of the Models panel: version chips and the detail view's pieces.
 */
import { nullTranslator } from '@jupyterlab/translation';

import {
  buttonState,
  driftSummary,
  fairnessRows,
  hasDriftReport,
  metricRows,
  promotableAliases,
  topFeatures,
  versionChips
} from '../components/models/models';
import { IVersionSummary } from '../tokens';
import { reviewState } from './samples';

const trans = nullTranslator.load('workbench');

const row: IVersionSummary = {
  name: 'admissions',
  version: 2,
  ref: 'admissions:2',
  author: 'ana@example.org',
  created_at: '2026-01-02T03:04:05Z',
  aliases: [],
  checks_total: 0,
  checks_failed: 0,
  approvals: 0,
  approvals_required: 2,
  rejected: false,
  promotable: false
};

describe('versionChips', () => {
  it('says when checks have not run and counts approvals', () => {
    expect(versionChips(row, trans).map(c => [c.label, c.kind])).toEqual([
      ['checks not run', 'neutral'],
      ['approvals 0/2', 'warn']
    ]);
  });

  it('shows failures, enough approvals, a rejection and aliases', () => {
    const chips = versionChips(
      {
        ...row,
        checks_total: 4,
        checks_failed: 1,
        approvals: 2,
        rejected: true,
        aliases: ['production']
      },
      trans
    );
    expect(chips.map(c => [c.label, c.kind])).toEqual([
      ['1/4 checks fail', 'error'],
      ['approvals 2/2', 'ok'],
      ['rejected', 'error'],
      ['@production', 'info']
    ]);
  });

  it('has no approvals chip without a policy', () => {
    const chips = versionChips(
      { ...row, checks_total: 3, approvals_required: null },
      trans
    );
    expect(chips.map(c => c.label)).toEqual(['checks pass']);
  });
});

describe('buttonState', () => {
  it('is enabled without a reason when allowed', () => {
    expect(buttonState({ allowed: true, reason: '' })).toEqual({
      disabled: false,
      reason: ''
    });
  });

  it('is disabled with the server reason otherwise', () => {
    expect(
      buttonState({ allowed: false, reason: 'needs 1 approvals' })
    ).toEqual({
      disabled: true,
      reason: 'needs 1 approvals'
    });
    expect(buttonState(undefined).disabled).toBe(true);
  });
});

describe('the version detail', () => {
  it('offers the aliases the policy protects', () => {
    expect(promotableAliases(reviewState)).toEqual(['production', 'candidate']);
    expect(promotableAliases({ ...reviewState, policy: null })).toEqual([
      'production'
    ]);
  });

  it('lists numeric metrics only', () => {
    expect(metricRows(reviewState).map(r => r.label)).toEqual([
      'auc',
      'accuracy',
      'n_valid'
    ]);
    expect(metricRows(reviewState)[2].value).toBe('300');
  });

  it('scales feature bars to the largest importance', () => {
    const features = topFeatures(reviewState);
    expect(features.map(f => f.feature)).toEqual([
      'gpa',
      'test_score',
      'course_difficulty'
    ]);
    expect(features[0].share).toBe(1);
    expect(features[1].share).toBeCloseTo(
      features[1].importance / features[0].importance
    );
  });

  it('summarises drift with the drifted columns', () => {
    expect(driftSummary(reviewState)).toMatchObject({
      drifted: 1,
      columns: 7,
      datasetDrift: false,
      driftedColumns: ['test_score']
    });
    const noDrift = {
      ...reviewState,
      version: { ...reviewState.version, drift: {} }
    };
    expect(driftSummary(noDrift)).toBeNull();
  });

  it('lists fairness differences per attribute', () => {
    expect(fairnessRows(reviewState).map(r => r.label)).toEqual([
      'gender: demographic_parity_difference',
      'gender: demographic_parity_ratio',
      'gender: equalized_odds_difference'
    ]);
  });

  it('knows whether there is a drift report', () => {
    expect(hasDriftReport(reviewState)).toBe(true);
    const without = {
      ...reviewState,
      version: { ...reviewState.version, artifacts: {} }
    };
    expect(hasDriftReport(without)).toBe(false);
  });
});
