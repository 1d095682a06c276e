/**
 * Problems beside their fields (promotion, a run with parameters), the stage
 * clash's ways out, the parameters tag, and how a `dvc repro` launch ended.
 */
import {
  changedParams,
  launchFailure,
  paramTexts
} from '../components/pipelines/pipelines';
import {
  fieldOrder,
  fixableInForm,
  formFromPlan,
  freeStageName,
  groupProblems,
  isStageClash,
  problemField,
  requestFromForm
} from '../promote/promote';
import { retag } from '../promote/tagParameters';
import { ILaunchInfo, IPromotionPlan, IStageParameters } from '../tokens';

const plan: IPromotionPlan = {
  notebook: 'notebooks/tally.ipynb',
  stage: 'tally',
  ok: false,
  problems: [
    "stage 'tally' already exists in dvc.yaml (cmd: workbench run notebooks/legacy/tally.ipynb --stage tally); pass --force to replace it, or choose another name with --stage",
    "parameter `source` = 'data/x.parquet' names data/x.parquet relative to the project root, but the notebook runs in notebooks/, where 'data/x.parquet' does not exist; set it to '../data/x.parquet'"
  ],
  parameters: [
    { name: 'rows', type: 'int', default: 3, help: '' },
    { name: 'source', type: 'str', default: 'data/x.parquet', help: '' }
  ],
  values: { rows: 3, source: 'data/x.parquet' },
  cmd: 'workbench run notebooks/tally.ipynb --stage tally',
  deps: ['notebooks/tally.ipynb', 'data/in.csv'],
  outs: ['outputs/t.json', 'runs/tally/tally.ipynb'],
  metrics: [],
  plots: [],
  exists: true,
  unchanged: false
};

describe('promotion problems beside their fields', () => {
  const form = formFromPlan(plan);
  const names = ['rows', 'source'];

  it.each([
    [plan.problems[0], 'stage'],
    [plan.problems[1], 'param:source'],
    ["invalid stage name '9x'", 'stage'],
    [
      "the dep 'data/none.csv' does not exist and no stage produces it; create it",
      'deps'
    ],
    ["the out '/etc/x' is outside the project /p; move it", 'outs'],
    [
      'outputs/t.json is already an out of another stage; each file has one producer',
      'outs'
    ],
    ['data/in.csv: something about the dep', 'deps'],
    [
      'unknown parameter `nosuch` (from the values given); the notebook has rows',
      'general'
    ],
    [
      'no cell is tagged `parameters`: put the defaults in one code cell',
      'general'
    ]
  ])('%s -> %s', (problem, field) => {
    expect(problemField(problem, form, names)).toBe(field);
  });

  it('groups the typing problems and the server problems, all at once', () => {
    const typed = { ...form, params: { ...form.params, rows: 'many' } };
    const { fieldErrors, request } = requestFromForm(
      plan.notebook,
      plan,
      typed
    );
    expect(request.params).toBeUndefined();
    expect(groupProblems(plan.problems, typed, names, fieldErrors)).toEqual({
      'param:rows': ['rows needs a whole number'],
      stage: [plan.problems[0]],
      'param:source': [plan.problems[1]]
    });
    expect(fieldOrder(names)).toEqual([
      'general',
      'stage',
      'param:rows',
      'param:source',
      'deps',
      'outs'
    ]);
  });

  it('replacing the stage sends force; the clash is recognised', () => {
    expect(isStageClash(plan.problems[0])).toBe(true);
    expect(isStageClash(plan.problems[1])).toBe(false);
    const replace = requestFromForm(plan.notebook, plan, {
      ...form,
      replace: true
    });
    expect(replace.request.force).toBe(true);
    expect(requestFromForm(plan.notebook, plan, form).request.force).toBe(
      undefined
    );
  });

  it('suggests a free name', () => {
    expect(freeStageName('tally', ['tally'])).toBe('tally-2');
    expect(freeStageName('tally-2', ['tally', 'tally-2'])).toBe('tally-3');
  });

  it('leads on to the form only when every problem has a field', () => {
    expect(fixableInForm(plan)).toBe(true);
    expect(
      fixableInForm({
        ...plan,
        problems: [...plan.problems, 'no cell is tagged `parameters`']
      })
    ).toBe(false);
  });
});

describe('the parameters tag', () => {
  it('adds it to the active cell and takes it from others', () => {
    expect(retag(undefined, true)).toEqual(['parameters']);
    expect(retag(['x'], true)).toEqual(['x', 'parameters']);
    expect(retag(['parameters'], true)).toBeNull();
    expect(retag(['x', 'parameters'], false)).toEqual(['x']);
    expect(retag(['x'], false)).toBeNull();
  });
});

describe('a run with parameters', () => {
  const info: IStageParameters = {
    stage: 'tally',
    notebook: 'notebooks/tally.ipynb',
    parameters: plan.parameters,
    values: { rows: 5, source: 'data/x.parquet' }
  };

  it('sends only what changed, and says which field is wrong', () => {
    const texts = paramTexts(info);
    expect(texts).toEqual({ rows: '5', source: 'data/x.parquet' });
    expect(changedParams(info, { ...texts, rows: '7' })).toEqual({
      params: { rows: 7 },
      errors: {}
    });
    expect(changedParams(info, { ...texts, rows: 'x' })).toEqual({
      params: {},
      errors: { rows: 'rows needs a whole number' }
    });
  });

  it('tells a failed dvc repro from a locked stage', () => {
    const launch: ILaunchInfo = {
      id: 'a',
      kind: 'run',
      pid: 1,
      started_at: '',
      running: false,
      returncode: 0,
      cancel_requested: false,
      recorded: true,
      log_tail: ''
    };
    expect(launchFailure(launch)).toBeNull();
    expect(launchFailure({ ...launch, running: true, returncode: null })).toBe(
      null
    );
    expect(
      launchFailure({
        ...launch,
        returncode: 255,
        log_tail: 'Running stage\nERROR: failed to reproduce\n'
      })
    ).toBe('dvc repro ended with exit code 255: ERROR: failed to reproduce');
  });
});
