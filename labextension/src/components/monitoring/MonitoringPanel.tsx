/**
 * The Monitoring panel, the sidebar's sixth tab: after the decision, per model,
 * whether the policy's service levels hold (chips with the breach's evidence),
 * which versions to retrain and why, how many decisions have ground truth yet,
 * and the charts of the window's jobs with a window selector (MonitoringSection).
 * A model is picked from the registered ones; the Models panel's "Monitoring"
 * link and the commands open it on a given model.
 */
import * as React from 'react';

import { Empty, Loaded, SectionHeader, useLoadable } from '../common';
import { INavigation, IPanelProps } from '../context';
import { MonitoringSection } from './MonitoringSection';

export interface IMonitoringPanelProps extends IPanelProps {
  navigation: INavigation;
}

export function MonitoringPanel(props: IMonitoringPanelProps): JSX.Element {
  const { client, trans, navigation } = props;
  const [models, reload] = useLoadable(() => client.listModels(), [client]);
  const [chosen, setChosen] = React.useState<string | null>(
    navigation.model ?? null
  );
  // Reloading keys the section too, so its figures and charts are read again.
  const [serial, setSerial] = React.useState(0);

  // A link or command asked for a model: show it.
  React.useEffect(() => {
    if (navigation.model) {
      setChosen(navigation.model);
    }
  }, [navigation.serial]);

  return (
    <section
      className="jp-Workbench-section"
      aria-label={trans.__('Monitoring')}
    >
      <SectionHeader
        title={trans.__('Monitoring')}
        onRefresh={() => {
          reload();
          setSerial(serial + 1);
        }}
        busy={models.status === 'loading'}
        trans={trans}
      />
      <Loaded state={models} trans={trans} onRetry={reload}>
        {data => {
          if (data.models.length === 0) {
            return (
              <Empty>
                {trans.__(
                  'No models registered yet. Monitoring starts once a version scores: its decisions are logged, then record outcomes with workbench outcomes add.'
                )}
              </Empty>
            );
          }
          const names = data.models.map(model => model.name);
          const name =
            chosen !== null && names.includes(chosen) ? chosen : names[0];
          return (
            <>
              <label className="jp-Workbench-monitoringPicker">
                <span className="jp-Workbench-muted">{trans.__('Model')}</span>
                <select
                  value={name}
                  aria-label={trans.__('Monitored model')}
                  data-testid="workbench-monitoring-model"
                  onChange={event => setChosen(event.target.value)}
                >
                  {names.map(option => (
                    <option key={option} value={option}>
                      {option}
                    </option>
                  ))}
                </select>
              </label>
              {chosen !== null && !names.includes(chosen) && (
                <p className="jp-Workbench-muted" role="status">
                  {trans.__(
                    'No model named %1 is registered; showing %2.',
                    chosen,
                    name
                  )}
                </p>
              )}
              <MonitoringSection
                key={`${name}:${serial}`}
                client={client}
                trans={trans}
                name={name}
              />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
