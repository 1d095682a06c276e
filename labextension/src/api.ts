/**
 * The workbench REST API as typed functions, one per operation of
 * `workbench/server/openapi.yaml`. Every call goes through `requestAPI`, so every
 * failure is a `WorkbenchApiError` with the server's `{error, message, details}`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_NAMESPACE, requestAPI, WorkbenchApiError } from './request';
import {
  IAliasHistory,
  IAliasMove,
  IAuditEventList,
  IChainReport,
  IChartSpecs,
  ICheckReport,
  IDecision,
  IFileList,
  IHealthResponse,
  IJob,
  IJobList,
  IJobRequest,
  ILaunchInfo,
  ILogResponse,
  IModelList,
  IModelMetrics,
  IModelMonitoring,
  IModelRollout,
  IPromotionPlan,
  IPromotionRequest,
  IPromotionResult,
  IReportResponse,
  IReviewItem,
  IReviewItemList,
  IReviewRow,
  IReviewState,
  IRunList,
  IRunRecord,
  IRunStarted,
  ISchedule,
  IScheduleList,
  IStageList,
  IStageParameters,
  IVersionList
} from './tokens';

/**
 * Query arguments; undefined, null and empty values are left out.
 */
export type Query = Record<string, string | number | undefined | null>;

/**
 * `path?a=1&b=2` with the defined, non-empty arguments, URL-encoded.
 */
