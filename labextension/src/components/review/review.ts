/**
 * State logic of the Review panel: a queue shown one item at a time, decided
 * with Accept / Decline (a comment is required when it overrides the model) and
 * driven by the keyboard: `a` accept, `d` decline, `n` next.
 */
import { WorkbenchApiError } from '../../request';
import { IReviewItem } from '../../tokens';

export type ReviewDecision = 'accept' | 'decline';

export interface IQueueState {
  items: IReviewItem[];
  /**
   * Index of the item on screen; equal to items.length when the queue is done.
   */
  index: number;
  comment: string;
  busy: boolean;
  /**
   * What the last decision did, for the screen reader and the eye.
   */
  notice: string | null;
  error: WorkbenchApiError | null;
}

export type QueueAction =
  | { type: 'loaded'; items: IReviewItem[] }
  | { type: 'next' }
  | { type: 'comment'; text: string }
  | { type: 'deciding' }
  | { type: 'decided'; item: IReviewItem }
  | { type: 'failed'; error: WorkbenchApiError };

export const emptyQueue: IQueueState = {
  items: [],
  index: 0,
  comment: '',
  busy: false,
  notice: null,
  error: null
};

export function queueReducer(
  state: IQueueState,
  action: QueueAction
): IQueueState {
  switch (action.type) {
    case 'loaded':
      return { ...emptyQueue, items: action.items, notice: state.notice };
    case 'next':
      return {
        ...state,
        index: Math.min(state.index + 1, state.items.length),
        comment: '',
        error: null,
        notice: null
      };
    case 'comment':
      return { ...state, comment: action.text };
    case 'deciding':
      return { ...state, busy: true, error: null };
    case 'decided': {
      const items = state.items.map(item =>
        item.id === action.item.id ? action.item : item
      );
      return {
        ...state,
        items,
        index: Math.min(state.index + 1, items.length),
        comment: '',
        busy: false,
        error: null,
        notice: `${action.item.decision === 'accept' ? 'Accepted' : 'Declined'} item ${action.item.id}`
      };
    }
    case 'failed':
      return { ...state, busy: false, error: action.error };
  }
}

export function currentItem(state: IQueueState): IReviewItem | null {
  return state.items[state.index] ?? null;
}

/**
 * The model leaned to the other side: deciding so overrides it, which needs a comment.
 */
export function overridesModel(
  item: IReviewItem,
  decision: ReviewDecision
): boolean {
  return (
    (item.leaning === 'accept' || item.leaning === 'decline') &&
    item.leaning !== decision
  );
}

/**
 * Why a decision cannot be sent yet, or null when it can.
 */
export function decisionBlocker(
  state: IQueueState,
  decision: ReviewDecision
): string | null {
  const item = currentItem(state);
  if (!item) {
    return 'No item to decide.';
  }
  if (state.busy) {
    return 'Saving the previous decision…';
  }
  if (overridesModel(item, decision) && !state.comment.trim()) {
    return `This overrides the model (it leaned to ${item.leaning}): say why in the comment.`;
  }
  return null;
}

export type KeyCommand = 'accept' | 'decline' | 'next';

/**
 * The command a key press means, or null. Typing in a field (the comment) and
 * key combinations with modifiers are left alone.
 */
export function keyCommand(event: {
  key: string;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  target?: EventTarget | null;
}): KeyCommand | null {
  if (event.altKey || event.ctrlKey || event.metaKey) {
    return null;
  }
  const target = event.target as HTMLElement | null;
  const tag = target?.tagName?.toLowerCase();
  if (
    tag === 'textarea' ||
    tag === 'input' ||
    tag === 'select' ||
    target?.isContentEditable
  ) {
    return null;
  }
  switch (event.key) {
    case 'a':
      return 'accept';
    case 'd':
      return 'decline';
    case 'n':
      return 'next';
    default:
      return null;
  }
}

/**
 * An item's reason codes as "feature: +0.42" lines (whatever the job recorded).
 */
export function reasonLines(item: IReviewItem): string[] {
  return item.reasons.map(reason => {
    const feature = reason.feature ?? reason.name ?? reason.column;
    const value = reason.contribution ?? reason.value ?? reason.shap;
    if (feature === undefined) {
      return JSON.stringify(reason);
    }
    if (typeof value === 'number') {
      return `${String(feature)}: ${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
    }
    return value === undefined
      ? String(feature)
      : `${String(feature)}: ${String(value)}`;
  });
}
