/**
 * State logic of the Review panel: the queue reducer, the override rule, the keys.
 */
import {
  canUndo,
  currentItem,
  decisionBlocker,
  emptyQueue,
  keyCommand,
  overridesModel,
  queueReducer,
  reasonLines,
  reasonsWithValues,
  UNDO_WINDOW_MS
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
      item: { ...item(1), status: 'decided', decision: 'accept' },
      at: 1000
    });
    expect(currentItem(decided)?.id).toBe(2);
    expect(decided).toMatchObject({
      comment: '',
      busy: false,
      notice: 'Accepted item 1'
    });
    expect(decided.items[0].status).toBe('decided');
    // Undo is offered for a minute, then the decision is final.
    expect(canUndo(decided, 1000 + 59_000)).toBe(true);
    expect(canUndo(decided, 1000 + UNDO_WINDOW_MS)).toBe(false);
    const undone = queueReducer(decided, {
      type: 'undone',
      item: { ...item(1), status: 'open' }
    });
    expect(currentItem(undone)?.id).toBe(1);
    expect(undone.lastDecided).toBeNull();
    expect(undone.notice).toContain('Undid the decision on item 1');
  });

  it('says why a blocked decision did nothing', () => {
    const refused = queueReducer(loaded, {
      type: 'refused',
      reason: 'This overrides the model: say why in the comment.'
    });
    expect(refused.hint).toContain('say why');
    expect(queueReducer(refused, { type: 'comment', text: 'x' }).hint).toBe(
      null
    );
  });

  it('shows the row value beside each reason', () => {
    const withReasons = {
      ...item(1),
      reasons: [{ feature: 'gpa', contribution: -0.41 }]
    };
    expect(reasonsWithValues(withReasons, { gpa: 2.1 })).toEqual([
      'gpa = 2.100: -0.410'
    ]);
    expect(reasonsWithValues(withReasons, null)).toEqual(['gpa: -0.410']);
  });

  it('maps u to undo', () => {
    expect(keyCommand({ key: 'u' })).toBe('undo');
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
