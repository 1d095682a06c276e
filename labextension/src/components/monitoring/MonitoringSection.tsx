/**
 * The Monitoring panel's view of one model: the policy's SLOs as chips (met,
 * breached, no data), each breach spelled out beneath them with its observed
 * value, window and evidence; the versions to retrain and why; how many
 * decisions have ground truth yet; the charts of the window's jobs (drawn with
 * vega-embed from the server's Vega-Lite specs); and the monitoring report's
 * figures per version over a chosen window. Reading it records nothing;
 * `workbench slo check` records breaches.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { WorkbenchClient } from '../../api';
import { IModelMonitoring } from '../../tokens';
import { Chip, Empty, Loaded, useLoadable } from '../common';
import { MonitoringCharts } from './MonitoringCharts';
import {
  breachBadge,
  breachNotes,
  coverageLines,
  newestStatuses,
  retrainNotes,
  sloChips,
  windowFigures
} from './monitoring';

const WINDOWS = ['30d', '7d', '90d', 'job'];

export function MonitoringSection(props: {
  client: WorkbenchClient;
  trans: TranslationBundle;
  name: string;
}): JSX.Element {
  const { client, trans, name } = props;
  const [window, setWindow] = React.useState('30d');
  const [monitoring, reload] = useLoadable(
    () => client.monitoring(name, window),
    [client, name, window]
  );
  return (
    <section
      className="jp-Workbench-monitoring"
      aria-label={trans.__('Monitoring of %1', name)}
      data-testid="workbench-monitoring"
    >
      <div className="jp-Workbench-monitoringHeader">
        <h3 className="jp-Workbench-sectionTitle">{name}</h3>
        <label className="jp-Workbench-muted">
          {trans.__('Window')}{' '}
          <select
            value={window}
            aria-label={trans.__('Monitoring window')}
            onChange={event => setWindow(event.target.value)}
          >
            {WINDOWS.map(w => (
              <option key={w} value={w}>
                {w === 'job' ? trans.__('per job') : w}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Loaded state={monitoring} trans={trans} onRetry={reload}>
        {data => (
          <>
            {data.slos.length > 0 ? (
              <>
                <div
                  className="jp-Workbench-chips"
                  data-testid="workbench-slos"
                >
                  {sloChips(newestStatuses(data), trans).map(chip => (
                    <Chip key={chip.label} chip={chip} />
                  ))}
                </div>
                <BreachNotes notes={breachNotes(newestStatuses(data), trans)} />
              </>
            ) : (
              <p className="jp-Workbench-muted">
                {trans.__(
                  'The policy sets no service levels (monitoring.slos).'
                )}
              </p>
            )}
            <RetrainNotes data={data} trans={trans} />
            {data.rows.length > 0 && (
              <div
                className="jp-Workbench-monitoringCoverage"
                data-testid="workbench-outcome-coverage"
              >
                <h4 className="jp-Workbench-subTitle">
                  {trans.__('Outcome coverage')}
                </h4>
                <ul className="jp-Workbench-plainList">
                  {coverageLines(data.rows, trans).map(line => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              </div>
            )}
            <MonitoringCharts charts={data.charts} trans={trans} />
            {data.rows.length === 0 ? (
              <Empty>
                {trans.__(
                  'No logged decisions in this window. Score with the model, then record outcomes with workbench outcomes add.'
                )}
              </Empty>
            ) : (
              data.rows.map(row => (
                <div
                  key={`${row.version}:${row.window}`}
                  className="jp-Workbench-monitoringRow"
                >
                  <div className="jp-Workbench-rowTitle">
                    {trans.__('v%1 · %2', row.version, row.window)}
                  </div>
                  <dl className="jp-Workbench-figures">
                    {windowFigures(row, trans).map(f => (
                      <React.Fragment key={f.label}>
                        <dt>{f.label}</dt>
                        <dd>{f.value}</dd>
                      </React.Fragment>
                    ))}
                  </dl>
                  {row.drifted_columns.length > 0 && (
                    <p className="jp-Workbench-muted">
                      {trans.__('Drifted: %1', row.drifted_columns.join(', '))}
                    </p>
                  )}
                </div>
              ))
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function RetrainNotes(props: {
  data: IModelMonitoring;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { data, trans } = props;
  const notes = retrainNotes(data, trans);
  if (notes.length === 0) {
    return null;
  }
  return (
    <div
      className="jp-Workbench-retrain"
      data-testid="workbench-retrain"
      role="status"
    >
      <h4 className="jp-Workbench-subTitle">
        {trans.__('Retraining recommended')}
      </h4>
      <ul className="jp-Workbench-plainList">
        {notes.map(note => (
          <li key={note.key} data-trigger={note.trigger}>
            <span>{note.text}</span>{' '}
            <span className="jp-Workbench-muted">{note.action}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function BreachNotes(props: { notes: string[] }): JSX.Element | null {
  return props.notes.length > 0 ? (
    <ul className="jp-Workbench-breaches" data-testid="workbench-slo-breaches">
      {props.notes.map(note => (
        <li key={note}>{note}</li>
      ))}
    </ul>
  ) : null;
}

/**
 * The Models list's badge: how many objectives are breached, nothing when none
 * (or when monitoring cannot be read: the row stays as it was).
 */
export function SloBreachBadge(props: {
  client: WorkbenchClient;
  trans: TranslationBundle;
  name: string;
}): JSX.Element | null {
  const { client, trans, name } = props;
  const [monitoring] = useLoadable(
    () => client.monitoring(name, undefined, { charts: false }),
    [client, name]
  );
  if (monitoring.status !== 'ready') {
    return null;
  }
  const chip = breachBadge(monitoring.data, trans);
  return chip ? (
    <span data-testid="workbench-slo-badge">
      <Chip chip={chip} />
    </span>
  ) : null;
}
