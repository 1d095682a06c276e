/**
 * The Audit panel: the chain status badge (verified, or broken at seq N), a
 * version's audit report (generated, opened in a tab, downloaded) and the
 * events, newest first, filtered by subject, action and actor.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IAuditEvent } from '../../tokens';
import { Chip, Empty, Loaded, SectionHeader, useLoadable } from '../common';
import { IPanelProps } from '../context';
import { formatTime } from '../loadable';
import { AuditReport } from './AuditReport';
import {
  chainBadge,
  defaultFilters,
  filterQuery,
  IAuditFilters,
  payloadSummary
} from './audit';

export function AuditPanel(props: IPanelProps): JSX.Element {
  const { client, trans } = props;
  const [draft, setDraft] = React.useState<IAuditFilters>(defaultFilters);
  const [filters, setFilters] = React.useState<IAuditFilters>(defaultFilters);
  const [chain, reloadChain] = useLoadable(
    () => client.verifyAudit(),
    [client]
  );
  const [events, reloadEvents] = useLoadable(
    () => client.listAuditEvents(filterQuery(filters)),
    [client, filters]
  );

  const refresh = () => {
    reloadChain();
    reloadEvents();
  };
  const field = (
    key: 'subject_prefix' | 'action' | 'actor',
    label: string,
    placeholder: string
  ) => (
    <label className="jp-Workbench-field">
      <span>{label}</span>
      <input
        value={draft[key]}
        placeholder={placeholder}
        onChange={event => setDraft({ ...draft, [key]: event.target.value })}
      />
    </label>
  );

  return (
    <section className="jp-Workbench-section" aria-label={trans.__('Audit')}>
      <SectionHeader
        title={trans.__('Audit log')}
        onRefresh={refresh}
        trans={trans}
      />
      <div className="jp-Workbench-chain" data-testid="workbench-chain">
        <Loaded state={chain} trans={trans} onRetry={reloadChain}>
          {report => (
            <>
              <Chip chip={chainBadge(report, trans)} />{' '}
              <span className="jp-Workbench-muted">
                {report.ok
                  ? trans.__(
                      '%1 events, head %2',
                      report.count,
                      report.head_hash.slice(0, 12)
                    )
                  : report.message}
              </span>
            </>
          )}
        </Loaded>
      </div>
      <details className="jp-Workbench-reportSection">
        <summary>{trans.__('Audit report')}</summary>
        <AuditReport {...props} />
      </details>
      <form
        className="jp-Workbench-filters"
        onSubmit={event => {
          event.preventDefault();
          setFilters(draft);
        }}
      >
        {field('subject_prefix', trans.__('Subject'), 'model:admissions')}
        {field('action', trans.__('Action'), 'model.')}
        {field('actor', trans.__('Actor'), 'ana@example.org')}
        <button type="submit" className="jp-Workbench-button">
          {trans.__('Filter')}
        </button>
      </form>
      <Loaded state={events} trans={trans} onRetry={reloadEvents}>
        {data =>
          data.events.length === 0 ? (
            <Empty>{trans.__('No audit events match these filters.')}</Empty>
          ) : (
            <ul
              className="jp-Workbench-list jp-Workbench-events"
              data-testid="workbench-events"
            >
              {data.events.map(event => (
                <EventRow key={event.seq} event={event} trans={trans} />
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function EventRow(props: {
  event: IAuditEvent;
  trans: TranslationBundle;
}): JSX.Element {
  const { event, trans } = props;
  return (
    <li data-seq={event.seq}>
      <details>
        <summary>
          <span className="jp-Workbench-seq">#{event.seq}</span>{' '}
          <strong>{event.action}</strong> <span>{event.subject}</span>
          <div className="jp-Workbench-muted">
            {formatTime(event.time)} · {event.actor}
            {payloadSummary(event.payload)
              ? ` · ${payloadSummary(event.payload)}`
              : ''}
          </div>
        </summary>
        <pre className="jp-Workbench-log">
          {JSON.stringify(event.payload, null, 2)}
        </pre>
        <div className="jp-Workbench-muted">
          {trans.__('hash %1', event.hash)}
        </div>
      </details>
    </li>
  );
}
