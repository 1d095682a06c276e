/**
 * Signed acts through a kernel of the user's own. In a keyed project the Jupyter
 * server signs nothing on anyone's behalf (its review state says `signing:
 * "kernel"`), so Approve, Reject, Promote and review decisions start a short-lived
 * kernel, which runs as the user with the user's key, and ask
 * `workbench.widgets.kernel_actions` to act. The request travels as a JSON string
 * literal, never as code; the kernel answers one line, parsed here.
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { WorkbenchApiError } from './request';

export const RESULT = 'WORKBENCH-RESULT ';
export const ERROR = 'WORKBENCH-ERROR ';

export type KernelRequest =
  | { verb: 'approve' | 'reject'; ref: string; comment: string }
  | { verb: 'promote'; ref: string; alias: string; reason: string }
  | { verb: 'decide'; item: number; decision: string; comment: string };

/**
 * The one line of Python the kernel runs: the request is a string literal
 * (JSON.stringify of its JSON), which Python reads as the same text.
 */
export function kernelCode(request: KernelRequest): string {
  const literal = JSON.stringify(JSON.stringify(request));
  return `import workbench.widgets.kernel_actions as _k; _k.run(${literal})`;
}

/**
 * The kernel's printed answer as the result, or the error the REST API would have given.
 */
export function parseKernelOutput(output: string): unknown {
  const lines = output.split('\n');
  const error = lines.find(line => line.startsWith(ERROR));
  if (error !== undefined) {
    const body = JSON.parse(error.slice(ERROR.length));
    throw new WorkbenchApiError(
      0,
      String(body.error ?? 'WorkbenchError'),
      String(body.message ?? 'The kernel refused the act.'),
      body.details ?? null
    );
  }
  const result = lines.find(line => line.startsWith(RESULT));
  if (result === undefined) {
    throw new WorkbenchApiError(
      0,
      'KernelError',
      'The kernel gave no answer; is workbench installed in its environment?'
    );
  }
  return JSON.parse(result.slice(RESULT.length));
}

/**
 * Start a kernel, run the act, shut the kernel down; resolves with the act's result.
 */
export async function runInKernel(
  kernels: Kernel.IManager,
  request: KernelRequest,
  kernelName?: string
): Promise<unknown> {
  const kernel = await kernels.startNew(kernelName ? { name: kernelName } : {});
  try {
    const future = kernel.requestExecute({
      code: kernelCode(request),
      store_history: false,
      stop_on_error: true
    });
    let output = '';
    let failure = '';
    future.onIOPub = message => {
      if (KernelMessage.isStreamMsg(message)) {
        output += message.content.text;
      } else if (KernelMessage.isErrorMsg(message)) {
        failure = `${message.content.ename}: ${message.content.evalue}`;
      }
    };
    await future.done;
    if (failure) {
      throw new WorkbenchApiError(0, 'KernelError', failure);
    }
    return parseKernelOutput(output);
  } finally {
    await kernel.shutdown();
  }
}
