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
  /**
   * Why the last key press or click did nothing (an override without a comment ...).
   */
  hint: string | null;
  /**
   * The last decision, which its maker may undo within UNDO_WINDOW_MS.
   */
  lastDecided: { id: number; at: number } | null;
  error: WorkbenchApiError | null;
}

/**
 * How long the panel offers Undo; the server allows 60 s and says so when it is too late.
 */
export const UNDO_WINDOW_MS = 60_000;

export type QueueAction =
  | { type: 'loaded'; items: IReviewItem[] }
  | { type: 'next' }
  | { type: 'comment'; text: string }
  | { type: 'deciding' }
  | { type: 'decided'; item: IReviewItem; at: number }
  | { type: 'undone'; item: IReviewItem }
  | { type: 'refused'; reason: string }
  | { type: 'failed'; error: WorkbenchApiError };

export const emptyQueue: IQueueState = {
  items: [],
  index: 0,
  comment: '',
  busy: false,
  notice: null,
  hint: null,
  lastDecided: null,
  error: null
};

export function queueReducer(
  state: IQueueState,
  action: QueueAction
): IQueueState {
  switch (action.type) {
    case 'loaded':
      return {
        ...emptyQueue,
        items: action.items,
        notice: state.notice,
        lastDecided: state.lastDecided
      };
    case 'next':
      return {
        ...state,
        index: Math.min(state.index + 1, state.items.length),
        comment: '',
        error: null,
        notice: null,
        hint: null
      };
    case 'comment':
      return { ...state, comment: action.text, hint: null };
    case 'refused':
      return { ...state, hint: action.reason };
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
        hint: null,
        lastDecided: { id: action.item.id, at: action.at },
        notice: `${action.item.decision === 'accept' ? 'Accepted' : 'Declined'} item ${action.item.id}`
      };
    }
    case 'undone': {
      const at = state.items.findIndex(item => item.id === action.item.id);
      const items = state.items.map(item =>
        item.id === action.item.id ? action.item : item
      );
      return {
        ...state,
        items: at < 0 ? [action.item, ...items] : items,
        index: at < 0 ? 0 : at,
        busy: false,
        error: null,
        hint: null,
        lastDecided: null,
        notice: `Undid the decision on item ${action.item.id}; it is open again`
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

/**
 * Whether the last decision may still be undone at `now`.
 */
export function canUndo(state: IQueueState, now: number): boolean {
  return (
    state.lastDecided !== null &&
    !state.busy &&
    now - state.lastDecided.at < UNDO_WINDOW_MS
  );
}

export type KeyCommand = 'accept' | 'decline' | 'next' | 'undo';

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
    case 'u':
      return 'undo';
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

/**
 * The reasons with the row's value of each feature beside them:
 * `gpa = 2.1: -0.412` (the value left out when the row could not be read).
 */
export function reasonsWithValues(
  item: IReviewItem,
  features: Record<string, unknown> | null
): string[] {
  return item.reasons.map(reason => {
    const line = reasonLines({ ...item, reasons: [reason] })[0] ?? '';
    const feature = reason.feature ?? reason.name ?? reason.column;
    if (!features || feature === undefined || !(String(feature) in features)) {
      return line;
    }
    const value = features[String(feature)];
    const shown =
      typeof value === 'number' ? formatValue(value) : String(value);
    return line.replace(String(feature), `${String(feature)} = ${shown}`);
  });
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
