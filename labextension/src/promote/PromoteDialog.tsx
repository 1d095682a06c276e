/**
 * "Workbench: Promote notebook to pipeline": first the promotion checks (a dry
 * run on the server), then an editable form (stage name, typed parameters, deps,
 * outs), then the promotion itself. Every check runs on the server; the form only
 * catches typing mistakes before sending.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { asApiError } from '../components/loadable';
import { IParamSpec, IPromotionPlan, IPromotionResult } from '../tokens';
import { formFromPlan, IPromoteForm, requestFromForm } from './promote';

export interface IPromoteOptions {
  client: WorkbenchClient;
  trans: TranslationBundle;
  /**
   * The notebook's JupyterLab path (relative to the server's root folder).
   */
  notebook: string;
  /**
   * Called after a successful promotion (to show the Pipelines tab).
   */
  onPromoted?: (result: IPromotionResult) => void;
}

/**
 * Run the whole flow; resolves with the result, or null when the user stopped.
 */
export async function promoteNotebookFlow(
  options: IPromoteOptions
): Promise<IPromotionResult | null> {
  const { client, trans, notebook } = options;
  let plan: IPromotionPlan;
  try {
    plan = await client.planPromotion({ notebook });
  } catch (reason) {
    await showDialog({
      title: trans.__('Cannot check %1', notebook),
      body: asApiError(reason).message,
      buttons: [Dialog.okButton({ label: trans.__('Close') })]
    });
    return null;
  }
  const checks = await showDialog({
    title: trans.__('Promotion checks: %1', notebook),
    body: new ChecksWidget(plan, trans),
    buttons: plan.ok
      ? [
          Dialog.cancelButton(),
          Dialog.okButton({ label: trans.__('Continue') })
        ]
      : [Dialog.okButton({ label: trans.__('Close') })]
  });
  if (!plan.ok || !checks.button.accept) {
    return null;
  }
  let form = formFromPlan(plan);
  let problems: string[] = [];
  for (;;) {
    const body = new FormWidget({ ...options, plan, form, problems });
    const answer = await showDialog({
      title: trans.__('Promote %1 to a pipeline stage', notebook),
      body,
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Promote') })
      ]
    });
    if (!answer.button.accept || !answer.value) {
      return null;
    }
    form = answer.value;
    const { request, errors } = requestFromForm(notebook, plan, form);
    if (errors.length) {
      problems = errors;
      continue;
    }
    try {
      const result = await client.promoteNotebook(request);
      Notification.success(
        result.changed
          ? trans.__('Promoted %1 to the stage "%2".', notebook, result.stage)
          : trans.__(
              'The stage "%1" is already up to date with %2.',
              result.stage,
              notebook
            ),
        { autoClose: 5000 }
      );
      options.onPromoted?.(result);
      return result;
    } catch (reason) {
      const error = asApiError(reason);
      problems = Array.isArray(error.details)
        ? error.details.map(String)
        : [error.message];
    }
  }
}

function Problems(props: {
  problems: string[];
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-Workbench-error" role="alert">
      <strong>
        {props.trans.__('%1 problem(s) to fix first', props.problems.length)}
      </strong>
      <ul
        className="jp-Workbench-problems"
        data-testid="workbench-promotion-problems"
      >
        {props.problems.map(problem => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    </div>
  );
}

class ChecksWidget extends ReactWidget {
  constructor(
    private readonly _plan: IPromotionPlan,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-Workbench-promoteDialog');
  }

  protected render(): JSX.Element {
    const plan = this._plan;
    const trans = this._trans;
    if (!plan.ok) {
      return <Problems problems={plan.problems} trans={trans} />;
    }
    return (
      <div data-testid="workbench-promotion-checks">
        <p className="jp-Workbench-notice">
          {trans.__('All promotion checks passed.')}
        </p>
        <ul className="jp-Workbench-list">
          <li>
            {trans.__(
              'A parameters cell with %1 parameter(s)',
              plan.parameters.length
            )}
          </li>
          <li>
            {trans.__('No absolute paths; the code parses; a Python kernel')}
          </li>
          <li>
            {trans.__('Stage command: ')}
            <code>{plan.cmd}</code>
          </li>
          {plan.exists && (
            <li>{trans.__('The stage "%1" exists already.', plan.stage)}</li>
          )}
        </ul>
      </div>
    );
  }
}

interface IFormOptions extends IPromoteOptions {
  plan: IPromotionPlan;
  form: IPromoteForm;
  problems: string[];
}

class FormWidget extends ReactWidget {
  constructor(private readonly _options: IFormOptions) {
    super();
    this._form = { ..._options.form, params: { ..._options.form.params } };
    this.addClass('jp-Workbench-promoteDialog');
  }

  getValue(): IPromoteForm {
    return this._form;
  }

  protected render(): JSX.Element {
    return (
      <PromoteForm
        {...this._options}
        initial={this._form}
        onChange={form => {
          this._form = form;
        }}
      />
    );
  }

  private _form: IPromoteForm;
}

function PromoteForm(
  props: IFormOptions & {
    initial: IPromoteForm;
    onChange: (form: IPromoteForm) => void;
  }
): JSX.Element {
  const { plan, trans, client, notebook, onChange } = props;
  const [form, setForm] = React.useState(props.initial);
  const [problems, setProblems] = React.useState(props.problems);
  const [checking, setChecking] = React.useState(false);

  const update = (next: IPromoteForm) => {
    setForm(next);
    onChange(next);
  };

  const check = async () => {
    const { request, errors } = requestFromForm(notebook, plan, form);
    if (errors.length) {
      setProblems(errors);
      return;
    }
    setChecking(true);
    try {
      const again = await client.planPromotion(request);
      setProblems(again.problems);
    } catch (reason) {
      setProblems([asApiError(reason).message]);
    } finally {
      setChecking(false);
    }
  };

  return (
    <div className="jp-Workbench-form" data-testid="workbench-promote-form">
      {problems.length > 0 && <Problems problems={problems} trans={trans} />}
      <label className="jp-Workbench-field">
        <span>{trans.__('Stage name')}</span>
        <input
          name="stage"
          value={form.stage}
          onChange={e => update({ ...form, stage: e.target.value })}
        />
      </label>
      {plan.parameters.length > 0 && (
        <fieldset className="jp-Workbench-params">
          <legend>{trans.__('Parameters (written to params.yaml)')}</legend>
          {plan.parameters.map(spec => (
            <ParamInput
              key={spec.name}
              spec={spec}
              text={form.params[spec.name] ?? ''}
              onChange={text =>
                update({
                  ...form,
                  params: { ...form.params, [spec.name]: text }
                })
              }
            />
          ))}
        </fieldset>
      )}
      <label className="jp-Workbench-field">
        <span>
          {trans.__('Deps: inputs the notebook reads (one per line)')}
        </span>
        <textarea
          name="deps"
          rows={3}
          value={form.deps}
          onChange={e => update({ ...form, deps: e.target.value })}
        />
      </label>
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
          onChange={e => update({ ...form, outs: e.target.value })}
        />
      </label>
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

function ParamInput(props: {
  spec: IParamSpec;
  text: string;
  onChange: (text: string) => void;
}): JSX.Element {
  const { spec, text, onChange } = props;
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
        value={text}
        onChange={e => onChange(e.target.value)}
      />
    </label>
  );
}
