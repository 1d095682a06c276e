/**
 * The Review panel: the human review queue, one item at a time, with its score,
 * reasons and rule; Accept / Decline with a comment; keys a (accept), d (decline)
 * and n (next) while the panel has focus and no text field does.
 */
import * as React from 'react';

import { IReviewItem, IReviewRow } from '../../tokens';
import { Chip, Empty, ErrorBox, Loading, SectionHeader } from '../common';
import { IPanelProps } from '../context';
import { asApiError, formatNumber } from '../loadable';
import { decideOrSign } from '../signing';
import {
  canUndo,
  currentItem,
  decisionBlocker,
  emptyQueue,
  keyCommand,
  overridesModel,
  queueReducer,
  reasonsWithValues,
  ReviewDecision
} from './review';

export function ReviewPanel(props: IPanelProps): JSX.Element {
  const { client, trans, actions } = props;
  const [state, dispatch] = React.useReducer(queueReducer, emptyQueue);
  const [loading, setLoading] = React.useState(true);
  const panel = React.useRef<HTMLElement>(null);

  const reload = React.useCallback(async () => {
    setLoading(true);
    try {
      const answer = await client.listReviewItems({
        status: 'open',
        limit: 200
      });
      dispatch({ type: 'loaded', items: answer.items });
    } catch (reason) {
      dispatch({ type: 'failed', error: asApiError(reason) });
    } finally {
      setLoading(false);
    }
  }, [client]);

  React.useEffect(() => {
    void reload();
  }, [reload]);

  const item = currentItem(state);

  const [row, setRow] = React.useState<IReviewRow | null>(null);
  const [rowProblem, setRowProblem] = React.useState<string | null>(null);
  // Re-render once the undo window closes, so the button goes away.
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    if (!state.lastDecided) {
      return;
    }
    const timer = window.setTimeout(
      () => setTick(value => value + 1),
      Math.max(0, state.lastDecided.at + 60_000 - Date.now())
    );
    return () => window.clearTimeout(timer);
  }, [state.lastDecided]);

  React.useEffect(() => {
    setRow(null);
    setRowProblem(null);
    if (!item || item.row_index === null) {
      return;
    }
    let cancelled = false;
    void client.reviewRow(item.id).then(
      answer => !cancelled && setRow(answer),
      reason => !cancelled && setRowProblem(asApiError(reason).message)
    );
    return () => {
      cancelled = true;
    };
  }, [client, item?.id]);

  const undo = async () => {
    if (!state.lastDecided || !canUndo(state, Date.now())) {
      return;
    }
    dispatch({ type: 'deciding' });
    try {
      const reopened = await client.undoReviewDecision(state.lastDecided.id);
      dispatch({ type: 'undone', item: reopened });
      panel.current?.focus();
    } catch (reason) {
      dispatch({ type: 'failed', error: asApiError(reason) });
    }
  };

  const decide = async (decision: ReviewDecision) => {
    if (!item) {
      return;
    }
    const blocker = decisionBlocker(state, decision);
    if (blocker) {
      // A key press that does nothing says why, instead of nothing at all.
      dispatch({ type: 'refused', reason: blocker });
      return;
    }
    dispatch({ type: 'deciding' });
    try {
      const decided = await decideOrSign(
        () => client.decideReviewItem(item.id, decision, state.comment),
        () =>
          actions.signInKernel({
            verb: 'decide',
            item: item.id,
            decision,
            comment: state.comment
          }) as Promise<IReviewItem>
      );
      dispatch({ type: 'decided', item: decided, at: Date.now() });
      panel.current?.focus();
    } catch (reason) {
      dispatch({ type: 'failed', error: asApiError(reason) });
    }
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    const command = keyCommand(event.nativeEvent);
    if (command === null) {
      return;
    }
    event.preventDefault();
    if (command === 'next') {
      dispatch({ type: 'next' });
    } else if (command === 'undo') {
      void undo();
    } else {
      void decide(command);
    }
  };

  const acceptBlocker = decisionBlocker(state, 'accept');
  const declineBlocker = decisionBlocker(state, 'decline');
  const open = state.items.filter(i => i.status === 'open').length;

  return (
    <section
      ref={panel}
      className="jp-Workbench-section jp-Workbench-review"
      aria-label={trans.__('Review queue')}
      tabIndex={0}
      onKeyDown={onKeyDown}
      data-testid="workbench-review"
    >
      <SectionHeader
        title={trans.__('Review queue')}
        onRefresh={() => void reload()}
        busy={loading}
        trans={trans}
      />
      <p className="jp-Workbench-muted">
        {trans.__(
          'Keys: a accept · d decline · n next · u undo · Esc leaves the comment'
        )}
      </p>
      {state.notice && (
        <p className="jp-Workbench-notice" role="status">
          {state.notice}{' '}
          {canUndo(state, Date.now()) && (
            <button
              type="button"
              className="jp-Workbench-linkButton"
              data-testid="workbench-review-undo"
              onClick={() => void undo()}
            >
              {trans.__('Undo (u)')}
            </button>
          )}
        </p>
      )}
      {state.hint && (
        <p
          className="jp-Workbench-hint"
          role="alert"
          data-testid="workbench-review-hint"
        >
          {state.hint}
        </p>
      )}
      {state.error && <ErrorBox error={state.error} trans={trans} />}
      {loading && state.items.length === 0 ? (
        <Loading trans={trans} />
      ) : !item ? (
        <Empty>
          {state.items.length === 0
            ? trans.__(
                'The review queue is empty. Scoring jobs send borderline rows and rule hits here.'
              )
            : trans.__(
                'You have been through the queue (%1 still open). Refresh to start again.',
                open
              )}
        </Empty>
      ) : (
        <div className="jp-Workbench-card" data-item={item.id}>
          <div className="jp-Workbench-cardHeader">
            <span className="jp-Workbench-rowTitle">
              {trans.__('Item %1 of %2', state.index + 1, state.items.length)}
            </span>
            <span className="jp-Workbench-muted">
              {item.model}:{item.version}
            </span>
          </div>
          <dl className="jp-Workbench-facts">
            <dt>{trans.__('row')}</dt>
            <dd>{item.row_key}</dd>
            <dt>{trans.__('score')}</dt>
            <dd data-testid="workbench-review-score">
              {formatNumber(item.score, 3)}
            </dd>
            <dt>{trans.__('leaning')}</dt>
            <dd>{item.leaning}</dd>
            <dt>{trans.__('rule')}</dt>
            <dd>{item.rule ?? trans.__('none: between the thresholds')}</dd>
          </dl>
          {item.reasons.length > 0 && (
            <>
              <h4 className="jp-Workbench-subTitle">{trans.__('Reasons')}</h4>
              <ul className="jp-Workbench-list">
                {reasonsWithValues(item, row?.features ?? null).map(line => (
                  <li key={line}>
                    <code>{line}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          <RowValues item={item} row={row} problem={rowProblem} {...props} />
          {item.status === 'decided' ? (
            <Chip
              chip={{
                label: trans.__('decided: %1', item.decision ?? ''),
                kind: 'ok',
                title: item.decided_by ?? ''
              }}
            />
          ) : (
            <>
              <label className="jp-Workbench-field">
                <span>{trans.__('Comment')}</span>
                <textarea
                  rows={2}
                  data-testid="workbench-review-comment"
                  onKeyDown={event => {
                    // Escape leaves the comment, so the next letter is a shortcut again.
                    if (event.key === 'Escape') {
                      event.preventDefault();
                      event.stopPropagation();
                      panel.current?.focus();
                    }
                  }}
                  value={state.comment}
                  onChange={event =>
                    dispatch({ type: 'comment', text: event.target.value })
                  }
                  placeholder={trans.__('Required when you overrule the model')}
                />
              </label>
              <div className="jp-Workbench-actions">
                <DecisionButton
                  label={trans.__('Accept (a)')}
                  blocker={acceptBlocker}
                  override={overridesModel(item, 'accept')}
                  onClick={() => void decide('accept')}
                  testId="workbench-review-accept"
                />
                <DecisionButton
                  label={trans.__('Decline (d)')}
                  blocker={declineBlocker}
                  override={overridesModel(item, 'decline')}
                  onClick={() => void decide('decline')}
                  testId="workbench-review-decline"
                />
                <button
                  type="button"
                  className="jp-Workbench-button"
                  onClick={() => dispatch({ type: 'next' })}
                >
                  {trans.__('Next (n)')}
                </button>
              </div>
            </>
          )}
        </div>
      )}
    </section>
  );
}

function RowValues(
  props: IPanelProps & {
    item: IReviewItem;
    row: IReviewRow | null;
    problem: string | null;
  }
): JSX.Element | null {
  const { row, problem, trans } = props;
  if (problem) {
    return <p className="jp-Workbench-muted">{problem}</p>;
  }
  if (!row) {
    return null;
  }
  const values = { ...row.features, ...row.other };
  return (
    <details open data-testid="workbench-review-values">
      <summary>{trans.__('The row’s values')}</summary>
      <dl className="jp-Workbench-facts jp-Workbench-rowValues">
        {Object.entries(values).map(([column, value]) => (
          <React.Fragment key={column}>
            <dt>{column}</dt>
            <dd>{value === null ? '–' : formatNumber(value, 3)}</dd>
          </React.Fragment>
        ))}
      </dl>
    </details>
  );
}

function DecisionButton(props: {
  label: string;
  blocker: string | null;
  override: boolean;
  onClick: () => void;
  testId: string;
}): JSX.Element {
  const { label, blocker, override, onClick, testId } = props;
  return (
    <div className="jp-Workbench-action">
      <button
        type="button"
        className={`jp-Workbench-button${override ? ' jp-mod-warn' : ' jp-mod-accept'}`}
        disabled={blocker !== null}
        title={blocker ?? label}
        onClick={onClick}
        data-testid={testId}
      >
        {label}
      </button>
      {blocker && <span className="jp-Workbench-reason">{blocker}</span>}
    </div>
  );
}
