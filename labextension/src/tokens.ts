/**
 * Shared types of the workbench REST API (`/workbench/api/...`).
 *
 * They mirror the schemas of `workbench/server/openapi.yaml` (one interface
 * `I<Schema>` per schema, same fields); `tests/server/test_openapi.py` keeps them
 * in step, and the server tests validate real answers against the same schemas.
 */

export interface IHealthResponse {
  version: string;
  user: string;
  roles: string[];
  project_root: string | null;
  db_backend: string | null;
  hint: string | null;
  identity_source: string | null;
  scheduler: boolean;
}

export interface IErrorBody {
  error: string;
  message: string;
  details: unknown;
}

export interface IVersionSummary {
  name: string;
  version: number;
  ref: string;
  author: string;
  created_at: string;
  aliases: string[];
  checks_total: number;
  checks_failed: number;
  approvals: number;
  approvals_required: number | null;
  rejected: boolean;
  promotable: boolean;
}

export interface IRunStarted {
  id: string;
  kind: 'run' | 'job';
  stage: string | null;
  pid: number;
  started_at: string;
}

export interface ILaunchInfo {
  id: string;
  kind: string;
  pid: number;
  started_at: string;
  running: boolean;
  returncode: number | null;
  cancel_requested: boolean;
  recorded: boolean;
  log_tail: string;
}

export interface IReportResponse {
  ref: string;
  path: string;
  lab_path: string | null;
  download_url: string;
}

export interface ILogResponse {
  id: string;
  text: string;
  truncated: boolean;
  path: string | null;
}

export interface IDecisionRequest {
  decision: 'approve' | 'reject';
  comment?: string;
}

export interface IPromoteRequest {
  version: number;
  reason?: string;
}

export interface IReportRequest {
  path?: string;
}

export interface IPromotionRequest {
  notebook: string;
  stage?: string | null;
  deps?: string[];
  outs?: string[];
  metrics?: string[];
  plots?: string[];
  force?: boolean;
  dry_run?: boolean;
  params?: { [key: string]: unknown };
}

export interface IScheduleRequest {
  stage: string;
  cron: string;
  tz?: string;
  mode?: 'run' | 'repro';
}

export interface ISchedulePatch {
  paused: boolean;
}

export interface IStatusPatch {
  status: 'cancelled';
}

export interface IModelSummary {
  name: string;
  latest_version: number;
  versions: number;
  aliases: { [key: string]: number };
  created_at: string;
}

export interface IModelList {
  models: IModelSummary[];
}

export interface IVersionList {
  versions: IVersionSummary[];
  /** Send back as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

export interface ICheckRecord {
  check: string;
  status: 'pass' | 'fail' | 'error';
  observed: unknown;
  limit: unknown;
  required: boolean;
  message: string;
  evidence: string | null;
  policy_hash: string;
  evaluated_at: string;
}

export interface IDecisionRecord {
  actor: string;
  roles: string[];
  decision: 'approve' | 'reject';
  comment: string;
  policy_hash: string;
  time: string;
}

export interface IModelVersion {
  name: string;
  version: number;
  ref: string;
  author: string;
  created_at: string;
  task: string;
  description: string;
  intended_use: string;
  artifacts: { [key: string]: unknown };
  contract: { [key: string]: unknown };
  lineage: { [key: string]: unknown };
  metrics: { [key: string]: unknown };
  explanation: { [key: string]: unknown };
  drift: { [key: string]: unknown };
  fairness: { [key: string]: unknown };
  retrain_recommended: boolean;
  aliases: string[];
  checks: ICheckRecord[];
  decisions: IDecisionRecord[];
}

export interface IGateStatus {
  ref: string;
  alias: string;
  policy: string;
  policy_hash: string;
  approvals: number;
  approvals_required: number;
  allowed: boolean;
  unmet: string[];
  /** Not blocking: e.g. the policy file differs from the adopted revision the gate applies. */
  notes: string[];
}

export interface IActionState {
  allowed: boolean;
  reason: string;
}

export interface IReviewActions {
  approve: IActionState;
  reject: IActionState;
  promote: IActionState;
}

export interface IReviewState {
  version: IModelVersion;
  alias: string;
  user: string;
  /** declared (open project), key, or kernel: the panel signs in a kernel of the user's own. */
  signing: 'declared' | 'key' | 'kernel';
  policy: { [key: string]: unknown } | null;
  gate: IGateStatus | null;
  actions: IReviewActions;
  scored_drift: IScoredDrift;
}

