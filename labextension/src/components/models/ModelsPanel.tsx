/**
 * The Models panel: registered models, then a model's versions with status
 * chips, then one version's detail (VersionDetail) with the review buttons.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IModelSummary, IVersionSummary } from '../../tokens';
import { WorkbenchApiError } from '../../request';
import {
  Chip,
  Empty,
  ErrorBox,
  Loaded,
  SectionHeader,
  useLoadable
} from '../common';
import { INavigation, IPanelProps, ShowTab } from '../context';
import { asApiError } from '../loadable';
import {
  keyMetricLabel,
  matchesModel,
  matchesVersion,
  versionChips
} from './models';
import { IModelMetrics } from '../../tokens';
import { Loadable } from '../loadable';

function keyMetricOf(
  state: Loadable<IModelMetrics>
): (version: number) => string | null {
  return version =>
    state.status === 'ready' ? keyMetricLabel(state.data, version) : null;
}
import { SloBreachBadge } from '../monitoring/MonitoringSection';
import { RolloutSection } from '../rollout/RolloutSection';
import { VersionDetail } from './VersionDetail';

export interface IModelsPanelProps extends IPanelProps {
  navigation: INavigation;
  /**
   * Switch tabs (the model's "Monitoring" link); by default nothing.
   */
  showTab?: ShowTab;
}

export function ModelsPanel(props: IModelsPanelProps): JSX.Element {
  const { client, trans, navigation } = props;
  const [models, reload] = useLoadable(() => client.listModels(), [client]);
  const [selected, setSelected] = React.useState<string | null>(null);
  const [version, setVersion] = React.useState<number | null>(null);
  const [query, setQuery] = React.useState('');

  // A command ("Open review for model…") asked for a model: show it.
  React.useEffect(() => {
    if (navigation.model) {
      setSelected(navigation.model);
      setVersion(navigation.version ?? null);
    }
  }, [navigation.serial]);

  if (selected) {
    return (
      <ModelVersions
        {...props}
        name={selected}
        version={version}
        onVersion={setVersion}
        onBack={() => {
          setSelected(null);
          setVersion(null);
          reload();
        }}
      />
    );
  }
  return (
    <section className="jp-Workbench-section" aria-label={trans.__('Models')}>
      <SectionHeader
        title={trans.__('Models')}
        onRefresh={reload}
        busy={models.status === 'loading'}
        trans={trans}
      />
      <Loaded state={models} trans={trans} onRetry={reload}>
        {data =>
          data.models.length === 0 ? (
            <Empty>
              {trans.__(
                'No models registered yet. Register one from a notebook with wb.register(...), or run a promoted training stage from the Pipelines tab.'
              )}
            </Empty>
          ) : (
            <>
              <SearchBox
                value={query}
                onChange={setQuery}
                label={trans.__('Filter models')}
                placeholder={trans.__('Filter by name or alias')}
              />
              <ul className="jp-Workbench-list" data-testid="workbench-models">
                {data.models
                  .filter(model => matchesModel(model, query))
                  .map(model => (
                    <ModelRow
                      key={model.name}
                      model={model}
                      onOpen={() => setSelected(model.name)}
                      trans={trans}
                      badge={
                        <SloBreachBadge
                          client={client}
                          trans={trans}
                          name={model.name}
                        />
                      }
                    />
                  ))}
              </ul>
            </>
          )
        }
      </Loaded>
    </section>
  );
}

function SearchBox(props: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  placeholder: string;
}): JSX.Element {
  return (
    <input
      type="search"
      className="jp-Workbench-search"
      aria-label={props.label}
      placeholder={props.placeholder}
      value={props.value}
      onChange={event => props.onChange(event.target.value)}
    />
  );
}

function ModelRow(props: {
  model: IModelSummary;
  onOpen: () => void;
  trans: TranslationBundle;
  badge?: React.ReactNode;
}): JSX.Element {
  const { model, onOpen, trans, badge } = props;
  return (
    <li>
      <button
        type="button"
        className="jp-Workbench-rowButton"
        onClick={onOpen}
        data-model={model.name}
      >
        <span className="jp-Workbench-rowTitle">{model.name}</span>
        <span className="jp-Workbench-muted">
          {trans._n(
            'latest v%1 · %2 version',
            'latest v%1 · %2 versions',
            model.versions,
            model.latest_version,
            model.versions
          )}
        </span>
        {Object.entries(model.aliases).map(([alias, version]) => (
          <Chip
            key={alias}
            chip={{
              label: `@${alias} → v${version}`,
              kind: 'info',
              title: alias
            }}
          />
        ))}
        {badge}
      </button>
    </li>
  );
}

