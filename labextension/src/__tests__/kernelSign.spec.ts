import { ERROR, RESULT, kernelCode, parseKernelOutput } from '../kernelSign';
import { decideOrSign } from '../components/signing';
import { WorkbenchApiError } from '../request';

describe('kernel signing', () => {
  it('sends the request as one JSON string literal, never as code', () => {
    const comment = `ok "quoted" 'single' ''' \\ backslash\nnewline \${x} \`tick\``;
    const code = kernelCode({ verb: 'approve', ref: 'admissions:1', comment });
    expect(
      code.startsWith('import workbench.widgets.kernel_actions as _k; _k.run("')
    ).toBe(true);
    expect(code.endsWith('")')).toBe(true);
    expect(code.split('\n')).toHaveLength(1);
    const literal = code.slice(code.indexOf('_k.run(') + 7, -1);
    expect(JSON.parse(JSON.parse(literal))).toEqual({
      verb: 'approve',
      ref: 'admissions:1',
      comment
    });
  });

  it('reads the kernel answer or its refusal', () => {
    expect(
      parseKernelOutput(`noise\n${RESULT}{"actor": "reviewer-a"}\n`)
    ).toEqual({ actor: 'reviewer-a' });
    expect(() =>
      parseKernelOutput(
        `${ERROR}{"error": "Conflict", "message": "reviewer-a has already decided"}`
      )
    ).toThrow('reviewer-a has already decided');
    expect(() => parseKernelOutput('')).toThrow('gave no answer');
  });

  it('falls back to a kernel only when the server says the act must be signed there', async () => {
    const kernel = jest.fn().mockResolvedValue('signed');
    const signHere = new WorkbenchApiError(403, 'PermissionDenied', 'sign', {
      signing: 'kernel'
    });
    await expect(
      decideOrSign(() => Promise.reject(signHere), kernel)
    ).resolves.toBe('signed');
    const refused = new WorkbenchApiError(403, 'PermissionDenied', 'no');
    await expect(
      decideOrSign(() => Promise.reject(refused), kernel)
    ).rejects.toBe(refused);
    expect(kernel).toHaveBeenCalledTimes(1);
  });
});
