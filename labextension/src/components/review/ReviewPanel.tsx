/**
 * The Review panel: the human review queue, one item at a time, with its score,
 * reasons and rule; Accept / Decline with a comment; keys a (accept), d (decline)
 * and n (next) while the panel has focus and no text field does.
 */
import * as React from 'react';

import { Chip, Empty, ErrorBox, Loading, SectionHeader } from '../common';
import { IPanelProps } from '../context';
import { asApiError, formatNumber } from '../loadable';
import {
  currentItem,
  decisionBlocker,
  emptyQueue,
  keyCommand,
  overridesModel,
  queueReducer,
  reasonLines,
  ReviewDecision
} from './review';

export function ReviewPanel(props: IPanelProps): JSX.Element {
  const { client, trans } = props;
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

  const decide = async (decision: ReviewDecision) => {
    if (!item || decisionBlocker(state, decision)) {
      return;
    }
    dispatch({ type: 'deciding' });
    try {
      const decided = await client.decideReviewItem(
        item.id,
        decision,
        state.comment
      );
      dispatch({ type: 'decided', item: decided });
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
        {trans.__('Keys: a accept · d decline · n next')}
      </p>
      {state.notice && (
        <p className="jp-Workbench-notice" role="status">
          {state.notice}
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
                {reasonLines(item).map(line => (
                  <li key={line}>
                    <code>{line}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
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
