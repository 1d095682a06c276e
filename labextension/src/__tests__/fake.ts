/**
 * A fake workbench server for the tests: answers ServerConnection.makeRequest by
 * "METHOD path" (below /workbench/api/, without the query) and records the calls.
 */
import { ServerConnection } from '@jupyterlab/services';

export interface ICall {
  method: string;
  path: string;
  query: string;
  body: unknown;
}

export type Handler = (call: ICall) => [number, unknown] | unknown;

export function jsonResponse(status: number, body: unknown): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    text: () => Promise.resolve(body === undefined ? '' : JSON.stringify(body))
  } as unknown as Response;
}

/**
 * Route requests to `routes` (a value is answered with 200; a function may return
 * `[status, body]`). Unknown routes answer 404 with an ErrorBody.
 */
export function fakeServer(routes: Record<string, unknown>): {
  spy: jest.SpyInstance;
  calls: ICall[];
} {
  const calls: ICall[] = [];
  const spy = jest
    .spyOn(ServerConnection, 'makeRequest')
    .mockImplementation(async (url: string, init: RequestInit = {}) => {
      const [, rest] = url.split('/workbench/api/');
      const [path, query = ''] = rest.split('?');
      const method = (init.method ?? 'GET').toUpperCase();
      const call: ICall = {
        method,
        path,
        query,
        body: init.body ? JSON.parse(String(init.body)) : undefined
      };
      calls.push(call);
      const route = routes[`${method} ${path}`];
      if (route === undefined) {
        return jsonResponse(404, {
          error: 'NotFound',
          message: `no ${method} ${path}`,
          details: null
        });
      }
      const answer =
        typeof route === 'function' ? (route as Handler)(call) : route;
      if (
        Array.isArray(answer) &&
        answer.length === 2 &&
        typeof answer[0] === 'number'
      ) {
        return jsonResponse(answer[0], answer[1]);
      }
      return jsonResponse(200, answer);
    });
  return { spy, calls };
}

export async function waitFor(
  check: () => boolean,
  what = 'the condition'
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) {
      return;
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
