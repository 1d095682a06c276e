/**
 * State logic of the "Promote notebook to pipeline" dialog: the editable form
 * made from the server's promotion plan, typed parameter parsing, and the request
 * the form sends. The server checks everything again; this only catches typing
 * mistakes early and keeps unchanged values out of the request.
 */
import { IParamSpec, IPromotionPlan, IPromotionRequest } from '../tokens';

export interface IPromoteForm {
  stage: string;
  /**
   * Parameter values as the inputs hold them (text; "true"/"false" for booleans).
   */
  params: Record<string, string>;
  /**
   * One path per line, relative to the project root.
   */
  deps: string;
  outs: string;
  /**
   * Replace a stage of the same name that runs something else (`--force`).
   */
  replace?: boolean;
}

/**
 * Where a problem shows in the form: beside the stage name, a parameter
 * (`param:NAME`), the deps or the outs, or above the form (`general`).
 */
export type ProblemField = string;

export const GENERAL = 'general';

export function executedNotebook(stage: string): string {
  return `runs/${stage}/${stage}.ipynb`;
}

export function paramText(spec: IParamSpec, value: unknown): string {
  if (spec.type === 'str' && typeof value === 'string') {
    return value;
  }
  if (value === undefined) {
    return '';
  }
  return JSON.stringify(value);
}

/**
 * The form as the plan proposes it: the notebook's values, and the deps and outs
 * beyond those workbench adds itself (the notebook, its executed copy).
 */
export function formFromPlan(plan: IPromotionPlan): IPromoteForm {
  const params: Record<string, string> = {};
  for (const spec of plan.parameters) {
    params[spec.name] = paramText(spec, plan.values[spec.name] ?? spec.default);
  }
  return {
    stage: plan.stage,
    params,
    deps: plan.deps.filter(path => path !== plan.notebook).join('\n'),
    outs: plan.outs
      .filter(path => path !== executedNotebook(plan.stage))
      .join('\n')
  };
}

export type Parsed =
  { ok: true; value: unknown } | { ok: false; error: string };

/**
 * The typed value of a parameter's text, or why it is not one.
 */
export function parseParam(spec: IParamSpec, text: string): Parsed {
  const trimmed = text.trim();
  switch (spec.type) {
    case 'str':
      return { ok: true, value: text };
    case 'int':
      return /^[+-]?\d+$/.test(trimmed)
        ? { ok: true, value: parseInt(trimmed, 10) }
        : { ok: false, error: `${spec.name} needs a whole number` };
    case 'float': {
      const value = Number(trimmed);
      return trimmed !== '' && isFinite(value)
        ? { ok: true, value }
        : { ok: false, error: `${spec.name} needs a number` };
    }
    case 'bool':
      return trimmed === 'true' || trimmed === 'false'
        ? { ok: true, value: trimmed === 'true' }
        : { ok: false, error: `${spec.name} is true or false` };
    case 'list':
    case 'dict': {
      try {
        const value = JSON.parse(trimmed);
        const isList = Array.isArray(value);
        const fits =
          spec.type === 'list'
            ? isList
            : typeof value === 'object' && value !== null && !isList;
        return fits
          ? { ok: true, value }
          : {
              ok: false,
              error: `${spec.name} needs a JSON ${spec.type === 'list' ? 'list' : 'object'}`
            };
      } catch {
        return { ok: false, error: `${spec.name} is not valid JSON` };
      }
    }
    default:
      try {
        return { ok: true, value: JSON.parse(trimmed) };
      } catch {
        return { ok: true, value: text };
      }
  }
}

