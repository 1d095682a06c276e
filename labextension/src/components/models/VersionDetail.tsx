/**
 * One version in detail: metrics, checks, fairness, top features, drift and the
 * decisions, with Approve / Reject / Promote buttons whose enabled state and
 * reason come from the server's review state (the same the notebook widget shows).
 */
import * as React from 'react';

import { WorkbenchApiError } from '../../request';
import { IReportResponse, IReviewState } from '../../tokens';
import { GateNotes } from './GateNotes';
import { ActionButton, Chip, ErrorBox, Loaded, useLoadable } from '../common';
import { IPanelProps } from '../context';
import { asApiError, formatNumber, formatTime } from '../loadable';
import {
  buttonState,
  driftSummary,
  fairnessRows,
  hasDriftReport,
  metricRows,
  promotableAliases,
  reportTab,
  topFeatures
} from './models';

export interface IVersionDetailProps extends IPanelProps {
  name: string;
  version: number;
  onChanged: () => void;
}

export function VersionDetail(props: IVersionDetailProps): JSX.Element {
  const { client, trans, name, version } = props;
  // The review state is for one alias (the gate differs per alias): the server's default first.
  const [alias, setAlias] = React.useState<string | undefined>(undefined);
  const [state, reload] = useLoadable(
    () => client.reviewState(name, version, alias),
    [client, name, version, alias]
  );
  return (
    <div className="jp-Workbench-detail" data-testid="workbench-version-detail">
      <Loaded state={state} trans={trans} onRetry={reload}>
        {review => <ReviewView {...props} review={review} onAlias={setAlias} />}
      </Loaded>
    </div>
  );
}

