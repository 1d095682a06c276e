/**
 * The REST client: URLs, JSON bodies, and every failure as a WorkbenchApiError.
 */
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI, WorkbenchApiError } from '../request';

interface IFakeResponse {
  ok: boolean;
  status: number;
  statusText: string;
  text: () => Promise<string>;
}

function fakeResponse(
  status: number,
  body: string,
  statusText = ''
): IFakeResponse {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    text: () => Promise.resolve(body)
  };
}

/**
 * The WorkbenchApiError a call fails with (and fail the test if it succeeds).
 */
async function failure(call: Promise<unknown>): Promise<WorkbenchApiError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchApiError);
    return error as WorkbenchApiError;
  }
  throw new Error('expected the call to fail');
}

const settings = ServerConnection.makeSettings({
  baseUrl: 'http://localhost:8888/lab-base/'
});

describe('requestAPI', () => {
  let makeRequest: jest.SpyInstance;

  beforeEach(() => {
    makeRequest = jest.spyOn(ServerConnection, 'makeRequest');
  });

  afterEach(() => {
    makeRequest.mockRestore();
  });

  function answer(response: IFakeResponse): void {
    makeRequest.mockResolvedValue(response as unknown as Response);
  }

  it('calls /workbench/api/<endpoint> below the base URL and parses JSON', async () => {
    answer(fakeResponse(200, '{"version": "0.1.0"}'));

    const data = await requestAPI<{ version: string }>('health', {}, settings);

    expect(data).toEqual({ version: '0.1.0' });
    expect(makeRequest).toHaveBeenCalledTimes(1);
    const [url, init, used] = makeRequest.mock.calls[0];
    expect(url).toBe('http://localhost:8888/lab-base/workbench/api/health');
    expect(init).toEqual({});
    expect(used).toBe(settings);
  });

  it('uses the page settings when none are given', async () => {
    answer(fakeResponse(200, '{}'));

    await requestAPI('health');

    const [url, , used] = makeRequest.mock.calls[0];
    expect(url).toMatch(/\/workbench\/api\/health$/);
    expect(used.baseUrl).toBe(ServerConnection.makeSettings().baseUrl);
  });

  it('sends a body as JSON', async () => {
    answer(fakeResponse(200, '{"ok": true}'));

    await requestAPI(
      'models',
      { method: 'POST', body: JSON.stringify({ name: 'm' }) },
      settings
    );

    const init: RequestInit = makeRequest.mock.calls[0][1];
    expect(init.method).toBe('POST');
    expect(new Headers(init.headers).get('Content-Type')).toBe(
      'application/json'
    );
  });

  it('returns null for an empty body', async () => {
    answer(fakeResponse(204, ''));

    await expect(requestAPI('thing', {}, settings)).resolves.toBeNull();
  });

  it('throws the server error body as a WorkbenchApiError', async () => {
    answer(
      fakeResponse(
        409,
        JSON.stringify({
          error: 'PromotionBlocked',
          message: 'Two approvals are missing.',
          details: ['approvals 0/2']
        }),
        'Conflict'
      )
    );

    const error = await failure(requestAPI('promote', {}, settings));

    expect(error.status).toBe(409);
    expect(error.error).toBe('PromotionBlocked');
    expect(error.message).toBe('Two approvals are missing.');
    expect(error.details).toEqual(['approvals 0/2']);
  });

  it('turns a non-JSON error page into a WorkbenchApiError', async () => {
    answer(fakeResponse(502, '<html>Bad gateway</html>', 'Bad Gateway'));

    const error = await failure(requestAPI('health', {}, settings));

    expect(error.status).toBe(502);
    expect(error.error).toBe('Bad Gateway');
    expect(error.message).toContain('Bad gateway');
    expect(error.details).toBeNull();
  });

  it('refuses a successful answer that is not JSON', async () => {
    answer(fakeResponse(200, '<html>login</html>'));

    const error = await failure(requestAPI('health', {}, settings));

    expect(error.error).toBe('InvalidResponse');
  });

  it('reports an unreachable server with status 0', async () => {
    makeRequest.mockRejectedValue(new TypeError('Failed to fetch'));

    const error = await failure(requestAPI('health', {}, settings));

    expect(error.status).toBe(0);
    expect(error.error).toBe('NetworkError');
    expect(error.message).toContain('Failed to fetch');
  });
});