export function lines(text: string): string[] {
  return text
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The request the form sends, or the typing problems that stop it.
 * Only parameters whose value differs from the plan's are sent.
 */
export function requestFromForm(
  notebook: string,
  plan: IPromotionPlan,
  form: IPromoteForm
): {
  request: IPromotionRequest;
  errors: string[];
  fieldErrors: Record<ProblemField, string[]>;
} {
  const errors: string[] = [];
  const fieldErrors: Record<ProblemField, string[]> = {};
  const params: Record<string, unknown> = {};
  for (const spec of plan.parameters) {
    const parsed = parseParam(spec, form.params[spec.name] ?? '');
    if (!parsed.ok) {
      errors.push(parsed.error);
      fieldErrors[`param:${spec.name}`] = [parsed.error];
    } else if (!same(parsed.value, plan.values[spec.name])) {
      params[spec.name] = parsed.value;
    }
  }
  const stage = form.stage.trim();
  if (!stage) {
    errors.push('The stage needs a name');
    fieldErrors.stage = ['The stage needs a name'];
  }
  const request: IPromotionRequest = {
    notebook,
    stage,
    deps: lines(form.deps),
    outs: lines(form.outs)
  };
  if (Object.keys(params).length) {
    request.params = params;
  }
  if (form.replace) {
    request.force = true;
  }
  return { request, errors, fieldErrors };
}

/**
 * Whether a server problem is the clash with an existing stage of that name,
 * which the form solves by replacing it or by choosing another name.
 */
export function isStageClash(problem: string): boolean {
  return /^stage '[^']+' already exists in dvc\.yaml/.test(problem);
}

/**
 * The field a promotion problem concerns, read from how the server words it
 * (workbench.pipelines.promote and param_paths); anything else is `general`.
 */
export function problemField(
  problem: string,
  form: IPromoteForm,
  paramNames: string[]
): ProblemField {
  const param = /parameter `([^`]+)`/.exec(problem);
  if (param && paramNames.includes(param[1])) {
    return `param:${param[1]}`;
  }
  if (
    isStageClash(problem) ||
    /^invalid stage name|^The stage needs a name/i.test(problem)
  ) {
    return 'stage';
  }
  if (/^the dep /.test(problem)) {
    return 'deps';
  }
  if (
    /^the (out|metrics file|plots file) /.test(problem) ||
    / is already an out of another stage/.test(problem) ||
    / is both a dep and an out/.test(problem) ||
    / cannot be written: /.test(problem)
  ) {
    return 'outs';
  }
  const first = problem.split(/[\s:]/, 1)[0];
  if (lines(form.deps).includes(first)) {
    return 'deps';
  }
  if (lines(form.outs).includes(first)) {
    return 'outs';
  }
  return GENERAL;
}

/**
 * Every problem, grouped by the field it concerns (typing problems found here
 * and the server's, all at once).
 */
export function groupProblems(
  problems: string[],
  form: IPromoteForm,
  paramNames: string[],
  local: Record<ProblemField, string[]> = {}
): Record<ProblemField, string[]> {
  const grouped: Record<ProblemField, string[]> = {};
  for (const [field, list] of Object.entries(local)) {
    grouped[field] = [...list];
  }
  for (const problem of problems) {
    const field = problemField(problem, form, paramNames);
    if (!(grouped[field] ?? []).includes(problem)) {
      grouped[field] = [...(grouped[field] ?? []), problem];
    }
  }
  return grouped;
}

/**
 * The fields in the order the form shows them, for "scroll to the first error".
 */
export function fieldOrder(paramNames: string[]): ProblemField[] {
  return [
    GENERAL,
    'stage',
    ...paramNames.map(name => `param:${name}`),
    'deps',
    'outs'
  ];
}

/**
 * A stage name not in `taken`: `NAME-2`, `NAME-3`, ...
 */
export function freeStageName(name: string, taken: string[]): string {
  const base = name.replace(/-\d+$/, '');
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`.slice(0, 64);
    if (!taken.includes(candidate)) {
      return candidate;
    }
  }
}

/**
 * Whether every problem of a failed check can be fixed in the form (so the
 * checks dialog offers to go on to it rather than only Close).
 */
export function fixableInForm(plan: IPromotionPlan): boolean {
  const form = formFromPlan(plan);
  const names = plan.parameters.map(spec => spec.name);
  return (
    plan.parameters.length > 0 &&
    plan.problems.every(
      problem => problemField(problem, form, names) !== GENERAL
    )
  );
}