function ModelVersions(
  props: IModelsPanelProps & {
    name: string;
    version: number | null;
    onVersion: (version: number | null) => void;
    onBack: () => void;
  }
): JSX.Element {
  const { client, trans, name, version, onVersion, onBack } = props;
  const [versions, reload] = useLoadable(
    () => client.listVersions(name),
    [client, name]
  );
  const [serial, setSerial] = React.useState(0);
  // Pages after the first, loaded on demand ("Show older versions").
  const [older, setOlder] = React.useState<IOlderVersions>(noOlderVersions);
  const [query, setQuery] = React.useState('');
  const [metrics] = useLoadable(
    () => client.modelMetrics(name),
    [client, name, serial]
  );
  const keyMetric = keyMetricOf(metrics);

  const changed = React.useCallback(() => {
    setOlder(noOlderVersions);
    reload();
    setSerial(value => value + 1);
  }, [reload]);

  const showOlder = async (cursor: string) => {
    setOlder(state => ({ ...state, loading: true, error: null }));
    try {
      const page = await client.listVersions(name, undefined, cursor);
      setOlder(state => ({
        rows: [...state.rows, ...page.versions],
        cursor: page.next_cursor,
        loading: false,
        error: null
      }));
    } catch (reason) {
      setOlder(state => ({
        ...state,
        loading: false,
        error: asApiError(reason)
      }));
    }
  };

  return (
    <section
      className="jp-Workbench-section"
      aria-label={trans.__('Model %1', name)}
    >
      <SectionHeader
        title={name}
        onRefresh={changed}
        busy={versions.status === 'loading'}
        trans={trans}
      >
        <button
          type="button"
          className="jp-Workbench-linkButton"
          onClick={onBack}
        >
          {trans.__('All models')}
        </button>
      </SectionHeader>
      <Loaded state={versions} trans={trans} onRetry={reload}>
        {data => {
          const current = version ?? data.versions[0]?.version ?? null;
          const rows = [...data.versions, ...older.rows];
          const cursor =
            older.cursor === undefined ? data.next_cursor : older.cursor;
          return (
            <>
              <div
                className="jp-Workbench-monitoringLink"
                data-testid="workbench-monitoring-link"
              >
                <SloBreachBadge
                  key={serial}
                  client={client}
                  trans={trans}
                  name={name}
                />
                <button
                  type="button"
                  className="jp-Workbench-linkButton"
                  onClick={() => props.showTab?.('monitoring', { model: name })}
                >
                  {trans.__('Monitoring: service levels, outcomes, charts')}
                </button>
              </div>
              <RolloutSection
                key={serial}
                client={client}
                trans={trans}
                name={name}
              />
              <SearchBox
                value={query}
                onChange={setQuery}
                label={trans.__('Filter versions')}
                placeholder={trans.__('Filter: v3, author, @alias, rejected…')}
              />
              <ul
                className="jp-Workbench-list"
                data-testid="workbench-versions"
              >
                {rows
                  .filter(row => matchesVersion(row, query, trans))
                  .map(row => (
                    <VersionRow
                      key={row.version}
                      row={row}
                      metric={keyMetric(row.version)}
                      selected={row.version === current}
                      onSelect={() => onVersion(row.version)}
                      {...props}
                    />
                  ))}
              </ul>
              {older.error && <ErrorBox error={older.error} trans={trans} />}
              {cursor && (
                <button
                  type="button"
                  className="jp-Workbench-linkButton"
                  data-testid="workbench-older-versions"
                  disabled={older.loading}
                  onClick={() => void showOlder(cursor)}
                >
                  {trans.__('Show older versions')}
                </button>
              )}
              {current !== null && (
                <VersionDetail
                  {...props}
                  key={`${name}:${current}:${serial}`}
                  name={name}
                  version={current}
                  onChanged={changed}
                />
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

interface IOlderVersions {
  rows: IVersionSummary[];
  /** Where the next page starts; undefined until one is loaded (the first page's then). */
  cursor?: string | null;
  loading: boolean;
  error: WorkbenchApiError | null;
}

const noOlderVersions: IOlderVersions = {
  rows: [],
  loading: false,
  error: null
};

function VersionRow(
  props: IPanelProps & {
    row: IVersionSummary;
    metric: string | null;
    selected: boolean;
    onSelect: () => void;
  }
): JSX.Element {
  const { row, metric, selected, onSelect, trans } = props;
  return (
    <li>
      <button
        type="button"
        className={`jp-Workbench-rowButton${selected ? ' jp-mod-selected' : ''}`}
        aria-pressed={selected}
        onClick={onSelect}
        data-version={row.version}
      >
        <span className="jp-Workbench-rowTitle">
          {trans.__('v%1', row.version)}
        </span>
        {metric && (
          <span
            className="jp-Workbench-keyMetric"
            data-testid="workbench-key-metric"
          >
            {metric}
          </span>
        )}
        <span className="jp-Workbench-muted">{row.author}</span>
        <span className="jp-Workbench-chips">
          {versionChips(row, trans).map(chip => (
            <Chip key={chip.label} chip={chip} />
          ))}
        </span>
      </button>
    </li>
  );
}
