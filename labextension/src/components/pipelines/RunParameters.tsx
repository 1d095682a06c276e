/**
 * Run with parameters: a stage's parameters as params.yaml gives them, editable,
 * each with its problem beside it; the changed values go with the run request.
 */
import * as React from 'react';

import { FieldProblems, ParamInput } from '../../promote/PromoteForm';
import { IStage, IStageParameters } from '../../tokens';
import { Empty, Loaded, useLoadable } from '../common';
import { IPanelProps } from '../context';
import { asApiError } from '../loadable';
import { changedParams, paramTexts } from './pipelines';

/**
 * The stage's parameters as params.yaml gives them, editable; Run writes the
 * changed ones to params.yaml and runs the stage through `dvc repro`.
 */
export function RunParameters(
  props: IPanelProps & {
    stage: IStage;
    busy: boolean;
    onRun: (params?: Record<string, unknown>) => Promise<void>;
  }
): JSX.Element {
  const { client, trans, stage, busy, onRun } = props;
  const [info] = useLoadable(
    () => client.stageParameters(stage.name),
    [client, stage.name]
  );
  return (
    <div
      className="jp-Workbench-runParams jp-Workbench-form"
      data-testid="workbench-run-params"
    >
      <Loaded state={info} trans={trans}>
        {data => (
          <ParamsForm data={data} busy={busy} onRun={onRun} trans={trans} />
        )}
      </Loaded>
    </div>
  );
}

function ParamsForm(props: {
  data: IStageParameters;
  busy: boolean;
  onRun: (params?: Record<string, unknown>) => Promise<void>;
  trans: IPanelProps['trans'];
}): JSX.Element {
  const { data, busy, onRun, trans } = props;
  const [texts, setTexts] = React.useState(() => paramTexts(data));
  const [errors, setErrors] = React.useState<Record<string, string[]>>({});
  const [general, setGeneral] = React.useState<string[]>([]);
  const submit = async () => {
    const { params, errors: typing } = changedParams(data, texts);
    const local: Record<string, string[]> = {};
    for (const [name, message] of Object.entries(typing)) {
      local[name] = [message];
    }
    setErrors(local);
    setGeneral([]);
    if (Object.keys(local).length) {
      return;
    }
    try {
      await onRun(params);
    } catch (reason) {
      // The server's problems name their parameter: show each beside it.
      const error = asApiError(reason);
      const lines = Array.isArray(error.details)
        ? error.details.map(String)
        : [error.message];
      const beside: Record<string, string[]> = {};
      const rest: string[] = [];
      for (const line of lines) {
        const name = /parameter `([^`]+)`/.exec(line)?.[1];
        if (name && data.parameters.some(spec => spec.name === name)) {
          beside[name] = [...(beside[name] ?? []), line];
        } else {
          rest.push(line);
        }
      }
      setErrors(beside);
      setGeneral(rest);
    }
  };
  if (data.parameters.length === 0) {
    return (
      <Empty>
        {trans.__('%1 has no parameters cell values.', data.notebook)}
      </Empty>
    );
  }
  return (
    <>
      {data.parameters.map(spec => (
        <div key={spec.name} data-field={`param:${spec.name}`}>
          <ParamInput
            spec={spec}
            text={texts[spec.name] ?? ''}
            invalid={(errors[spec.name] ?? []).length > 0}
            onChange={text => setTexts({ ...texts, [spec.name]: text })}
          />
          <FieldProblems problems={errors[spec.name]} />
        </div>
      ))}
      <FieldProblems problems={general} />
      <p className="jp-Workbench-hint">
        {trans.__(
          'Changed values are saved to params.yaml; the stage runs with dvc repro, which locks it.'
        )}
      </p>
      <button
        type="button"
        className="jp-Workbench-button"
        data-testid="workbench-run-params-submit"
        disabled={busy}
        onClick={() => void submit()}
      >
        {trans.__('Save and run')}
      </button>
    </>
  );
}