function ReviewView(
  props: IVersionDetailProps & {
    review: IReviewState;
    onAlias: (alias: string) => void;
  }
): JSX.Element {
  const { client, trans, actions, name, version, review, onChanged, onAlias } =
    props;
  const [comment, setComment] = React.useState('');
  const aliases = promotableAliases(review);
  const alias = review.alias;
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<WorkbenchApiError | null>(null);
  const [report, setReport] = React.useState<IReportResponse | null>(null);

  const act = async (work: () => Promise<unknown>, reloadAfter = true) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      if (reloadAfter) {
        onChanged();
      }
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  // In a keyed project the server signs nothing: the acts run in a kernel of the user's own.
  const inKernel = review.signing === 'kernel';
  const decideVersion = (decision: 'approve' | 'reject') =>
    inKernel
      ? actions.signInKernel({
          verb: decision,
          ref: `${name}:${version}`,
          comment
        })
      : client.decide(name, version, decision, comment);
  const promoteVersion = () =>
    inKernel
      ? actions.signInKernel({
          verb: 'promote',
          ref: `${name}:${version}`,
          alias,
          reason: comment
        })
      : client.promote(name, version, alias, comment);
  const approve = buttonState(review.actions.approve);
  const reject = buttonState(review.actions.reject);
  const promote = buttonState(review.actions.promote);
  const rejectNeedsComment = !reject.disabled && !comment.trim();
  const v = review.version;
  const drift = driftSummary(review);

  return (
    <>
      <h4 className="jp-Workbench-detailTitle">
        {v.ref}{' '}
        {v.aliases.map(a => (
          <Chip key={a} chip={{ label: `@${a}`, kind: 'info', title: a }} />
        ))}
      </h4>
      <p className="jp-Workbench-muted">
        {trans.__('by %1, %2', v.author, formatTime(v.created_at))}
      </p>
      {v.description && (
        <p className="jp-Workbench-description">{v.description}</p>
      )}

      <div className="jp-Workbench-actions" aria-label={trans.__('Review')}>
        <label className="jp-Workbench-field">
          <span>{trans.__('Comment')}</span>
          <textarea
            value={comment}
            rows={2}
            onChange={event => setComment(event.target.value)}
            placeholder={trans.__('Why (required to reject)')}
          />
        </label>
        <ActionButton
          label={trans.__('Approve')}
          primary
          testId="workbench-approve"
          disabled={busy || approve.disabled}
          reason={approve.reason}
          onClick={() => act(() => decideVersion('approve'))}
        />
        <ActionButton
          label={trans.__('Reject')}
          testId="workbench-reject"
          disabled={busy || reject.disabled || rejectNeedsComment}
          reason={
            reject.reason ||
            (rejectNeedsComment ? trans.__('Write a comment saying why.') : '')
          }
          onClick={() => act(() => decideVersion('reject'))}
        />
        <div className="jp-Workbench-promote">
          {aliases.length > 1 && (
            <select
              value={alias}
              aria-label={trans.__('Alias')}
              onChange={event => onAlias(event.target.value)}
            >
              {aliases.map(a => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
          <ActionButton
            label={trans.__('Promote to %1', alias)}
            testId="workbench-promote"
            disabled={busy || promote.disabled}
            reason={promote.reason}
            onClick={() => act(() => promoteVersion())}
          />
        </div>
        <ActionButton
          label={trans.__('Run checks')}
          testId="workbench-run-checks"
          disabled={busy}
          onClick={() => act(() => client.runChecks(name, version))}
        />
      </div>
      {inKernel && (
        <p className="jp-Workbench-muted" data-testid="workbench-signing-note">
          {trans.__(
            'Signed with your own key in a Python kernel (the server signs nothing).'
          )}
        </p>
      )}
      {error && <ErrorBox error={error} trans={trans} />}

      <div className="jp-Workbench-toolbar">
        <button
          type="button"
          className="jp-Workbench-button jp-mod-accept"
          onClick={() => actions.openModelPage(name, version)}
          data-testid="workbench-open-page"
        >
          {trans.__('Open model page')}
        </button>
        <button
          type="button"
          className="jp-Workbench-button"
          disabled={!hasDriftReport(review)}
          title={
            hasDriftReport(review)
              ? ''
              : trans.__('Registered without a drift report')
          }
          onClick={() => actions.openDriftReport(name, version)}
          data-testid="workbench-open-drift"
        >
          {trans.__('Open drift report')}
        </button>
        <button
          type="button"
          className="jp-Workbench-button"
          disabled={busy}
          data-testid="workbench-export-report"
          onClick={() =>
            act(async () => {
              const written = await client.writeReport(name, version);
              setReport(written);
              actions.openHtml(reportTab(client, written.path));
            }, false)
          }
        >
          {trans.__('Export audit report')}
        </button>
      </div>
      {report && (
        <p className="jp-Workbench-hint" role="status">
          {trans.__('Audit report written to %1. ', report.path)}
          <a href={report.download_url} download>
            {trans.__('Download')}
          </a>
        </p>
      )}

      <Gate {...props} />
      <Table title={trans.__('Metrics')} rows={metricRows(review)} />
      <Checks {...props} />
      <Table title={trans.__('Fairness')} rows={fairnessRows(review)} />
      <Features {...props} />
      {drift && (
        <details open>
          <summary>{trans.__('Drift (train vs validation)')}</summary>
          <p>
            {trans.__(
              '%1 of %2 columns drifted (share %3)%4',
              drift.drifted,
              drift.columns,
              formatNumber(drift.share, 2),
              drift.datasetDrift ? trans.__(': dataset drift') : ''
            )}
          </p>
          {drift.driftedColumns.length > 0 && (
            <p className="jp-Workbench-muted">
              {drift.driftedColumns.join(', ')}
            </p>
          )}
        </details>
      )}
      <Decisions {...props} />
    </>
  );
}

function Gate(
  props: IPanelProps & { review: IReviewState }
): JSX.Element | null {
  const { review, trans } = props;
  const gate = review.gate;
  if (!gate) {
    return (
      <p className="jp-Workbench-muted">{review.actions.promote.reason}</p>
    );
  }
  return (
    <details open className="jp-Workbench-gate">
      <summary>
        {trans.__(
          'Gate to %1: approvals %2/%3',
          gate.alias,
          gate.approvals,
          gate.approvals_required
        )}{' '}
        <Chip
          chip={
            gate.allowed
              ? { label: trans.__('open'), kind: 'ok', title: gate.policy }
              : { label: trans.__('blocked'), kind: 'warn', title: gate.policy }
          }
        />
      </summary>
      {gate.unmet.length > 0 && (
        <ul className="jp-Workbench-problems" data-testid="workbench-unmet">
          {gate.unmet.map(line => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      <GateNotes gate={gate} trans={trans} />
    </details>
  );
}

function Table(props: {
  title: string;
  rows: { label: string; value: string }[];
}): JSX.Element | null {
  if (props.rows.length === 0) {
    return null;
  }
  return (
    <details open>
      <summary>{props.title}</summary>
      <dl className="jp-Workbench-facts">
        {props.rows.map(row => (
          <React.Fragment key={row.label}>
            <dt>{row.label}</dt>
            <dd>{row.value}</dd>
          </React.Fragment>
        ))}
      </dl>
    </details>
  );
}

function Checks(props: IPanelProps & { review: IReviewState }): JSX.Element {
  const { review, trans } = props;
  const checks = review.version.checks;
  return (
    <details open>
      <summary>{trans.__('Checks')}</summary>
      {checks.length === 0 ? (
        <p className="jp-Workbench-muted">
          {trans.__('Not run yet: press Run checks.')}
        </p>
      ) : (
        <ul className="jp-Workbench-list jp-Workbench-checks">
          {checks.map(check => (
            <li key={check.check}>
              <Chip
                chip={{
                  label: check.status,
                  kind:
                    check.status === 'pass'
                      ? 'ok'
                      : check.required
                        ? 'error'
                        : 'warn',
                  title: check.required
                    ? trans.__('required')
                    : trans.__('advisory')
                }}
              />{' '}
              {check.message}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

function Features(
  props: IPanelProps & { review: IReviewState }
): JSX.Element | null {
  const { review, trans } = props;
  const features = topFeatures(review);
  if (features.length === 0) {
    return null;
  }
  return (
    <details open>
      <summary>{trans.__('Top features (mean |SHAP|)')}</summary>
      <ul className="jp-Workbench-list jp-Workbench-bars">
        {features.map(f => (
          <li key={f.feature}>
            <span className="jp-Workbench-barLabel">{f.feature}</span>
            <span
              className="jp-Workbench-bar"
              style={{ width: `${Math.round(f.share * 100)}%` }}
            />
            <span className="jp-Workbench-barValue">
              {formatNumber(f.importance, 3)}
            </span>
          </li>
        ))}
      </ul>
    </details>
  );
}

function Decisions(props: IPanelProps & { review: IReviewState }): JSX.Element {
  const { review, trans } = props;
  const decisions = review.version.decisions;
  return (
    <details open>
      <summary>{trans.__('Approvals')}</summary>
      {decisions.length === 0 ? (
        <p className="jp-Workbench-muted">{trans.__('No decisions yet.')}</p>
      ) : (
        <ul className="jp-Workbench-list" data-testid="workbench-decisions">
          {decisions.map(d => (
            <li key={`${d.actor}-${d.time}`}>
              <Chip
                chip={{
                  label: d.decision,
                  kind: d.decision === 'approve' ? 'ok' : 'error',
                  title: d.time
                }}
              />{' '}
              {d.actor}{' '}
              <span className="jp-Workbench-muted">{formatTime(d.time)}</span>
              {d.comment && (
                <div className="jp-Workbench-comment">{d.comment}</div>
              )}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
