/**
 * Browser tests: a real JupyterLab with the workbench extension, in Debian's
 * headless Chromium (never a downloaded browser). `fixture/serve.py` prepares a
 * fresh workbench project and starts JupyterLab on a free loopback port with two
 * people's tokens; screenshots go to docs/images/ (jupyterlab-*.png), traces of
 * failures to ui-tests/test-results/.
 */
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as path from 'path';

const repo = path.resolve(__dirname, '..', '..');
const python =
  process.env.WORKBENCH_E2E_PYTHON ?? path.join(repo, '.venv', 'bin', 'python');

// The config is read again in each worker: values made here once travel in the environment.
if (!process.env.WORKBENCH_E2E_PORT) {
  process.env.WORKBENCH_E2E_PORT = execFileSync(python, [
    '-c',
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  ])
    .toString()
    .trim();
}
process.env.WORKBENCH_E2E_ANALYST_TOKEN ??= randomBytes(16).toString('hex');
process.env.WORKBENCH_E2E_REVIEWER_TOKEN ??= randomBytes(16).toString('hex');
const port = process.env.WORKBENCH_E2E_PORT;

export default defineConfig({
  testDir: './tests',
  outputDir: path.join(__dirname, 'test-results'),
  timeout: 150_000,
  expect: { timeout: 20_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 860 },
    launchOptions: {
      executablePath: process.env.WORKBENCH_E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure'
  },
  webServer: {
    command: `"${python}" fixture/serve.py`,
    cwd: __dirname,
    url: `http://127.0.0.1:${port}/api`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 }
  }
});
