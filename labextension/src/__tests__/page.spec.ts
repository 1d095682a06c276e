/**
 * The model page's state logic: sections read from the review state, and the
 * comparison of two versions.
 */
import { modelReferences, outputFor } from '../components/jobs/jobs';
import {
  keyMetricLabel,
  matchesModel,
  matchesVersion
} from '../components/models/models';
import {
  artifactMatch,
  artifacts,
  fairnessGroups,
  lineageRows,
  metricDiff,
  shapDiff
} from '../page/page';
import { IModelVersion } from '../tokens';
import { reviewState } from './samples';
import { nullTranslator } from '@jupyterlab/translation';

const trans = nullTranslator.load('workbench');
const v1 = reviewState.version;

function variant(changes: Partial<IModelVersion>): IModelVersion {
  return { ...v1, version: 2, ...changes };
}

describe('the model page', () => {
  it('lists the artifacts with how each is shown in place', () => {
    expect(artifacts(v1).map(a => [a.key, a.view])).toEqual([
      ['contract', 'json'],
      ['drift_report', 'html'],
      ['model', 'download']
    ]);
  });

  it('reads fairness per group', () => {
    expect(fairnessGroups(v1)[0]).toEqual({
      attribute: 'gender',
      group: 'F',
      count: 167,
      selectionRate: 0.2994011976047904,
      tpr: 0.6545454545454545,
      fpr: 0.125
    });
  });

  it('says when a version is not from a git commit', () => {
    expect(lineageRows(v1)[0]).toEqual({
      label: 'commit',
      value: '– (not in a git commit)'
    });
  });

  it('compares metrics and SHAP, largest SHAP change first', () => {
    const v2 = variant({
      metrics: { ...v1.metrics, auc: 0.9 },
      explanation: {
        global: [
          { feature: 'gpa', mean_abs_shap: 0.1 },
          { feature: 'test_score', mean_abs_shap: 0.5 }
        ]
      }
    });
    const auc = metricDiff(v1, v2).find(row => row.label === 'auc')!;
    expect(auc.left).toBe(0.8547);
    expect(auc.right).toBe(0.9);
    expect(auc.delta).toBeCloseTo(0.0453);
    const shap = shapDiff(v1, v2);
    expect(shap[0].delta).not.toBeNull();
    expect(Math.abs(shap[0].delta!)).toBeGreaterThanOrEqual(
      Math.abs(shap[1].delta ?? 0)
    );
  });

  it('knows whether two versions have identical artifacts', () => {
    expect(artifactMatch(v1, variant({})).identical).toBe(true);
    const changed = variant({
      artifacts: {
        ...v1.artifacts,
        model: { digest: 'ff', size: 1, name: 'model.ubj', media_type: '' }
      }
    });
    const match = artifactMatch(v1, changed);
    expect(match.identical).toBe(false);
    expect(match.rows.filter(r => !r.same).map(r => r.key)).toEqual(['model']);
  });
});

describe('the Models list', () => {
  const metrics = {
    name: 'admissions',
    key_metric: 'auc',
    versions: [{ version: 1, metrics: { auc: 0.8547 } }]
  };

  it('shows the key metric of a version row', () => {
    expect(keyMetricLabel(metrics, 1)).toBe('auc 0.8547');
    expect(keyMetricLabel(metrics, 2)).toBeNull();
    expect(keyMetricLabel({ ...metrics, key_metric: null }, 1)).toBeNull();
  });

  it('filters models and versions by every word', () => {
    const model = {
      name: 'admissions',
      latest_version: 2,
      versions: 2,
      aliases: { production: 1 },
      created_at: ''
    };
    expect(matchesModel(model, 'adm @prod')).toBe(true);
    expect(matchesModel(model, 'tickets')).toBe(false);
    const row = {
      name: 'admissions',
      version: 12,
      ref: 'admissions:12',
      author: 'ana@example.org',
      created_at: '',
      aliases: [],
      checks_total: 1,
      checks_failed: 0,
      approvals: 0,
      approvals_required: 1,
      rejected: true,
      promotable: false
    };
    expect(matchesVersion(row, 'v12 rejected', trans)).toBe(true);
    expect(matchesVersion(row, 'v1', trans)).toBe(false);
    expect(matchesVersion(row, 'ana', trans)).toBe(true);
  });
});

describe('the job form', () => {
  it('offers aliases, then latest versions, and an output beside scores/', () => {
    expect(
      modelReferences([
        {
          name: 'admissions',
          latest_version: 3,
          versions: 3,
          aliases: { production: 2 },
          created_at: ''
        }
      ])
    ).toEqual(['admissions@production', 'admissions:3']);
    expect(outputFor('data/new/applicants.parquet')).toBe(
      'scores/applicants.parquet'
    );
  });
});
