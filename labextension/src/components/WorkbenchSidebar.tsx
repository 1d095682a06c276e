/**
 * The "Workbench" left-sidebar panel: the server status, then one tab per area
 * (Models, Pipelines, Jobs, Review, Monitoring, Audit). Commands outside the sidebar switch
 * tabs and focus a model through its NavigationModel.
 */
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  buildIcon,
  inspectorIcon,
  LabIcon,
  lockIcon,
  ReactWidget,
  runningIcon,
  userIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { monitoringIcon, workbenchIcon } from '../icons';
import { AuditPanel } from './audit/AuditPanel';
import {
  INavigation,
  IWorkbenchActions,
  NavigationModel,
  ShowTab,
  TabId,
  TABS
} from './context';
import { HealthView } from './HealthView';
import { JobsPanel } from './jobs/JobsPanel';
import { load } from './loadable';
import { ModelsPanel } from './models/ModelsPanel';
import { MonitoringPanel } from './monitoring/MonitoringPanel';
import { PipelinesPanel } from './pipelines/PipelinesPanel';
import { ReviewPanel } from './review/ReviewPanel';

export const SIDEBAR_ID = 'workbench-sidebar';

export interface IWorkbenchSidebarOptions {
  trans: TranslationBundle;
  /**
   * The server connection; by default the page's own.
   */
  serverSettings?: ServerConnection.ISettings;
  /**
   * What the panels may ask JupyterLab to do; by default nothing.
   */
  actions?: IWorkbenchActions;
  navigation?: NavigationModel;
}

const noActions: IWorkbenchActions = {
  openPath: () => undefined,
  openDriftReport: () => undefined,
  openUrl: () => undefined,
  openModelPage: () => undefined,
  openHtml: () => undefined,
  signInKernel: () =>
    Promise.reject(new Error('No kernel is available to sign with here.'))
};

export class WorkbenchSidebar extends ReactWidget {
  constructor(options: IWorkbenchSidebarOptions) {
    super();
    this._trans = options.trans;
    this._client = new WorkbenchClient(options.serverSettings);
    this._actions = options.actions ?? noActions;
    this.navigation = options.navigation ?? new NavigationModel();
    this.id = SIDEBAR_ID;
    this.title.icon = workbenchIcon;
    this.title.caption = this._trans.__('Workbench');
    this.addClass('jp-Workbench-sidebar');
  }

  readonly navigation: NavigationModel;

  /**
   * Show a tab, optionally focusing a model (and version) in the Models tab.
   */
  showTab(tab: TabId, focus: { model?: string; version?: number } = {}): void {
    this.navigation.show(tab, focus);
  }

  protected render(): JSX.Element {
    return (
      <div className="jp-Workbench-panel">
        <h2 className="jp-Workbench-title">{this._trans.__('Workbench')}</h2>
        <HealthView load={this._loadHealth} trans={this._trans} />
        <Tabs
          navigation={this.navigation}
          client={this._client}
          trans={this._trans}
          actions={this._actions}
        />
      </div>
    );
  }

  // Stable across renders, so HealthView loads once per mount, not per render.
  private readonly _loadHealth = () => load(() => this._client.health());

  private readonly _trans: TranslationBundle;
  private readonly _client: WorkbenchClient;
  private readonly _actions: IWorkbenchActions;
}

function useNavigation(model: NavigationModel): INavigation {
  const [state, setState] = React.useState(model.state);
  React.useEffect(() => {
    const changed = (_: NavigationModel, next: INavigation) => setState(next);
    model.changed.connect(changed);
    return () => {
      model.changed.disconnect(changed);
    };
  }, [model]);
  return state;
}

function Tabs(props: {
  navigation: NavigationModel;
  client: WorkbenchClient;
  trans: TranslationBundle;
  actions: IWorkbenchActions;
}): JSX.Element {
  const { navigation, trans } = props;
  const state = useNavigation(navigation);
  const labels: Record<TabId, string> = {
    models: trans.__('Models'),
    pipelines: trans.__('Pipelines'),
    jobs: trans.__('Jobs'),
    review: trans.__('Review'),
    monitoring: trans.__('Monitoring'),
    audit: trans.__('Audit')
  };
  const icons: Record<TabId, LabIcon> = {
    models: inspectorIcon,
    pipelines: buildIcon,
    jobs: runningIcon,
    review: userIcon,
    monitoring: monitoringIcon,
    audit: lockIcon
  };
  const tabRefs = React.useRef<Record<string, HTMLButtonElement | null>>({});

  const onKeyDown = (event: React.KeyboardEvent) => {
    const step =
      event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) {
      return;
    }
    event.preventDefault();
    const next =
      TABS[(TABS.indexOf(state.tab) + step + TABS.length) % TABS.length];
    navigation.show(next);
    tabRefs.current[next]?.focus();
  };

  return (
    <>
      <div
        className="jp-Workbench-tabs"
        role="tablist"
        aria-label={trans.__('Workbench areas')}
        onKeyDown={onKeyDown}
      >
        {TABS.map(tab => (
          <button
            key={tab}
            ref={node => {
              tabRefs.current[tab] = node;
            }}
            type="button"
            role="tab"
            id={`workbench-tab-${tab}`}
            aria-selected={state.tab === tab}
            aria-controls={`workbench-tabpanel-${tab}`}
            tabIndex={state.tab === tab ? 0 : -1}
            className={`jp-Workbench-tab${state.tab === tab ? ' jp-mod-current' : ''}`}
            aria-label={labels[tab]}
            title={labels[tab]}
            onClick={() => navigation.show(tab)}
          >
            <TabIcon icon={icons[tab]} />
            <span className="jp-Workbench-tabLabel">{labels[tab]}</span>
          </button>
        ))}
      </div>
      <div
        className="jp-Workbench-tabPanel"
        role="tabpanel"
        id={`workbench-tabpanel-${state.tab}`}
        aria-labelledby={`workbench-tab-${state.tab}`}
      >
        <ActivePanel
          client={props.client}
          trans={trans}
          actions={props.actions}
          state={state}
          showTab={(tab, focus) => navigation.show(tab, focus)}
        />
      </div>
    </>
  );
}

function TabIcon(props: { icon: LabIcon }): JSX.Element {
  return (
    <props.icon.react
      tag="span"
      className="jp-Workbench-tabIcon"
      elementPosition="center"
      height="14px"
      width="14px"
    />
  );
}

function ActivePanel(props: {
  state: INavigation;
  client: WorkbenchClient;
  trans: TranslationBundle;
  actions: IWorkbenchActions;
  showTab: ShowTab;
}): JSX.Element {
  const { state, showTab, ...panel } = props;
  switch (state.tab) {
    case 'models':
      return <ModelsPanel {...panel} navigation={state} showTab={showTab} />;
    case 'pipelines':
      // Keyed by the navigation's serial: showing the tab again (after a promotion adds a
      // stage, say) reloads it even when it is already the active tab.
      return <PipelinesPanel key={state.serial} {...panel} />;
    case 'jobs':
      return <JobsPanel {...panel} />;
    case 'review':
      return <ReviewPanel {...panel} />;
    case 'monitoring':
      return <MonitoringPanel {...panel} navigation={state} />;
    case 'audit':
      return <AuditPanel {...panel} />;
  }
}
