/**
 * Shared types of the workbench REST API (`/workbench/api/...`).
 *
 * They mirror the response models in `workbench/server/models.py`; a change
 * there is a change here.
 */

/**
 * `GET /workbench/api/health`: who and where the server extension works.
 *
 * Outside a workbench project `project_root` and `db_backend` are null and
 * `hint` says how to make one.
 */
export interface IHealthResponse {
  version: string;
  user: string;
  roles: string[];
  project_root: string | null;
  db_backend: string | null;
  hint: string | null;
}

/**
 * The JSON body of every error answer. `error` is the server's error class
 * (`NotFound`, `PromotionBlocked`, `Forbidden` ...).
 */
export interface IErrorBody {
  error: string;
  message: string;
  details: unknown;
}
