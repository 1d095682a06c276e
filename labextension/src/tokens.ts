/**
 * Shared types of the workbench REST API (`/workbench/api/...`).
 *
 * `generated/openapi.ts` is generated from `workbench/server/openapi.yaml` by
 * `jlpm gen:types` (run by `jlpm build:lib`); the spec is the only source of these
 * shapes. The names below are the ones the extension uses: `I<Schema>` for each
 * schema of the spec. `tests/server/test_openapi.py` checks that the committed
 * generated file is what the spec generates.
 */

import type { components } from './generated/openapi';

type Schemas = components['schemas'];

export type IHealthResponse = Schemas['HealthResponse'];
export type IErrorBody = Schemas['ErrorBody'];
export type IVersionSummary = Schemas['VersionSummary'];
export type IRunStarted = Schemas['RunStarted'];
export type ILaunchInfo = Schemas['LaunchInfo'];
export type IReportResponse = Schemas['ReportResponse'];
export type ILogResponse = Schemas['LogResponse'];
export type IDecisionRequest = Schemas['DecisionRequest'];
export type IPromoteRequest = Schemas['PromoteRequest'];
export type IReportRequest = Schemas['ReportRequest'];
export type IPromotionRequest = Schemas['PromotionRequest'];
export type IScheduleRequest = Schemas['ScheduleRequest'];
export type ISchedulePatch = Schemas['SchedulePatch'];
export type IStatusPatch = Schemas['StatusPatch'];
export type IModelSummary = Schemas['ModelSummary'];
export type IModelList = Schemas['ModelList'];
export type IVersionList = Schemas['VersionList'];
export type ICheckRecord = Schemas['CheckRecord'];
export type IDecisionRecord = Schemas['DecisionRecord'];
export type IModelVersion = Schemas['ModelVersion'];
export type IGateStatus = Schemas['GateStatus'];
export type IActionState = Schemas['ActionState'];
export type IReviewActions = Schemas['ReviewActions'];
export type IReviewState = Schemas['ReviewState'];
export type IScoredDrift = Schemas['ScoredDrift'];
export type IJobDriftVerdict = Schemas['JobDriftVerdict'];
export type IDecision = Schemas['Decision'];
export type ICheckResult = Schemas['CheckResult'];
export type ICheckReport = Schemas['CheckReport'];
export type IAliasMove = Schemas['AliasMove'];
export type IAliasHistory = Schemas['AliasHistory'];
export type IStageStatus = Schemas['StageStatus'];
export type IStage = Schemas['Stage'];
export type IStageList = Schemas['StageList'];
export type ICellTiming = Schemas['CellTiming'];
export type IRunRecord = Schemas['RunRecord'];
export type IRunList = Schemas['RunList'];
export type IParamSpec = Schemas['ParamSpec'];
export type IStageRunRequest = Schemas['StageRunRequest'];
export type IStageParameters = Schemas['StageParameters'];
export type IPromotionPlan = Schemas['PromotionPlan'];
export type IPromotionResult = Schemas['PromotionResult'];
export type ISchedule = Schemas['Schedule'];
export type IScheduleList = Schemas['ScheduleList'];
export type IJobRequest = Schemas['JobRequest'];
export type IJob = Schemas['Job'];
export type IJobList = Schemas['JobList'];
export type IReviewDecisionRequest = Schemas['ReviewDecisionRequest'];
export type IReviewItem = Schemas['ReviewItem'];
export type IReviewItemList = Schemas['ReviewItemList'];
export type IAuditEvent = Schemas['AuditEvent'];
export type IAuditEventList = Schemas['AuditEventList'];
export type IChainReport = Schemas['ChainReport'];
export type IChartSpecs = Schemas['ChartSpecs'];
export type IVersionMetrics = Schemas['VersionMetrics'];
export type IModelMetrics = Schemas['ModelMetrics'];
export type IMonitoringWindow = Schemas['MonitoringWindow'];
export type ISloStatus = Schemas['SloStatus'];
export type IModelMonitoring = Schemas['ModelMonitoring'];
export type IRetrainRecommendation = Schemas['RetrainRecommendation'];
export type IFileList = Schemas['FileList'];
export type IReviewRow = Schemas['ReviewRow'];
export type IModelRollout = Schemas['ModelRollout'];
export type IRolloutPlan = Schemas['RolloutPlan'];
export type IRolloutGuard = Schemas['RolloutGuard'];
export type IRolloutEvent = Schemas['RolloutEvent'];
export type IRolloutReport = Schemas['RolloutReport'];
export type IRolloutArm = Schemas['RolloutArm'];
export type IRolloutOutcomes = Schemas['RolloutOutcomes'];
export type IProportionDifference = Schemas['ProportionDifference'];

/** The state of one service-level objective. */
export type SloState = ISloStatus['status'];
