/**
 * The Schedules section: cron schedules of stages, added, paused, resumed and
 * removed from the panel (the `workbench schedule` verbs through the API).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { FieldProblems } from '../../promote/PromoteForm';
import { WorkbenchApiError } from '../../request';
import { ISchedule } from '../../tokens';
import { Empty, ErrorBox, Loaded, SectionHeader, useLoadable } from '../common';
import { IPanelProps } from '../context';
import { asApiError, formatTime } from '../loadable';

export function Schedules(
  props: IPanelProps & { stages: string[] }
): JSX.Element {
  const { client, trans, stages } = props;
  const [schedules, reload] = useLoadable(
    () => client.listSchedules(),
    [client]
  );
  const [error, setError] = React.useState<WorkbenchApiError | null>(null);
  const [draft, setDraft] = React.useState({ stage: '', cron: '', tz: 'UTC' });
  const [fieldErrors, setFieldErrors] = React.useState<Record<string, string>>(
    {}
  );

  const toggle = async (schedule: ISchedule) => {
    try {
      await client.pauseSchedule(schedule.id, !schedule.paused);
      setError(null);
    } catch (reason) {
      setError(asApiError(reason));
    }
    reload();
  };

  const remove = async (schedule: ISchedule) => {
    const answer = await showDialog({
      title: trans.__('Remove the schedule?'),
      body: trans.__(
        '%1 at "%2" (%3) will no longer run.',
        schedule.stage,
        schedule.cron,
        schedule.tz
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Remove') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await client.removeSchedule(schedule.id);
      setError(null);
    } catch (reason) {
      setError(asApiError(reason));
    }
    reload();
  };

  const add = async () => {
    const stage = draft.stage || stages[0] || '';
    const missing: Record<string, string> = {};
    if (!stage) {
      missing.stage = trans.__('Promote a notebook to a stage first');
    }
    if (!draft.cron.trim()) {
      missing.cron = trans.__('Five cron fields, e.g. 0 6 * * *');
    }
    setFieldErrors(missing);
    if (Object.keys(missing).length) {
      return;
    }
    try {
      await client.addSchedule(stage, draft.cron.trim(), draft.tz || 'UTC');
      setError(null);
      setDraft({ ...draft, cron: '' });
    } catch (reason) {
      const failed = asApiError(reason);
      // A bad cron or time zone belongs beside its field.
      if (/cron/i.test(failed.message)) {
        setFieldErrors({ cron: failed.message });
      } else if (/time ?zone|\btz\b/i.test(failed.message)) {
        setFieldErrors({ tz: failed.message });
      } else {
        setError(failed);
      }
      return;
    }
    reload();
  };

  return (
    <section
      className="jp-Workbench-section"
      aria-label={trans.__('Schedules')}
    >
      <SectionHeader
        title={trans.__('Schedules')}
        onRefresh={reload}
        trans={trans}
      />
      {error && <ErrorBox error={error} trans={trans} />}
      <Loaded state={schedules} trans={trans} onRetry={reload}>
        {data =>
          data.schedules.length === 0 ? (
            <Empty>{trans.__('No schedules. Add one below.')}</Empty>
          ) : (
            <ul className="jp-Workbench-list" data-testid="workbench-schedules">
              {data.schedules.map(schedule => (
                <li key={schedule.id} data-schedule={schedule.id}>
                  <span className="jp-Workbench-rowTitle">
                    {schedule.stage}
                  </span>{' '}
                  <code>{schedule.cron}</code>{' '}
                  <span className="jp-Workbench-muted">{schedule.tz}</span>{' '}
                  <span className="jp-Workbench-muted">
                    {schedule.paused
                      ? trans.__('paused')
                      : trans.__('next %1', formatTime(schedule.next_slot))}
                  </span>{' '}
                  <button
                    type="button"
                    className="jp-Workbench-linkButton"
                    onClick={() => toggle(schedule)}
                  >
                    {schedule.paused ? trans.__('Resume') : trans.__('Pause')}
                  </button>{' '}
                  <button
                    type="button"
                    className="jp-Workbench-linkButton"
                    onClick={() => void remove(schedule)}
                  >
                    {trans.__('Remove')}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <form
        className="jp-Workbench-scheduleForm jp-Workbench-form"
        data-testid="workbench-schedule-form"
        onSubmit={event => {
          event.preventDefault();
          void add();
        }}
      >
        <label className="jp-Workbench-field jp-Workbench-promote">
          <span>{trans.__('Stage')}</span>
          <select
            name="schedule-stage"
            value={draft.stage || stages[0] || ''}
            onChange={e => setDraft({ ...draft, stage: e.target.value })}
          >
            {stages.map(name => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <FieldProblems
            problems={fieldErrors.stage ? [fieldErrors.stage] : []}
          />
        </label>
        <label className="jp-Workbench-field">
          <span>{trans.__('Cron')}</span>
          <input
            name="schedule-cron"
            placeholder="0 6 * * *"
            value={draft.cron}
            aria-invalid={Boolean(fieldErrors.cron)}
            onChange={e => setDraft({ ...draft, cron: e.target.value })}
          />
          <FieldProblems
            problems={fieldErrors.cron ? [fieldErrors.cron] : []}
          />
        </label>
        <label className="jp-Workbench-field">
          <span>{trans.__('Time zone')}</span>
          <input
            name="schedule-tz"
            value={draft.tz}
            aria-invalid={Boolean(fieldErrors.tz)}
            onChange={e => setDraft({ ...draft, tz: e.target.value })}
          />
          <FieldProblems problems={fieldErrors.tz ? [fieldErrors.tz] : []} />
        </label>
        <button type="submit" className="jp-Workbench-button">
          {trans.__('Add schedule')}
        </button>
      </form>
    </section>
  );
}
