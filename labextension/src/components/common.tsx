/**
 * Small building blocks every panel shares: loading, error and empty states,
 * chips, buttons that say why they are disabled, and a hook that loads (and
 * optionally polls) server data.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { WorkbenchApiError } from '../request';
import { ILogResponse } from '../tokens';
import { asApiError, load, Loadable, refreshing } from './loadable';
import { IChip } from './models/models';

/**
 * Load `fetch` on mount and whenever `deps` change; `reload()` loads again
 * keeping the old data on screen. With `pollMs(data)` returning a number, the
 * hook polls that often (and stops when it returns null).
 */
export function useLoadable<T>(
  fetch: () => Promise<T>,
  deps: React.DependencyList,
  pollMs?: (data: T) => number | null
): [Loadable<T>, () => void] {
  const [state, setState] = React.useState<Loadable<T>>({ status: 'loading' });
  const mounted = React.useRef(true);
  const generation = React.useRef(0);

  // The caller lists what `fetch` depends on, as with React.useCallback.
  const run = React.useCallback(fetch, deps);

  const reload = React.useCallback(() => {
    const mine = ++generation.current;
    setState(refreshing);
    void load(run).then(next => {
      // A late answer to an older request must not overwrite a newer one.
      if (mounted.current && mine === generation.current) {
        setState(next);
      }
    });
  }, [run]);

  React.useEffect(() => {
    mounted.current = true;
    setState({ status: 'loading' });
    reload();
    return () => {
      mounted.current = false;
    };
  }, [reload]);

  const interval =
    pollMs && state.status === 'ready' ? pollMs(state.data) : null;
  React.useEffect(() => {
    if (interval === null) {
      return;
    }
    const timer = window.setTimeout(reload, interval);
    return () => window.clearTimeout(timer);
  }, [interval, state, reload]);

  return [state, reload];
}

export function Loading(props: { trans: TranslationBundle }): JSX.Element {
  return (
    <p className="jp-Workbench-muted" role="status">
      {props.trans.__('Loading…')}
    </p>
  );
}

export function ErrorBox(props: {
  error: WorkbenchApiError;
  onRetry?: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { error, onRetry, trans } = props;
  const details = Array.isArray(error.details) ? error.details.map(String) : [];
  return (
    <div className="jp-Workbench-error" role="alert">
      <strong>{error.error}</strong>
      <p>{error.message}</p>
      {details.length > 0 && (
        <ul className="jp-Workbench-problems">
          {details.map(line => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button
          type="button"
          className="jp-Workbench-linkButton"
          onClick={onRetry}
        >
          {trans.__('Try again')}
        </button>
      )}
    </div>
  );
}

export function Empty(props: { children: React.ReactNode }): JSX.Element {
  return (
    <p className="jp-Workbench-empty" role="note">
      {props.children}
    </p>
  );
}

export function Chip(props: { chip: IChip }): JSX.Element {
  const { chip } = props;
  return (
    <span
      className={`jp-Workbench-chip jp-Workbench-chip-${chip.kind}`}
      title={chip.title}
    >
      {chip.label}
    </span>
  );
}

/**
 * A button that, when disabled, shows why right under it (not only in a tooltip).
 */
export function ActionButton(props: {
  label: string;
  onClick: () => void;
  disabled?: boolean;
  reason?: string;
  primary?: boolean;
  testId?: string;
}): JSX.Element {
  const { label, onClick, disabled, reason, primary, testId } = props;
  const reasonId = React.useId();
  return (
    <div className="jp-Workbench-action">
      <button
        type="button"
        className={`jp-Workbench-button${primary ? ' jp-mod-accept' : ''}`}
        onClick={onClick}
        disabled={disabled}
        title={disabled && reason ? reason : label}
        aria-describedby={disabled && reason ? reasonId : undefined}
        data-testid={testId}
      >
        {label}
      </button>
      {disabled && reason && (
        <span id={reasonId} className="jp-Workbench-reason">
          {reason}
        </span>
      )}
    </div>
  );
}

/**
 * A section title with a refresh button.
 */
export function SectionHeader(props: {
  title: string;
  onRefresh?: () => void;
  busy?: boolean;
  trans: TranslationBundle;
  children?: React.ReactNode;
}): JSX.Element {
  const { title, onRefresh, busy, trans, children } = props;
  return (
    <header className="jp-Workbench-sectionHeader">
      <h3 className="jp-Workbench-sectionTitle">{title}</h3>
      <span className="jp-Workbench-headerTools">
        {children}
        {onRefresh && (
          <button
            type="button"
            className="jp-Workbench-iconButton"
            title={trans.__('Refresh')}
            aria-label={trans.__('Refresh %1', title)}
            onClick={onRefresh}
            disabled={busy}
          >
            <refreshIcon.react tag="span" elementPosition="center" />
          </button>
        )}
      </span>
    </header>
  );
}

/**
 * Render a Loadable: loading, error (with retry), or `children(data)`.
 */
export function Loaded<T>(props: {
  state: Loadable<T>;
  trans: TranslationBundle;
  onRetry?: () => void;
  children: (data: T) => React.ReactNode;
}): JSX.Element {
  const { state, trans, onRetry, children } = props;
  if (state.status === 'loading') {
    return <Loading trans={trans} />;
  }
  if (state.status === 'error') {
    return <ErrorBox error={state.error} onRetry={onRetry} trans={trans} />;
  }
  return <>{children(state.data)}</>;
}

/**
 * A "Log" link that shows the end of a run's or job's log; it reloads while
 * `version` changes (the job's progress), so an open log follows the work.
 */
export function LogToggle(props: {
  load: () => Promise<ILogResponse>;
  version: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { load: fetchLog, version, trans } = props;
  const [open, setOpen] = React.useState(false);
  const [text, setText] = React.useState<string | null>(null);

  React.useEffect(() => {
    if (!open) {
      return;
    }
    let cancelled = false;
    void fetchLog().then(
      log => !cancelled && setText(log.text || trans.__('(the log is empty)')),
      reason => !cancelled && setText(asApiError(reason).message)
    );
    return () => {
      cancelled = true;
    };
  }, [open, version]);

  return (
    <>
      <button
        type="button"
        className="jp-Workbench-linkButton"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {open ? trans.__('Hide log') : trans.__('Log')}
      </button>
      {open && (
        <pre className="jp-Workbench-log">{text ?? trans.__('Loading…')}</pre>
      )}
    </>
  );
}
