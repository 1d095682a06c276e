/**
 * The Models panel's Rollout section for one model: its shadow or canary as the
 * governing policy declares it (mode, champion and challenger, share, running
 * or ended), each arm's decisions, decision mix, review and override rates and
 * realized AUC, the comparisons with their intervals and whether each is more
 * than noise, the guards' state, and the last automatic rollback with its
 * evidence. Ending a rollout stays with the CLI, through the gate: the section
 * only shows the commands. Reading it records nothing.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { WorkbenchClient } from '../../api';
import { IModelRollout } from '../../tokens';
import { Chip, Loaded, useLoadable } from '../common';
import {
  armRows,
  comparisons,
  guardChips,
  lastRollback,
  rolloutChips,
  verdictText,
  windowText
} from './rollout';

export function RolloutSection(props: {
  client: WorkbenchClient;
  trans: TranslationBundle;
  name: string;
}): JSX.Element {
  const { client, trans, name } = props;
  const [rollout, reload] = useLoadable(
    () => client.rollout(name),
    [client, name]
  );
  return (
    <section
      className="jp-Workbench-monitoring"
      aria-label={trans.__('Rollout')}
      data-testid="workbench-rollout"
    >
      <h3 className="jp-Workbench-sectionTitle">{trans.__('Rollout')}</h3>
      <Loaded state={rollout} trans={trans} onRetry={reload}>
        {data => <RolloutBody data={data} trans={trans} />}
      </Loaded>
    </section>
  );
}

function RolloutBody(props: {
  data: IModelRollout;
  trans: TranslationBundle;
}): JSX.Element {
  const { data, trans } = props;
  const plan = data.rollout;
  const rollback = lastRollback(data.rollbacks, trans);
  return (
    <>
      {plan === null ? (
        <p className="jp-Workbench-muted" data-testid="workbench-no-rollout">
          {trans.__(
            'No rollout: the governing policy has no rollout section (shadow or canary, docs/rollout.md).'
          )}
        </p>
      ) : (
        <div
          className="jp-Workbench-chips"
          data-testid="workbench-rollout-chips"
        >
          {rolloutChips(plan, trans).map(chip => (
            <Chip key={chip.label} chip={chip} />
          ))}
        </div>
      )}
      {data.report && <Arms data={data} trans={trans} />}
      {plan && plan.guards.length > 0 && (
        <div
          className="jp-Workbench-chips"
          data-testid="workbench-rollout-guards"
        >
          {guardChips(plan.guards, trans).map(chip => (
            <Chip key={chip.label} chip={chip} />
          ))}
        </div>
      )}
      {rollback && (
        <div data-testid="workbench-rollout-rollback">
          <p className="jp-Workbench-breaches" title={rollback.time}>
            {rollback.summary}
          </p>
          <dl className="jp-Workbench-figures">
            {rollback.evidence.map(e => (
              <React.Fragment key={e.label}>
                <dt>{e.label}</dt>
                <dd>{e.value}</dd>
              </React.Fragment>
            ))}
          </dl>
        </div>
      )}
      {plan?.active && (
        <p
          className="jp-Workbench-muted"
          data-testid="workbench-rollout-commands"
        >
          {plan.mode === 'canary'
            ? trans.__(
                'End it through the gate: %1 (the canary becomes production) or %2.',
                data.commands.promote,
                data.commands.stop
              )
            : trans.__(
                'End it with %1; promote the challenger with workbench models promote.',
                data.commands.stop
              )}
        </p>
      )}
    </>
  );
}

function Arms(props: {
  data: IModelRollout;
  trans: TranslationBundle;
}): JSX.Element {
  const { data, trans } = props;
  const report = data.report!;
  if (!report.mode) {
    return (
      <p className="jp-Workbench-muted">
        {trans.__(
          'No rollout decisions yet: the service or workbench score --shadow logs them.'
        )}
      </p>
    );
  }
  const rows = armRows(data);
  const compared = comparisons(report, trans);
  return (
    <>
      <p className="jp-Workbench-muted" data-testid="workbench-rollout-window">
        {windowText(report, trans)}
      </p>
      <table
        className="jp-Workbench-table"
        data-testid="workbench-rollout-arms"
      >
        <thead>
          <tr>
            <th>{trans.__('arm')}</th>
            <th>{trans.__('decisions')}</th>
            <th>{trans.__('decision mix')}</th>
            <th>{trans.__('review')}</th>
            <th>{trans.__('override')}</th>
            <th>{trans.__('realized AUC (n)')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(row => (
            <tr key={row.arm}>
              <td>
                {row.version === null ? row.arm : `${row.arm} v${row.version}`}
              </td>
              <td>{row.decisions}</td>
              <td>{row.mix}</td>
              <td>{row.reviewRate}</td>
              <td>{row.overrideRate}</td>
              <td>{row.auc}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!report.with_outcomes?.outcomes && (
        <p className="jp-Workbench-muted">
          {trans.__(
            'No outcomes recorded yet (workbench outcomes add): no realized AUC or selection rates.'
          )}
        </p>
      )}
      {compared.length > 0 && (
        <ul data-testid="workbench-rollout-comparisons">
          {compared.map(c => (
            <li key={c.label}>
              {trans.__(
                '%1: %2 (95% %3): %4',
                c.label,
                c.value,
                c.interval,
                verdictText(c.moreThanNoise, trans)
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
