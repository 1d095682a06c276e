/**
 * The Audit panel's report section: pick a model and a version, generate the
 * self-contained audit report (the Models panel's export, `POST .../reports`),
 * open it in a sandboxed tab through the API, and download it.
 */
import * as React from 'react';

import { IReportResponse } from '../../tokens';
import { Empty, ErrorBox, Loaded, useLoadable } from '../common';
import { IPanelProps } from '../context';
import { asApiError } from '../loadable';
import { reportTab } from '../models/models';
import { WorkbenchApiError } from '../../request';

export function AuditReport(props: IPanelProps): JSX.Element {
  const { client, trans, actions } = props;
  const [models] = useLoadable(() => client.listModels(), [client]);
  const [model, setModel] = React.useState('');
  const [version, setVersion] = React.useState(0);
  const [busy, setBusy] = React.useState(false);
  const [written, setWritten] = React.useState<IReportResponse | null>(null);
  const [error, setError] = React.useState<WorkbenchApiError | null>(null);

  const generate = async (name: string, chosen: number) => {
    setBusy(true);
    setError(null);
    try {
      const report = await client.writeReport(name, chosen);
      setWritten(report);
      actions.openHtml(reportTab(client, report.path));
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      className="jp-Workbench-auditReport"
      data-testid="workbench-audit-report"
    >
      <Loaded state={models} trans={trans}>
        {data => {
          if (data.models.length === 0) {
            return (
              <Empty>
                {trans.__(
                  'No models yet: register one to write its audit report.'
                )}
              </Empty>
            );
          }
          const name = model || data.models[0].name;
          const summary =
            data.models.find(m => m.name === name) ?? data.models[0];
          const chosen = version || summary.latest_version;
          const versions = Array.from(
            { length: summary.latest_version },
            (_, i) => summary.latest_version - i
          );
          return (
            <form
              className="jp-Workbench-reportForm"
              onSubmit={event => {
                event.preventDefault();
                void generate(name, chosen);
              }}
            >
              <label className="jp-Workbench-field">
                <span>{trans.__('Model')}</span>
                <select
                  name="report-model"
                  value={name}
                  onChange={e => {
                    setModel(e.target.value);
                    setVersion(0);
                  }}
                >
                  {data.models.map(m => (
                    <option key={m.name} value={m.name}>
                      {m.name}
                    </option>
                  ))}
                </select>
              </label>
              <label className="jp-Workbench-field">
                <span>{trans.__('Version')}</span>
                <select
                  name="report-version"
                  value={chosen}
                  onChange={e => setVersion(Number(e.target.value))}
                >
                  {versions.map(v => (
                    <option key={v} value={v}>
                      {`v${v}`}
                    </option>
                  ))}
                </select>
              </label>
              <button
                type="submit"
                className="jp-Workbench-button"
                disabled={busy}
                data-testid="workbench-audit-report-generate"
              >
                {busy
                  ? trans.__('Writing…')
                  : trans.__('Generate audit report')}
              </button>
            </form>
          );
        }}
      </Loaded>
      {error && <ErrorBox error={error} trans={trans} />}
      {written && (
        <p className="jp-Workbench-hint" role="status">
          {trans.__(
            'Audit report for %1 written to %2. ',
            written.ref,
            written.path
          )}
          <button
            type="button"
            className="jp-Workbench-linkButton"
            onClick={() => actions.openHtml(reportTab(client, written.path))}
          >
            {trans.__('Open')}
          </button>{' '}
          <a href={written.download_url} download>
            {trans.__('Download')}
          </a>
        </p>
      )}
    </div>
  );
}