export function withQuery(path: string, query: Query = {}): string {
  const parts = Object.entries(query)
    .filter(
      ([, value]) => value !== undefined && value !== null && value !== ''
    )
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`
    );
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

function segment(value: string | number): string {
  return encodeURIComponent(String(value));
}

function versionPath(name: string, version: number): string {
  return `models/${segment(name)}/versions/${segment(version)}`;
}

/**
 * The API client bound to one server connection.
 */
export class WorkbenchClient {
  constructor(readonly settings?: ServerConnection.ISettings) {}

  private get<T>(path: string, query?: Query): Promise<T> {
    return requestAPI<T>(
      withQuery(path, query),
      { method: 'GET' },
      this.settings
    );
  }

  private send<T>(method: string, path: string, body?: unknown): Promise<T> {
    return requestAPI<T>(
      path,
      { method, body: JSON.stringify(body ?? {}) },
      this.settings
    );
  }

  /**
   * An absolute URL of the API (for links the browser opens itself).
   */
  url(path: string, query?: Query): string {
    const baseUrl = (this.settings ?? ServerConnection.makeSettings()).baseUrl;
    return URLExt.join(baseUrl, API_NAMESPACE, withQuery(path, query));
  }

  health(): Promise<IHealthResponse> {
    return this.get('health');
  }

  // --- models and governance --------------------------------------------------

  listModels(): Promise<IModelList> {
    return this.get('models');
  }

  /**
   * A page of the model's versions, newest first; pass the previous page's
   * `next_cursor` as `cursor` for the next one.
   */
  listVersions(
    name: string,
    alias?: string,
    cursor?: string
  ): Promise<IVersionList> {
    return this.get(`models/${segment(name)}/versions`, { alias, cursor });
  }

  reviewState(
    name: string,
    version: number,
    alias?: string
  ): Promise<IReviewState> {
    return this.get(versionPath(name, version), { alias });
  }

  decide(
    name: string,
    version: number,
    decision: 'approve' | 'reject',
    comment = ''
  ): Promise<IDecision> {
    return this.send('POST', `${versionPath(name, version)}/decisions`, {
      decision,
      comment
    });
  }

  runChecks(name: string, version: number): Promise<ICheckReport> {
    return this.send('POST', `${versionPath(name, version)}/checks`);
  }

  promote(
    name: string,
    version: number,
    alias: string,
    reason = ''
  ): Promise<IAliasMove> {
    return this.send(
      'PUT',
      `models/${segment(name)}/aliases/${segment(alias)}`,
      { version, reason }
    );
  }

  aliasHistory(name: string, alias?: string): Promise<IAliasHistory> {
    return this.get(`models/${segment(name)}/alias-history`, { alias });
  }

  driftReportUrl(name: string, version: number, download = false): string {
    return this.url(`${versionPath(name, version)}/drift-report`, {
      download: download ? '1' : undefined
    });
  }

  writeReport(
    name: string,
    version: number,
    path?: string
  ): Promise<IReportResponse> {
    return this.send(
      'POST',
      `${versionPath(name, version)}/reports`,
      path ? { path } : {}
    );
  }

  modelMetrics(name: string): Promise<IModelMetrics> {
    return this.get(`models/${segment(name)}/metrics`);
  }

  /**
   * The model's monitoring over `window`; `charts: false` leaves the charts out
   * (the Models list's badge reads only the statuses).
   */
  monitoring(
    name: string,
    window?: string,
    options: { charts?: boolean } = {}
  ): Promise<IModelMonitoring> {
    return this.get(`models/${segment(name)}/monitoring`, {
      window,
      charts: options.charts === false ? 0 : undefined
    });
  }

  /** The model's shadow or canary (`rollout: null` when its policy declares none). */
  rollout(name: string): Promise<IModelRollout> {
    return this.get(`models/${segment(name)}/rollout`);
  }

  charts(name: string, version: number): Promise<IChartSpecs> {
    return this.get(`${versionPath(name, version)}/charts`);
  }

  artifactUrl(
    name: string,
    version: number,
    artifact: string,
    download = false
  ): string {
    return this.url(
      `${versionPath(name, version)}/artifacts/${segment(artifact)}`,
      { download: download ? '1' : undefined }
    );
  }

  /**
   * A report written into the project (`reports?path=`), for a sandboxed tab.
   */
  reportUrl(path: string): string {
    return this.url('reports', { path });
  }

  listFiles(suffix = '.parquet'): Promise<IFileList> {
    return this.get('files', { suffix });
  }

  /**
   * Fetch a URL of the API with the user's credentials: HTML, an image, a download.
   */
  async fetchRaw(url: string): Promise<Response> {
    const settings = this.settings ?? ServerConnection.makeSettings();
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        { method: 'GET' },
        settings
      );
    } catch (reason) {
      throw new WorkbenchApiError(0, 'NetworkError', String(reason));
    }
    if (!response.ok) {
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      throw WorkbenchApiError.fromResponse(
        response.status,
        response.statusText,
        body
      );
    }
    return response;
  }

  async fetchText(url: string): Promise<string> {
    return (await this.fetchRaw(url)).text();
  }

  // --- pipelines ----------------------------------------------------------------

  listStages(): Promise<IStageList> {
    return this.get('pipelines/stages');
  }

  /**
   * Run a stage through `dvc repro` (which locks it); `params` are written to
   * params.yaml first.
   */
  startRun(
    stage: string,
    params?: { [key: string]: unknown }
  ): Promise<IRunStarted> {
    return this.send(
      'POST',
      `pipelines/stages/${segment(stage)}/runs`,
      params && Object.keys(params).length ? { params } : undefined
    );
  }

  stageParameters(stage: string): Promise<IStageParameters> {
    return this.get(`pipelines/stages/${segment(stage)}/parameters`);
  }

  listRuns(query: Query = {}): Promise<IRunList> {
    return this.get('pipelines/runs', query);
  }

  getLaunch(id: string): Promise<ILaunchInfo> {
    return this.get(`pipelines/launches/${segment(id)}`);
  }

  runNotebookUrl(id: string, format: 'html' | 'ipynb' = 'html'): string {
    return this.url(`pipelines/runs/${segment(id)}/notebook`, { format });
  }

  getRun(id: string): Promise<IRunRecord> {
    return this.get(`pipelines/runs/${segment(id)}`);
  }

  cancelRun(id: string): Promise<IRunRecord> {
    return this.send('PATCH', `pipelines/runs/${segment(id)}`, {
      status: 'cancelled'
    });
  }

  runLog(id: string): Promise<ILogResponse> {
    return this.get(`pipelines/runs/${segment(id)}/log`);
  }

  planPromotion(request: IPromotionRequest): Promise<IPromotionPlan> {
    return this.send('POST', 'pipelines/promotions', {
      ...request,
      dry_run: true
    });
  }

  promoteNotebook(request: IPromotionRequest): Promise<IPromotionResult> {
    return this.send('POST', 'pipelines/promotions', {
      ...request,
      dry_run: false
    });
  }

  listSchedules(): Promise<IScheduleList> {
    return this.get('pipelines/schedules');
  }

  addSchedule(stage: string, cron: string, tz = 'UTC'): Promise<ISchedule> {
    return this.send('POST', 'pipelines/schedules', { stage, cron, tz });
  }

  pauseSchedule(id: number, paused: boolean): Promise<ISchedule> {
    return this.send('PATCH', `pipelines/schedules/${segment(id)}`, {
      paused
    });
  }

  removeSchedule(id: number): Promise<null> {
    return requestAPI<null>(
      `pipelines/schedules/${segment(id)}`,
      { method: 'DELETE' },
      this.settings
    );
  }

  // --- scoring jobs and the review queue ----------------------------------------

  listJobs(query: Query = {}): Promise<IJobList> {
    return this.get('jobs', query);
  }

  getJob(id: string): Promise<IJob> {
    return this.get(`jobs/${segment(id)}`);
  }

  submitJob(request: IJobRequest): Promise<IJob> {
    return this.send('POST', 'jobs', request);
  }

  cancelJob(id: string): Promise<IJob> {
    return this.send('PATCH', `jobs/${segment(id)}`, { status: 'cancelled' });
  }

  jobLog(id: string): Promise<ILogResponse> {
    return this.get(`jobs/${segment(id)}/log`);
  }

  /**
   * A page of the review queue, oldest first; `query.cursor` (a previous
   * page's `next_cursor`) continues after it.
   */
  listReviewItems(query: Query = {}): Promise<IReviewItemList> {
    return this.get('review/items', query);
  }

  decideReviewItem(
    id: number,
    decision: 'accept' | 'decline',
    comment = ''
  ): Promise<IReviewItem> {
    return this.send('POST', `review/items/${segment(id)}/decisions`, {
      decision,
      comment
    });
  }

  reviewRow(id: number): Promise<IReviewRow> {
    return this.get(`review/items/${segment(id)}/row`);
  }

  undoReviewDecision(id: number): Promise<IReviewItem> {
    return this.send('POST', `review/items/${segment(id)}/reversals`);
  }

  // --- audit --------------------------------------------------------------------

  listAuditEvents(query: Query = {}): Promise<IAuditEventList> {
    return this.get('audit/events', query);
  }

  verifyAudit(): Promise<IChainReport> {
    return this.get('audit/verification');
  }
}
