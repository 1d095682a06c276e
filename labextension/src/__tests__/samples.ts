/**
 * Answers of the workbench API used across the tests (shapes of openapi.yaml).
 */
import { IJob, IReviewItem, IReviewState, IRunRecord } from '../tokens';

export const reviewState: IReviewState = {
  version: {
    name: 'admissions',
    version: 1,
    author: 'analyst@example.org',
    created_at: '2026-01-02T03:04:05.000000Z',
    task: 'classification',
    description: 'Admissions triage',
    intended_use: '',
    artifacts: {
      model: {
        digest:
          '1a4f594775038c9946673313a8d7902969e4bf4218a7b4d18257db8ded84172f',
        size: 18098,
        name: 'model.ubj',
        media_type: 'application/ubjson'
      },
      contract: {
        digest:
          '5c7fa2d4c02f6038957b95efa106228090dd45adeb08b67bed9f6b8ac76a94b8',
        size: 1534,
        name: 'contract.json',
        media_type: 'application/json'
      },
      drift_report: {
        digest:
          'abababababababababababababababababababababababababababababababab',
        size: 10,
        name: 'drift_report.html',
        media_type: 'text/html'
      }
    },
    contract: {
      format_version: 1,
      columns: []
    },
    lineage: {},
    metrics: {
      auc: 0.8547,
      accuracy: 0.77,
      n_valid: 300,
      calibration: [
        {
          bin: '0.0-0.1',
          count: 100,
          mean_predicted: 0.05291105953976512,
          observed_rate: 0.01
        },
        {
          bin: '0.1-0.2',
          count: 37,
          mean_predicted: 0.144770118433076,
          observed_rate: 0.2702702702702703
        },
        {
          bin: '0.2-0.3',
          count: 36,
          mean_predicted: 0.244572837319639,
          observed_rate: 0.3055555555555556
        },
        {
          bin: '0.3-0.4',
          count: 21,
          mean_predicted: 0.3375233355022612,
          observed_rate: 0.38095238095238093
        },
        {
          bin: '0.4-0.5',
          count: 17,
          mean_predicted: 0.4516076691010419,
          observed_rate: 0.5882352941176471
        },
        {
          bin: '0.5-0.6',
          count: 24,
          mean_predicted: 0.5519986102978388,
          observed_rate: 0.4583333333333333
        },
        {
          bin: '0.6-0.7',
          count: 14,
          mean_predicted: 0.6495490797928402,
          observed_rate: 0.6428571428571429
        },
        {
          bin: '0.7-0.8',
          count: 18,
          mean_predicted: 0.7401026023758782,
          observed_rate: 0.7777777777777778
        },
        {
          bin: '0.8-0.9',
          count: 17,
          mean_predicted: 0.8526120887083166,
          observed_rate: 0.7647058823529411
        },
        {
          bin: '0.9-1.0',
          count: 16,
          mean_predicted: 0.9357235170900822,
          observed_rate: 0.8125
        }
      ]
    },
    explanation: {
      method: 'exact',
      global: [
        {
          feature: 'gpa',
          mean_abs_shap: 0.8241830578283407,
          mean_shap: -0.17269178004236893,
          rank: 1
        },
        {
          feature: 'test_score',
          mean_abs_shap: 0.41226712883100847,
          mean_shap: -0.012764749849447981,
          rank: 2
        },
        {
          feature: 'course_difficulty',
          mean_abs_shap: 0.33766601510345934,
          mean_shap: -0.06212703805416822,
          rank: 3
        }
      ]
    },
    drift: {
      summary: {
        n_columns: 7,
        n_drifted: 1,
        drift_share: 0.14285714285714285,
        share_threshold: 0.5,
        dataset_drift: false,
        skipped: {}
      },
      columns: [
        {
          column: 'gpa',
          column_type: 'num',
          stattest: 'wasserstein',
          stattest_display: 'Wasserstein distance (normed)',
          score_kind: 'distance',
          threshold: 0.1,
          score: 0.04588535062566087,
          drifted: false,
          n_reference: 1200,
          n_current: 300,
          n_unique: null
        },
        {
          column: 'test_score',
          column_type: 'num',
          stattest: 'wasserstein',
          stattest_display: 'Wasserstein distance (normed)',
          score_kind: 'distance',
          threshold: 0.1,
          score: 0.08791042027768341,
          drifted: true,
          n_reference: 1105,
          n_current: 276,
          n_unique: null
        },
        {
          column: 'course_difficulty',
          column_type: 'num',
          stattest: 'wasserstein',
          stattest_display: 'Wasserstein distance (normed)',
          score_kind: 'distance',
          threshold: 0.1,
          score: 0.05175057260892838,
          drifted: false,
          n_reference: 1200,
          n_current: 300,
          n_unique: null
        }
      ]
    },
    fairness: {
      gender: {
        column: 'gender',
        groups: [
          {
            group: 'F',
            count: 167,
            positives: 55,
            negatives: 112,
            selection_rate: 0.2994011976047904,
            tpr: 0.6545454545454545,
            fpr: 0.125
          }
        ],
        demographic_parity_difference: 0.11544715447154474,
        demographic_parity_ratio: 0.7113821138211381,
        equalized_odds_difference: 0.23780487804878048,
        notes: []
      }
    },
    retrain_recommended: false,
    aliases: [],
    checks: [
      {
        check: 'metric: auc >= 0.6',
        status: 'pass',
        observed: 0.8547,
        limit: 'auc >= 0.6',
        required: true,
        message: 'auc = 0.8547 (meets auc >= 0.6)',
        evidence: 'metrics@78ab658b446c',
        policy_hash:
          'e6c9c9d3f4a495119db818ef5f771f5fed12fdf16ec46177ff0fbeea2b7a5d30',
        evaluated_at: '2026-01-02T03:04:05Z'
      },
      {
        check: 'fairness: gender demographic_parity_difference <= 0.9',
        status: 'pass',
        observed: 0.11544715447154474,
        limit: 0.9,
        required: true,
        message:
          'gender: demographic_parity_difference = 0.1154 (limit <= 0.9)',
        evidence: 'fairness@7ca90e8d8c69',
        policy_hash:
          'e6c9c9d3f4a495119db818ef5f771f5fed12fdf16ec46177ff0fbeea2b7a5d30',
        evaluated_at: '2026-01-02T03:04:05Z'
      }
    ],
    decisions: [],
    ref: 'admissions:1'
  },
  alias: 'production',
  user: 'reviewer-a',
  signing: 'declared',
  policy: {
    path: 'pipelines/admissions/policy.yaml',
    name: 'admissions',
    protects: ['production', 'candidate'],
    approvals_required: 2
  },
  gate: {
    ref: 'admissions:1',
    alias: 'production',
    policy: 'pipelines/admissions/policy.yaml',
    policy_hash:
      'e6c9c9d3f4a495119db818ef5f771f5fed12fdf16ec46177ff0fbeea2b7a5d30',
    approvals: 0,
    approvals_required: 2,
    allowed: false,
    unmet: ['needs 2 approvals from allowed approvers, has 0'],
    notes: []
  },
  actions: {
    approve: {
      allowed: true,
      reason: ''
    },
    reject: {
      allowed: true,
      reason: ''
    },
    promote: {
      allowed: false,
      reason: 'needs 2 approvals from allowed approvers, has 0'
    }
  },
  scored_drift: {
    retrain_recommended: false,
    latest: null,
    recommending: null
  }
};

