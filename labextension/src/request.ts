/**
 * The one REST client of the extension: every call to `/workbench/api/...` goes
 * through `requestAPI`, and every failure comes out as a `WorkbenchApiError`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IErrorBody } from './tokens';

/**
 * The API's path below the server's base URL.
 */
export const API_NAMESPACE = 'workbench/api';

/**
 * A failed API call, with the server's `{error, message, details}`.
 *
 * `status` is the HTTP status, or 0 when the server could not be reached.
 */
export class WorkbenchApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly details: unknown = null
  ) {
    super(message);
    this.name = 'WorkbenchApiError';
  }

  /**
   * Build the error from a response's status and parsed body, whatever its shape.
   */
  static fromResponse(
    status: number,
    statusText: string,
    body: unknown
  ): WorkbenchApiError {
    if (isErrorBody(body)) {
      return new WorkbenchApiError(
        status,
        body.error,
        body.message,
        body.details ?? null
      );
    }
    const text = typeof body === 'string' && body.trim() ? body.trim() : '';
    return new WorkbenchApiError(
      status,
      statusText || `HTTP ${status}`,
      text || `The server answered ${status} ${statusText}`.trim()
    );
  }
}

function isErrorBody(body: unknown): body is IErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as IErrorBody).error === 'string' &&
    typeof (body as IErrorBody).message === 'string'
  );
}

function withJsonContentType(init: RequestInit): RequestInit {
  if (init.body === undefined || init.body === null) {
    return init;
  }
  const headers = new Headers(init.headers);
  if (!headers.has('Content-Type')) {
    headers.set('Content-Type', 'application/json');
  }
  return { ...init, headers };
}

/**
 * Call the workbench server extension.
 *
 * @param endpoint Path below `/workbench/api/`, e.g. `health`
 * @param init Fetch options (method, body ...); a body is sent as JSON
 * @param settings The server connection; by default the page's own
 * @returns The response body parsed as JSON (null for an empty body)
 * @throws WorkbenchApiError on a network failure, an error status or a non-JSON answer
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      withJsonContentType(init),
      settings
    );
  } catch (reason) {
    const detail = reason instanceof Error ? reason.message : String(reason);
    throw new WorkbenchApiError(
      0,
      'NetworkError',
      `Cannot reach the Jupyter server (${detail}). Check that it is still running.`
    );
  }

  const text = await response.text();
  let body: unknown = text;
  let isJson = false;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
      isJson = true;
    } catch {
      // Not JSON: a proxy's error page, say. Keep the text for the message.
    }
  }

  if (!response.ok) {
    throw WorkbenchApiError.fromResponse(
      response.status,
      response.statusText,
      body
    );
  }
  if (text.length === 0) {
    return null as T;
  }
  if (!isJson) {
    throw new WorkbenchApiError(
      response.status,
      'InvalidResponse',
      `The server answered ${url} with something other than JSON. Is the workbench server extension enabled?`
    );
  }
  return body as T;
}