/** Drift in scored data: the stored verdicts of the version's scoring jobs. */
export interface IScoredDrift {
  retrain_recommended: boolean;
  latest: IJobDriftVerdict | null;
  recommending: IJobDriftVerdict | null;
}

/** One scoring job's drift verdict (retraining recommended when share > limit). */
export interface IJobDriftVerdict {
  job: string;
  ended_at: string | null;
  n_columns: number;
  n_drifted: number;
  drifted_columns: string[];
  share: number;
  limit: number | null;
  retrain_recommended: boolean;
  text: string;
}

export interface IDecision {
  ref: string;
  actor: string;
  decision: string;
  comment: string;
  policy_hash: string;
}

export interface ICheckResult {
  check: string;
  status: string;
  observed: unknown;
  limit: unknown;
  evidence: string | null;
  required: boolean;
  message: string;
}

export interface ICheckReport {
  ref: string;
  policy: string;
  policy_hash: string;
  passed: boolean;
  results: ICheckResult[];
}

export interface IAliasMove {
  name: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  actor: string;
  time: string;
  reason: string;
}

export interface IAliasHistory {
  history: IAliasMove[];
}

export interface IStageStatus {
  state: 'up-to-date' | 'changed' | 'unknown';
  changes: string[];
  message: string;
}

export interface IStage {
  name: string;
  cmd: string;
  notebook: string | null;
  notebook_lab_path: string | null;
  deps: string[];
  outs: string[];
  params: string[];
  metrics: string[];
  plots: string[];
  status: IStageStatus;
}

export interface IStageList {
  stages: IStage[];
}

export interface ICellTiming {
  index: number | null;
  duration_s: number;
  status: string;
}

export interface IRunRecord {
  id: string;
  stage: string | null;
  notebook: string;
  params: { [key: string]: unknown };
  status: 'running' | 'succeeded' | 'failed' | 'timed-out' | 'cancelled';
  actor: string;
  started_at: string;
  ended_at: string | null;
  duration_s: number | null;
  git_commit: string | null;
  git_dirty: boolean | null;
  cells: ICellTiming[];
  error_cell: number | null;
  error_name: string | null;
  error_message: string | null;
  output_path: string | null;
  output_lab_path: string | null;
  output_digest: string | null;
  log_path: string | null;
  pid: number | null;
  host: string | null;
  trigger: string | null;
  timeout_s: number | null;
}

export interface IRunList {
  runs: IRunRecord[];
}

export interface IParamSpec {
  name: string;
  type: 'int' | 'float' | 'bool' | 'str' | 'list' | 'dict' | 'any';
  default: unknown;
  help: string;
}

export interface IStageRunRequest {
  params?: { [key: string]: unknown };
}

export interface IStageParameters {
  stage: string;
  notebook: string;
  parameters: IParamSpec[];
  values: { [key: string]: unknown };
}

export interface IPromotionPlan {
  notebook: string;
  stage: string;
  ok: boolean;
  problems: string[];
  parameters: IParamSpec[];
  values: { [key: string]: unknown };
  cmd: string;
  deps: string[];
  outs: string[];
  metrics: string[];
  plots: string[];
  exists: boolean;
  unchanged: boolean;
}

export interface IPromotionResult {
  notebook: string;
  stage: string;
  ok: boolean;
  problems: string[];
  parameters: IParamSpec[];
  values: { [key: string]: unknown };
  cmd: string;
  deps: string[];
  outs: string[];
  metrics: string[];
  plots: string[];
  exists: boolean;
  unchanged: boolean;
  changed: boolean;
  added_params: string[];
  removed_params: string[];
}

export interface ISchedule {
  id: number;
  stage: string;
  cron: string;
  tz: string;
  mode: 'run' | 'repro';
  paused: boolean;
  created_by: string;
  created_at: string;
  last_slot: string | null;
  next_slot: string | null;
}

export interface IScheduleList {
  schedules: ISchedule[];
}

export interface IJobRequest {
  model: string;
  input: string;
  output: string;
  device?: string;
  engine?: 'local' | 'dask';
  explain?: 'none' | 'approx' | 'exact';
  top_k?: number;
  overwrite?: boolean;
  /** Input columns carried through to the output beside the keys. */
  keep?: string[];
}

