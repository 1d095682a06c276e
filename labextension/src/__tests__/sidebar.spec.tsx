/**
 * The sidebar rendered in a DOM: loading, the health answer, an error, refresh.
 */
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { WorkbenchSidebar } from '../components/WorkbenchSidebar';

function jsonResponse(status: number, body: unknown): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    text: () => Promise.resolve(JSON.stringify(body))
  } as unknown as Response;
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) {
      return;
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  throw new Error('timed out waiting for the sidebar to render');
}

describe('WorkbenchSidebar', () => {
  let makeRequest: jest.SpyInstance;
  let sidebar: WorkbenchSidebar;

  beforeEach(() => {
    makeRequest = jest.spyOn(ServerConnection, 'makeRequest');
    sidebar = new WorkbenchSidebar({ trans: nullTranslator.load('workbench') });
  });

  afterEach(() => {
    sidebar.dispose();
    makeRequest.mockRestore();
  });

  it('shows what the server answers on /health', async () => {
    makeRequest.mockResolvedValue(
      jsonResponse(200, {
        version: '0.1.0',
        user: 'ana@example.org',
        roles: [],
        project_root: '/home/ana/credit',
        db_backend: 'sqlite',
        hint: null
      })
    );

    Widget.attach(sidebar, document.body);
    await waitFor(() => sidebar.node.textContent!.includes('sqlite'));

    const text = sidebar.node.textContent!;
    expect(text).toContain('/home/ana/credit');
    expect(text).toContain('ana@example.org');
    expect(text).not.toContain('Loading');
    expect(makeRequest.mock.calls[0][0]).toMatch(/\/workbench\/api\/health$/);
  });

  it('shows the hint outside a project', async () => {
    makeRequest.mockResolvedValue(
      jsonResponse(200, {
        version: '0.1.0',
        user: 'ana@example.org',
        roles: [],
        project_root: null,
        db_backend: null,
        hint: 'Run `workbench init /home/ana`.'
      })
    );

    Widget.attach(sidebar, document.body);
    await waitFor(() => sidebar.node.querySelector('[role="note"]') !== null);

    expect(sidebar.node.querySelector('[role="note"]')!.textContent).toBe(
      'Run `workbench init /home/ana`.'
    );
  });

  it('shows the error and recovers on refresh', async () => {
    makeRequest.mockResolvedValueOnce(
      jsonResponse(409, {
        error: 'DatabaseCorrupt',
        message: 'Move the file aside.',
        details: null
      })
    );
    Widget.attach(sidebar, document.body);
    await waitFor(() => sidebar.node.querySelector('[role="alert"]') !== null);
    expect(sidebar.node.querySelector('[role="alert"]')!.textContent).toContain(
      'Move the file aside.'
    );

    makeRequest.mockResolvedValueOnce(
      jsonResponse(200, {
        version: '0.1.0',
        user: 'ana@example.org',
        roles: ['approver'],
        project_root: '/p',
        db_backend: 'postgresql',
        hint: null
      })
    );
    const refresh = sidebar.node.querySelector('button')!;
    refresh.click();
    await waitFor(() => sidebar.node.textContent!.includes('postgresql'));

    expect(sidebar.node.querySelector('[role="alert"]')).toBeNull();
    expect(makeRequest).toHaveBeenCalledTimes(2);
  });
});
