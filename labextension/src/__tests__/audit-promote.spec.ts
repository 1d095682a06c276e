/**
 * State logic of the Audit panel and of the promotion form.
 */
import { nullTranslator } from '@jupyterlab/translation';

import {
  chainBadge,
  defaultFilters,
  filterQuery,
  payloadSummary
} from '../components/audit/audit';
import {
  formatDuration,
  formatNumber,
  formatTime,
  load,
  refreshing
} from '../components/loadable';
import { formFromPlan, parseParam, requestFromForm } from '../promote/promote';
import { WorkbenchApiError } from '../request';
import { IParamSpec, IPromotionPlan } from '../tokens';

const trans = nullTranslator.load('workbench');

describe('audit', () => {
  it('sends trimmed filters', () => {
    expect(
      filterQuery({ ...defaultFilters, actor: ' ana ', action: 'model.' })
    ).toEqual({
      subject_prefix: '',
      action: 'model.',
      actor: 'ana',
      limit: 200
    });
  });

  it('badges a verified chain and a broken one', () => {
    const ok = {
      ok: true,
      count: 12,
      head_hash: 'f'.repeat(64),
      head_seq: 12,
      broken_at: null,
      problem: null,
      message: '',
      warnings: []
    };
    expect(chainBadge(ok, trans)).toMatchObject({
      label: 'chain verified',
      kind: 'ok'
    });
    const broken = {
      ...ok,
      ok: false,
      broken_at: 5,
      problem: 'edited' as const,
      message: 'Audit chain broken at seq 5.'
    };
    expect(chainBadge(broken, trans)).toMatchObject({
      label: 'broken at seq 5 (edited)',
      kind: 'error',
      title: 'Audit chain broken at seq 5.'
    });
  });

  it('summarises a payload in one short line', () => {
    expect(
      payloadSummary({
        alias: 'production',
        to_version: 2,
        digests: { a: 1 },
        note: null
      })
    ).toBe('alias=production to_version=2');
    expect(payloadSummary({ text: 'x'.repeat(300) }, 20)).toHaveLength(20);
  });
});

const spec = (
  name: string,
  type: IParamSpec['type'],
  value: unknown
): IParamSpec => ({ name, type, default: value, help: '' });

const plan: IPromotionPlan = {
  notebook: 'notebooks/train.ipynb',
  stage: 'train',
  ok: true,
  problems: [],
  parameters: [
    spec('rows', 'int', 100),
    spec('rate', 'float', 0.5),
    spec('label', 'str', 'x'),
    spec('fast', 'bool', false),
    spec('cols', 'list', ['a'])
  ],
  values: { rows: 100, rate: 0.5, label: 'x', fast: false, cols: ['a'] },
  cmd: 'workbench run notebooks/train.ipynb --stage train',
  deps: ['notebooks/train.ipynb', 'data/train.parquet'],
  outs: ['models/m.json', 'runs/train/train.ipynb'],
  metrics: [],
  plots: [],
  exists: false,
  unchanged: false
};

describe('promotion form', () => {
  it('starts from the plan, without the paths workbench adds', () => {
    expect(formFromPlan(plan)).toEqual({
      stage: 'train',
      params: {
        rows: '100',
        rate: '0.5',
        label: 'x',
        fast: 'false',
        cols: '["a"]'
      },
      deps: 'data/train.parquet',
      outs: 'models/m.json'
    });
  });

  it.each([
    ['int', '42', 42],
    ['int', ' -3 ', -3],
    ['float', '1e-3', 0.001],
    ['bool', 'true', true],
    ['str', ' spaced ', ' spaced '],
    ['list', '[1, 2]', [1, 2]],
    ['dict', '{"a": 1}', { a: 1 }],
    ['any', 'null', null],
    ['any', 'plain text', 'plain text']
  ])('parses a %s from %j', (type, text, value) => {
    expect(
      parseParam(spec('p', type as IParamSpec['type'], null), text)
    ).toEqual({ ok: true, value });
  });

  it.each([
    ['int', '4.5'],
    ['float', 'abc'],
    ['float', ''],
    ['bool', 'yes'],
    ['list', '{"a": 1}'],
    ['dict', '[1]'],
    ['dict', '{broken']
  ])('refuses a %s from %j', (type, text) => {
    expect(
      parseParam(spec('p', type as IParamSpec['type'], null), text).ok
    ).toBe(false);
  });

  it('sends only the parameters that changed, and the paths line by line', () => {
    const form = {
      ...formFromPlan(plan),
      deps: 'data/train.parquet\n\n  data/extra.csv ',
      params: { ...formFromPlan(plan).params, rows: '250' }
    };
    expect(requestFromForm('notebooks/train.ipynb', plan, form)).toEqual({
      request: {
        notebook: 'notebooks/train.ipynb',
        stage: 'train',
        deps: ['data/train.parquet', 'data/extra.csv'],
        outs: ['models/m.json'],
        params: { rows: 250 }
      },
      errors: [],
      fieldErrors: {}
    });
    const unchanged = requestFromForm(
      'notebooks/train.ipynb',
      plan,
      formFromPlan(plan)
    );
    expect(unchanged.request.params).toBeUndefined();
  });

  it('lists every typing problem', () => {
    const form = {
      ...formFromPlan(plan),
      stage: ' ',
      params: { ...formFromPlan(plan).params, rows: 'many', fast: 'maybe' }
    };
    expect(requestFromForm('n.ipynb', plan, form).errors).toEqual([
      'rows needs a whole number',
      'fast is true or false',
      'The stage needs a name'
    ]);
  });
});

describe('loadable helpers', () => {
  it('never rejects', async () => {
    await expect(load(() => Promise.resolve(1))).resolves.toEqual({
      status: 'ready',
      data: 1
    });
    const failed = await load(() => Promise.reject(new Error('down')));
    expect(failed.status).toBe('error');
    expect(failed.status === 'error' && failed.error).toBeInstanceOf(
      WorkbenchApiError
    );
  });

  it('keeps old data while refreshing', () => {
    const ready = { status: 'ready' as const, data: 1 };
    expect(refreshing(ready)).toBe(ready);
    expect(refreshing({ status: 'loading' })).toEqual({ status: 'loading' });
  });

  it('formats durations, numbers and times', () => {
    expect([
      formatDuration(0.25),
      formatDuration(12.34),
      formatDuration(245),
      formatDuration(null)
    ]).toEqual(['250 ms', '12.3 s', '4 min 05 s', '–']);
    expect([
      formatNumber(3),
      formatNumber(0.123456),
      formatNumber(null),
      formatNumber('x')
    ]).toEqual(['3', '0.1235', '–', 'x']);
    expect(formatTime('not a time')).toBe('not a time');
    expect(formatTime('2026-01-02T03:04:05')).toContain('2026');
    expect(formatTime(null)).toBe('–');
  });
});