export interface IJob {
  id: string;
  kind: string;
  model: string;
  version: number;
  ref: string;
  model_ref: string;
  input: string;
  output: string;
  device: string | null;
  engine: string;
  options: { [key: string]: unknown };
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  rows_done: number;
  rows_total: number | null;
  actor: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  heartbeat_at: string | null;
  error: string | null;
  error_type: string | null;
  error_details: unknown;
  pid: number | null;
  host: string | null;
  cancel_requested: boolean;
  stats: { [key: string]: unknown };
  drift: { [key: string]: unknown };
  log_path: string | null;
}

export interface IJobList {
  jobs: IJob[];
}

export interface IReviewDecisionRequest {
  decision: 'accept' | 'decline';
  comment?: string;
}

export interface IReviewItem {
  id: number;
  job_id: string;
  model: string | null;
  version: number | null;
  row_key: string;
  row_index: number | null;
  score: number;
  leaning: string;
  reasons: { [key: string]: unknown }[];
  rule: string | null;
  /** `superseded`: a later job of the same version scored the same row; its item is the open one. */
  status: 'open' | 'decided' | 'superseded';
  decision: string | null;
  comment: string | null;
  decided_by: string | null;
  decided_at: string | null;
  override: boolean | null;
  created_at: string | null;
  /** Why the row went to review beyond its score, e.g. `{outside_training_range: [{column, value, why, min, max}]}`. */
  detail?: { [key: string]: unknown } | null;
}

export interface IReviewItemList {
  items: IReviewItem[];
  /** Send back as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
  /** Every item the filters select, on all pages. */
  total: number;
}

export interface IAuditEvent {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string;
  payload: { [key: string]: unknown };
  prev_hash: string;
  hash: string;
}

export interface IAuditEventList {
  events: IAuditEvent[];
}

export interface IChainReport {
  ok: boolean;
  count: number;
  head_hash: string;
  head_seq: number;
  broken_at: number | null;
  problem: 'edited' | 'deleted' | 'inserted' | 'truncated' | null;
  message: string;
  warnings: string[];
}

export interface IChartSpecs {
  mime_type: string;
  score_distribution: { [key: string]: unknown } | null;
  metric_trend: { [key: string]: unknown };
  drift_per_column: { [key: string]: unknown } | null;
}

export interface IVersionMetrics {
  version: number;
  metrics: { [key: string]: number };
}

export interface IModelMetrics {
  name: string;
  key_metric: string | null;
  versions: IVersionMetrics[];
}

/**
 * One version's monitoring figures over a window (the monitoring report's row).
 */
export interface IMonitoringWindow {
  version: number;
  window: string;
  start: string | null;
  end: string | null;
  jobs: number;
  rows: number;
  automated: number;
  automation_rate: number | null;
  review_rate: number | null;
  reviewed: number;
  overrides: number;
  override_rate: number | null;
  outcomes: number;
  outcome_coverage: number | null;
  auc: number | null;
  brier: number | null;
  calibration_error: number | null;
  automated_accuracy: number | null;
  fairness_gap: number | null;
  drift_share: number | null;
  drifted_columns: string[];
  rows_per_second: number | null;
  p50_batch_latency_ms: number | null;
  p95_batch_latency_ms: number | null;
  p99_batch_latency_ms: number | null;
  cpu_seconds_per_1k: number | null;
  cost_per_1k: number | null;
  staff_hours_saved: number | null;
  reliability: { [key: string]: unknown }[];
  fairness: { [key: string]: unknown };
  job_ids: string[];
}

export type SloState = 'met' | 'breached' | 'no_data';

/**
 * One service-level objective on one version over the window.
 */
export interface ISloStatus {
  model: string;
  version: number;
  objective: string;
  metric: string;
  op: '>=' | '<=';
  target: number;
  status: SloState;
  observed: number | null;
  window: string;
  start: string | null;
  end: string | null;
  evidence: { [key: string]: unknown };
  kind: 'accuracy' | 'fairness' | 'service';
}

/**
 * GET models/{name}/monitoring: the report's rows and the SLOs on them.
 */
export interface IModelMonitoring {
  model: string;
  window: string;
  generated_at: string;
  policy: string | null;
  breached: number;
  rows: IMonitoringWindow[];
  slos: ISloStatus[];
}

export interface IFileList {
  files: string[];
  truncated: boolean;
}

export interface IReviewRow {
  item: number;
  row_index: number;
  keys: { [key: string]: unknown };
  features: { [key: string]: unknown };
  other: { [key: string]: unknown };
}
