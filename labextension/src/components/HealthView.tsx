/**
 * The server status section: what the workbench server extension answers on
 * `/workbench/api/health`, with loading and error states and a refresh button.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IHealthResponse } from '../tokens';
import { healthRows } from './health';
import { Loadable } from './loadable';

export interface IHealthViewProps {
  /**
   * Fetch the health answer and return the next state; must not reject.
   */
  load: () => Promise<Loadable<IHealthResponse>>;
  trans: TranslationBundle;
}

export function HealthView(props: IHealthViewProps): JSX.Element {
  const { load, trans } = props;
  const [state, setState] = React.useState<Loadable<IHealthResponse>>({
    status: 'loading'
  });
  const mounted = React.useRef(true);

  const refresh = React.useCallback(() => {
    setState({ status: 'loading' });
    void load().then(next => {
      if (mounted.current) {
        setState(next);
      }
    });
  }, [load]);

  React.useEffect(() => {
    mounted.current = true;
    refresh();
    return () => {
      mounted.current = false;
    };
  }, [refresh]);

  return (
    <section
      className="jp-Workbench-section"
      aria-busy={state.status === 'loading'}
    >
      <header className="jp-Workbench-sectionHeader">
        <h3 className="jp-Workbench-sectionTitle">{trans.__('Server')}</h3>
        <button
          type="button"
          className="jp-Workbench-iconButton"
          title={trans.__('Refresh')}
          aria-label={trans.__('Refresh server status')}
          onClick={refresh}
          disabled={state.status === 'loading'}
        >
          <refreshIcon.react tag="span" elementPosition="center" />
        </button>
      </header>
      <HealthBody state={state} trans={trans} />
    </section>
  );
}

function HealthBody(props: {
  state: Loadable<IHealthResponse>;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans } = props;
  if (state.status === 'loading') {
    return <p className="jp-Workbench-muted">{trans.__('Loading…')}</p>;
  }
  if (state.status === 'error') {
    return (
      <div className="jp-Workbench-error" role="alert">
        <strong>{state.error.error}</strong>
        <p>{state.error.message}</p>
      </div>
    );
  }
  const health = state.data;
  return (
    <>
      <dl className="jp-Workbench-facts">
        {healthRows(health, trans).map(row => (
          <React.Fragment key={row.label}>
            <dt>{row.label}</dt>
            <dd title={row.value}>{row.value}</dd>
          </React.Fragment>
        ))}
      </dl>
      {health.hint && (
        <p className="jp-Workbench-hint" role="note">
          {health.hint}
        </p>
      )}
    </>
  );
}
