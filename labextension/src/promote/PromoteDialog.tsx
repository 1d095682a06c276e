/**
 * "Workbench: Promote notebook to pipeline": first the promotion checks (a dry
 * run on the server), then an editable form (PromoteForm: stage name, typed
 * parameters, deps, outs, each with its problems beside it), then the promotion
 * itself. Every check runs on the server; the form only catches typing mistakes
 * before sending, and shows them together with the server's.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { asApiError } from '../components/loadable';
import { IPromotionPlan, IPromotionResult } from '../tokens';
import {
  fixableInForm,
  formFromPlan,
  groupProblems,
  IPromoteForm,
  requestFromForm
} from './promote';
import { IPromoteFormProps, PromoteForm } from './PromoteForm';

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
  // Problems the form can fix (a clash with a stage, a parameter's path) lead on to it.
  const fixable = !plan.ok && fixableInForm(plan);
  const checks = await showDialog({
    title: trans.__('Promotion checks: %1', notebook),
    body: new ChecksWidget(plan, trans, fixable),
    buttons:
      plan.ok || fixable
        ? [
            Dialog.cancelButton(),
            Dialog.okButton({
              label: plan.ok
                ? trans.__('Continue')
                : trans.__('Fix in the form')
            })
          ]
        : [Dialog.okButton({ label: trans.__('Close') })]
  });
  if (!(plan.ok || fixable) || !checks.button.accept) {
    return null;
  }
  const names = plan.parameters.map(spec => spec.name);
  let form = formFromPlan(plan);
  let problems = groupProblems(plan.problems, form, names);
  let taken: string[] = [];
  try {
    taken = (await client.listStages()).stages.map(stage => stage.name);
  } catch {
    // only for suggesting a free name; the server checks the name anyway
  }
  for (;;) {
    const body = new FormWidget({
      ...options,
      plan,
      initial: form,
      problems,
      taken,
      onChange: () => undefined
    });
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
    const { request, fieldErrors } = requestFromForm(notebook, plan, form);
    if (Object.keys(fieldErrors).length) {
      // Every problem at once: the server checks what could be sent.
      let more: string[] = [];
      try {
        more = (await client.planPromotion(request)).problems;
      } catch (reason) {
        more = [asApiError(reason).message];
      }
      problems = groupProblems(more, form, names, fieldErrors);
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
      problems = groupProblems(
        Array.isArray(error.details)
          ? error.details.map(String)
          : [error.message],
        form,
        names
      );
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
    private readonly _trans: TranslationBundle,
    private readonly _fixable: boolean
  ) {
    super();
    this.addClass('jp-Workbench-promoteDialog');
  }

  protected render(): JSX.Element {
    const plan = this._plan;
    const trans = this._trans;
    if (!plan.ok) {
      return (
        <>
          <Problems problems={plan.problems} trans={trans} />
          {plan.problems.some(p => p.includes('tagged `parameters`')) && (
            <p className="jp-Workbench-hint">
              {trans.__(
                'Select the cell with the defaults and run "Tag Cell as Parameters" (its context menu, or the command palette).'
              )}
            </p>
          )}
          {this._fixable && (
            <p className="jp-Workbench-hint">
              {trans.__(
                'Each can be fixed in the next step, where it shows beside its field.'
              )}
            </p>
          )}
        </>
      );
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

class FormWidget extends ReactWidget {
  constructor(private readonly _props: IPromoteFormProps) {
    super();
    this._form = { ..._props.initial, params: { ..._props.initial.params } };
    this.addClass('jp-Workbench-promoteDialog');
  }

  getValue(): IPromoteForm {
    return this._form;
  }

  protected render(): JSX.Element {
    return (
      <PromoteForm
        {...this._props}
        initial={this._form}
        onChange={form => {
          this._form = form;
        }}
      />
    );
  }

  private _form: IPromoteForm;
}
