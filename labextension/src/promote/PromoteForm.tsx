/**
 * The promotion form: stage name, typed parameters, deps and outs, each with its
 * problems written beside it, all at once; the first one is scrolled into view.
 * A clash with an existing stage offers the two ways out in place: replace that
 * stage, or choose another name.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { asApiError } from '../components/loadable';
import { IParamSpec, IPromotionPlan } from '../tokens';
import {
  fieldOrder,
  freeStageName,
  GENERAL,
  groupProblems,
  IPromoteForm,
  isStageClash,
  ProblemField,
  requestFromForm
} from './promote';

export interface IPromoteFormProps {
  client: WorkbenchClient;
  trans: TranslationBundle;
  notebook: string;
  plan: IPromotionPlan;
  initial: IPromoteForm;
  problems: Record<ProblemField, string[]>;
  /**
   * Stage names already in dvc.yaml (for "choose another name").
   */
  taken: string[];
  onChange: (form: IPromoteForm) => void;
}

export function PromoteForm(props: IPromoteFormProps): JSX.Element {
  const { plan, trans, client, notebook, onChange, taken } = props;
  const [form, setForm] = React.useState(props.initial);
  const [problems, setProblems] = React.useState(props.problems);
  const [checking, setChecking] = React.useState(false);
  const root = React.useRef<HTMLDivElement>(null);
  const names = plan.parameters.map(spec => spec.name);

  const update = (next: IPromoteForm) => {
    setForm(next);
    onChange(next);
  };

  const check = async (next: IPromoteForm = form) => {
    const { request, fieldErrors } = requestFromForm(notebook, plan, next);
    setChecking(true);
    try {
      const again = await client.planPromotion(request);
      setProblems(groupProblems(again.problems, next, names, fieldErrors));
    } catch (reason) {
      setProblems({ ...fieldErrors, [GENERAL]: [asApiError(reason).message] });
    } finally {
      setChecking(false);
    }
  };

  // The first field with a problem comes into view, focused.
  React.useEffect(() => {
    const first = fieldOrder(names).find(
      field => (problems[field] ?? []).length
    );
    const node = first
      ? root.current?.querySelector<HTMLElement>(`[data-field="${first}"]`)
      : null;
    node?.scrollIntoView?.({ block: 'center' });
    node?.querySelector<HTMLElement>('input, textarea')?.focus();
  }, [problems]);

  const clash = (problems.stage ?? []).find(isStageClash);
  const replace = () => {
    const next = { ...form, replace: true };
    update(next);
    void check(next);
  };
  const rename = () => {
    const next = {
      ...form,
      replace: false,
      stage: freeStageName(form.stage.trim(), [...taken, plan.stage])
    };
    update(next);
    void check(next);
  };

  const general = problems[GENERAL] ?? [];
  const count = Object.values(problems).reduce(
    (sum, list) => sum + list.length,
    0
  );
  return (
    <div
      className="jp-Workbench-form"
      data-testid="workbench-promote-form"
      ref={root}
    >
      {count > 0 && (
        <div
          className="jp-Workbench-error"
          role="alert"
          data-field={GENERAL}
          data-testid="workbench-promotion-problems"
        >
          <strong>{trans.__('%1 problem(s) to fix first', count)}</strong>
          {general.length > 0 && (
            <ul className="jp-Workbench-problems">
              {general.map(problem => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div data-field="stage">
        <label className="jp-Workbench-field">
          <span>{trans.__('Stage name')}</span>
          <input
            name="stage"
            value={form.stage}
            aria-invalid={(problems.stage ?? []).length > 0}
            onChange={e =>
              update({ ...form, stage: e.target.value, replace: false })
            }
          />
        </label>
        <FieldProblems
          problems={(problems.stage ?? []).filter(p => !isStageClash(p))}
        />
        {clash && !form.replace && (
          <div
            className="jp-Workbench-clash"
            data-testid="workbench-stage-clash"
          >
            <p className="jp-Workbench-fieldError" role="alert">
              {clash.replace(
                /; pass --force to replace it, or choose another name with --stage$/,
                '.'
              )}
            </p>
            <button
              type="button"
              className="jp-Workbench-button"
              onClick={replace}
            >
              {trans.__('Replace the existing stage')}
            </button>
            <button
              type="button"
              className="jp-Workbench-button"
              onClick={rename}
            >
              {trans.__('Choose another name')}
            </button>
          </div>
        )}
        {form.replace && (
          <p
            className="jp-Workbench-notice"
            data-testid="workbench-stage-replace"
          >
            {trans.__(
              'Promote replaces the stage "%1" in dvc.yaml with this notebook.',
              form.stage
            )}{' '}
            <button
              type="button"
              className="jp-Workbench-linkButton"
              onClick={() => {
                const next = { ...form, replace: false };
                update(next);
                void check(next);
              }}
            >
              {trans.__('Keep it')}
            </button>
          </p>
        )}
      </div>
      {plan.parameters.length > 0 && (
        <fieldset className="jp-Workbench-params">
          <legend>{trans.__('Parameters (written to params.yaml)')}</legend>
          {plan.parameters.map(spec => (
            <div key={spec.name} data-field={`param:${spec.name}`}>
              <ParamInput
                spec={spec}
                text={form.params[spec.name] ?? ''}
                invalid={(problems[`param:${spec.name}`] ?? []).length > 0}
                onChange={text =>
                  update({
                    ...form,
                    params: { ...form.params, [spec.name]: text }
                  })
                }
              />
              <FieldProblems problems={problems[`param:${spec.name}`]} />
            </div>
          ))}
        </fieldset>
      )}
      <div data-field="deps">
        <label className="jp-Workbench-field">
          <span>
            {trans.__('Deps: inputs the notebook reads (one per line)')}
          </span>
          <textarea
            name="deps"
            rows={3}
            value={form.deps}
            aria-invalid={(problems.deps ?? []).length > 0}
            onChange={e => update({ ...form, deps: e.target.value })}
          />
        </label>
        <FieldProblems problems={problems.deps} />
      </div>
      <div data-field="outs">
        <label className="jp-Workbench-field">
          <span>
            {trans.__(
              'Outs: files it writes (one per line; the executed notebook is added)'
            )}
          </span>
          <textarea
            name="outs"
            rows={3}
            value={form.outs}
            aria-invalid={(problems.outs ?? []).length > 0}
            onChange={e => update({ ...form, outs: e.target.value })}
          />
        </label>
        <FieldProblems problems={problems.outs} />
      </div>
      <button
        type="button"
        className="jp-Workbench-button"
        onClick={() => void check()}
        disabled={checking}
      >
        {checking ? trans.__('Checking…') : trans.__('Check again')}
      </button>
    </div>
  );
}

/**
 * The problems of one field, written under it.
 */
export function FieldProblems(props: { problems?: string[] }): JSX.Element {
  const problems = props.problems ?? [];
  return (
    <>
      {problems.map(problem => (
        <p key={problem} className="jp-Workbench-fieldError" role="alert">
          {problem}
        </p>
      ))}
    </>
  );
}

export function ParamInput(props: {
  spec: IParamSpec;
  text: string;
  invalid?: boolean;
  onChange: (text: string) => void;
}): JSX.Element {
  const { spec, text, onChange, invalid } = props;
  const label = (
    <span>
      {spec.name} <code className="jp-Workbench-muted">{spec.type}</code>
      {spec.help && <span className="jp-Workbench-muted"> {spec.help}</span>}
    </span>
  );
  if (spec.type === 'bool') {
    return (
      <label className="jp-Workbench-field jp-Workbench-check">
        <input
          type="checkbox"
          name={`param-${spec.name}`}
          checked={text === 'true'}
          onChange={e => onChange(e.target.checked ? 'true' : 'false')}
        />
        {label}
      </label>
    );
  }
  return (
    <label className="jp-Workbench-field">
      {label}
      <input
        name={`param-${spec.name}`}
        inputMode={
          spec.type === 'int' || spec.type === 'float' ? 'decimal' : undefined
        }
        aria-invalid={invalid}
        value={text}
        onChange={e => onChange(e.target.value)}
      />
    </label>
  );
}
