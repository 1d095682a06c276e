/**
 * State logic of the Review panel: the queue reducer, the override rule, the keys.
 */
import {
  currentItem,
  decisionBlocker,
  emptyQueue,
  keyCommand,
  overridesModel,
  queueReducer,
  reasonLines
} from '../components/review/review';
import { WorkbenchApiError } from '../request';
import { item } from './samples';

describe('queueReducer', () => {
  const loaded = queueReducer(emptyQueue, {
    type: 'loaded',
    items: [item(1), item(2)]
  });

  it('starts at the first item', () => {
    expect(currentItem(loaded)?.id).toBe(1);
  });

  it('moves on after a decision, clearing the comment and noting it', () => {
    const typed = queueReducer(loaded, { type: 'comment', text: 'ok' });
    const busy = queueReducer(typed, { type: 'deciding' });
    expect(busy.busy).toBe(true);
    const decided = queueReducer(busy, {
      type: 'decided',
      item: { ...item(1), status: 'decided', decision: 'accept' }
    });
    expect(currentItem(decided)?.id).toBe(2);
    expect(decided).toMatchObject({
      comment: '',
      busy: false,
      notice: 'Accepted item 1'
    });
    expect(decided.items[0].status).toBe('decided');
  });

  it('skips with next and stops at the end', () => {
    const once = queueReducer(loaded, { type: 'next' });
    const twice = queueReducer(once, { type: 'next' });
    const thrice = queueReducer(twice, { type: 'next' });
    expect(currentItem(once)?.id).toBe(2);
    expect(currentItem(thrice)).toBeNull();
    expect(thrice.index).toBe(2);
  });

  it('keeps the item on screen when a decision fails', () => {
    const error = new WorkbenchApiError(409, 'Conflict', 'already decided');
    const failed = queueReducer(queueReducer(loaded, { type: 'deciding' }), {
      type: 'failed',
      error
    });
    expect(currentItem(failed)?.id).toBe(1);
    expect(failed).toMatchObject({ busy: false, error });
  });
});

describe('decisions', () => {
  const state = queueReducer(emptyQueue, {
    type: 'loaded',
    items: [item(1, 'accept')]
  });

  it('needs a comment to overrule the model', () => {
    expect(overridesModel(item(1, 'accept'), 'decline')).toBe(true);
    expect(overridesModel(item(1, 'none'), 'decline')).toBe(false);
    expect(decisionBlocker(state, 'accept')).toBeNull();
    expect(decisionBlocker(state, 'decline')).toContain('overrides the model');
    expect(
      decisionBlocker(
        queueReducer(state, { type: 'comment', text: 'transcript checked' }),
        'decline'
      )
    ).toBeNull();
  });

  it('blocks while saving and when the queue is done', () => {
    expect(
      decisionBlocker(queueReducer(state, { type: 'deciding' }), 'accept')
    ).toContain('Saving');
    expect(decisionBlocker(emptyQueue, 'accept')).toBe('No item to decide.');
  });
});

describe('keyCommand', () => {
  it('maps a, d and n', () => {
    expect(['a', 'd', 'n', 'x'].map(key => keyCommand({ key }))).toEqual([
      'accept',
      'decline',
      'next',
      null
    ]);
  });

  it('leaves typing and shortcuts alone', () => {
    const textarea = document.createElement('textarea');
    expect(keyCommand({ key: 'a', target: textarea })).toBeNull();
    expect(keyCommand({ key: 'a', ctrlKey: true })).toBeNull();
    expect(keyCommand({ key: 'd', metaKey: true })).toBeNull();
  });
});

describe('reasonLines', () => {
  it('shows signed contributions', () => {
    expect(reasonLines(item(1))).toEqual([
      'gpa: +0.420',
      'essay_score: -0.100'
    ]);
    expect(
      reasonLines({ ...item(1), reasons: [{ feature: 'gpa' }, { other: 1 }] })
    ).toEqual(['gpa', '{"other":1}']);
  });
});