export const run: IRunRecord = {
  id: 'ab'.repeat(16),
  stage: 'train',
  notebook: 'notebooks/train.ipynb',
  params: {},
  status: 'succeeded',
  actor: 'ana@example.org',
  started_at: '2026-01-02T03:04:05Z',
  ended_at: '2026-01-02T03:04:15Z',
  duration_s: 10,
  git_commit: null,
  git_dirty: null,
  cells: [],
  error_cell: null,
  error_name: null,
  error_message: null,
  output_path: 'runs/train/train.ipynb',
  output_lab_path: 'runs/train/train.ipynb',
  output_digest: null,
  log_path: null,
  pid: 1,
  host: 'h',
  trigger: 'jupyterlab',
  timeout_s: null
};

export const job: IJob = {
  id: 'cd'.repeat(16),
  kind: 'score',
  model: 'admissions',
  version: 1,
  ref: 'admissions@production',
  model_ref: 'admissions:1',
  input: 'in',
  output: 'out',
  device: 'cpu',
  engine: 'local',
  options: {},
  status: 'running',
  rows_done: 250,
  rows_total: 1000,
  actor: 'ana@example.org',
  created_at: '2026-01-02T03:04:05Z',
  started_at: '2026-01-02T03:04:06Z',
  ended_at: null,
  heartbeat_at: null,
  error: null,
  error_type: null,
  error_details: null,
  pid: 2,
  host: 'h',
  cancel_requested: false,
  stats: {},
  drift: {},
  log_path: null
};

export function item(id: number, leaning = 'accept'): IReviewItem {
  return {
    id,
    job_id: 'j',
    model: 'admissions',
    version: 1,
    row_key: `A-${id}`,
    row_index: id,
    score: 0.55,
    leaning,
    reasons: [
      { feature: 'gpa', contribution: 0.42 },
      { feature: 'essay_score', contribution: -0.1 }
    ],
    rule: null,
    status: 'open',
    decision: null,
    comment: null,
    decided_by: null,
    decided_at: null,
    override: null,
    created_at: null,
    detail: null
  };
}
