/**
 * The sections of the model page, each from the version's review state or one API
 * call: checks with evidence, fairness per group, calibration, SHAP, drift, lineage,
 * the input contract, the gate and approvals, alias history, jobs, artifacts.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { Chip, Empty, Loaded, useLoadable } from '../components/common';
import { IHtmlTab } from '../components/context';
import { formatNumber, formatTime } from '../components/loadable';
import { driftSummary } from '../components/models/models';
import { IJob, IModelVersion, IReviewState } from '../tokens';
import {
  artifacts,
  calibrationRows,
  contractColumns,
  environmentRows,
  fairnessGaps,
  fairnessGroups,
  formatBytes,
  IArtifact,
  ICell,
  lineageRows,
  parameterRows
} from './page';

export interface ISectionProps {
  client: WorkbenchClient;
  trans: TranslationBundle;
  name: string;
  version: number;
}

export function Section(props: {
  id: string;
  title: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <section
      className="jp-Workbench-pageSection"
      data-section={props.id}
      aria-label={props.title}
    >
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
}

export function Facts(props: { rows: ICell[]; empty?: string }): JSX.Element {
  if (props.rows.length === 0) {
    return <p className="jp-Workbench-muted">{props.empty ?? '–'}</p>;
  }
  return (
    <dl className="jp-Workbench-facts">
      {props.rows.map(row => (
        <React.Fragment key={row.label}>
          <dt>{row.label}</dt>
          <dd title={row.value}>{row.value}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

export function Grid(props: {
  head: string[];
  rows: React.ReactNode[][];
  testId?: string;
}): JSX.Element {
  return (
    <table className="jp-Workbench-table" data-testid={props.testId}>
      <thead>
        <tr>
          {props.head.map(cell => (
            <th key={cell}>{cell}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row, index) => (
          <tr key={index}>
            {row.map((cell, column) => (
              <td key={column}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Checks(props: {
  version: IModelVersion;
  trans: TranslationBundle;
}): JSX.Element {
  const { version, trans } = props;
  if (version.checks.length === 0) {
    return (
      <p className="jp-Workbench-muted">
        {trans.__('Not run under the current policy yet.')}
      </p>
    );
  }
  return (
    <Grid
      head={[
        trans.__('check'),
        trans.__('status'),
        trans.__('observed'),
        trans.__('limit'),
        trans.__('evidence')
      ]}
      rows={version.checks.map(check => [
        <>
          {check.check}
          {!check.required && (
            <span className="jp-Workbench-muted">
              {' '}
              ({trans.__('advisory')})
            </span>
          )}
        </>,
        <Chip
          chip={{
            label: check.status,
            kind:
              check.status === 'pass'
                ? 'ok'
                : check.required
                  ? 'error'
                  : 'warn',
            title: check.message
          }}
        />,
        formatNumber(check.observed),
        formatNumber(check.limit),
        <span title={check.message}>{check.evidence ?? check.message}</span>
      ])}
    />
  );
}

export function Fairness(props: {
  version: IModelVersion;
  trans: TranslationBundle;
}): JSX.Element {
  const { version, trans } = props;
  const groups = fairnessGroups(version);
  return (
    <>
      {groups.length === 0 ? (
        <p className="jp-Workbench-muted">
          {trans.__('Registered without sensitive attributes.')}
        </p>
      ) : (
        <Grid
          testId="workbench-fairness-groups"
          head={[
            trans.__('attribute'),
            trans.__('group'),
            trans.__('rows'),
            trans.__('selection rate'),
            trans.__('TPR'),
            trans.__('FPR')
          ]}
          rows={groups.map(g => [
            g.attribute,
            g.group,
            g.count,
            formatNumber(g.selectionRate, 3),
            formatNumber(g.tpr, 3),
            formatNumber(g.fpr, 3)
          ])}
        />
      )}
      <Facts rows={fairnessGaps(version)} />
    </>
  );
}

export function Calibration(props: {
  version: IModelVersion;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const rows = calibrationRows(props.version);
  if (rows.length === 0) {
    return <p className="jp-Workbench-muted">{trans.__('No calibration.')}</p>;
  }
  return (
    <Grid
      head={[
        trans.__('bin'),
        trans.__('rows'),
        trans.__('mean predicted'),
        trans.__('observed rate'),
        ''
      ]}
      rows={rows.map(row => [
        row.bin,
        row.count,
        formatNumber(row.predicted, 3),
        formatNumber(row.observed, 3),
        <span
          className="jp-Workbench-calibrationGap"
          title={trans.__('observed − predicted')}
        >
          {formatNumber(row.observed - row.predicted, 3)}
        </span>
      ])}
    />
  );
}

/**
 * A PNG artifact fetched with the user's credentials and shown in place.
 */
export function ArtifactImage(
  props: ISectionProps & { artifact: string; alt: string }
): JSX.Element {
  const { client, name, version, artifact, alt } = props;
  const [state] = useLoadable(async () => {
    const response = await client.fetchRaw(
      client.artifactUrl(name, version, artifact)
    );
    return URL.createObjectURL(await response.blob());
  }, [client, name, version, artifact]);
  React.useEffect(
    () => () => {
      if (state.status === 'ready') {
        URL.revokeObjectURL(state.data);
      }
    },
    [state]
  );
  return (
    <Loaded state={state} trans={props.trans}>
      {src => (
        <img className="jp-Workbench-artifactImage" src={src} alt={alt} />
      )}
    </Loaded>
  );
}

export function Drift(
  props: ISectionProps & { review: IReviewState; jobs: IJob[] }
): JSX.Element {
  const { review, jobs, trans } = props;
  const summary = driftSummary(review);
  const scored = jobs.filter(job => job.version === review.version.version);
  return (
    <>
      <h4>{trans.__('Train vs validation')}</h4>
      {summary ? (
        <p>
          {trans.__(
            '%1 of %2 columns drifted (share %3)%4',
            summary.drifted,
            summary.columns,
            formatNumber(summary.share, 2),
            summary.driftedColumns.length
              ? `: ${summary.driftedColumns.join(', ')}`
              : ''
          )}
        </p>
      ) : (
        <p className="jp-Workbench-muted">{trans.__('No drift summary.')}</p>
      )}
      <h4>{trans.__('Scored data, per job')}</h4>
      {scored.length === 0 ? (
        <p className="jp-Workbench-muted">
          {trans.__('No scoring job of this version yet.')}
        </p>
      ) : (
        <Grid
          testId="workbench-job-drift"
          head={[
            trans.__('job'),
            trans.__('ended'),
            trans.__('drifted'),
            trans.__('columns'),
            trans.__('retrain')
          ]}
          rows={scored.map(job => {
            const drift = jobDrift(job);
            return [
              <code>{job.id.slice(0, 8)}</code>,
              formatTime(job.ended_at),
              `${drift.drifted}/${drift.columns}`,
              drift.names.join(', ') || '–',
              drift.retrain ? trans.__('recommended') : trans.__('no')
            ];
          })}
        />
      )}
    </>
  );
}

function jobDrift(job: IJob): {
  drifted: number;
  columns: number;
  names: string[];
  retrain: boolean;
} {
  const summary = (job.drift.summary ?? {}) as Record<string, unknown>;
  const columns = Array.isArray(job.drift.columns) ? job.drift.columns : [];
  const names = columns
    .filter(c => (c as Record<string, unknown>).drifted === true)
    .map(c => String((c as Record<string, unknown>).column));
  return {
    drifted: Number(summary.n_drifted) || names.length,
    columns: Number(summary.n_columns) || columns.length,
    names,
    retrain:
      job.drift.retrain_recommended === true ||
      job.stats.retrain_recommended === true
  };
}

export function Lineage(props: {
  version: IModelVersion;
  trans: TranslationBundle;
}): JSX.Element {
  const { version, trans } = props;
  const params = parameterRows(version);
  return (
    <>
      <Facts rows={lineageRows(version)} />
      <h4>{trans.__('Parameters')}</h4>
      {params.length === 0 ? (
        <p className="jp-Workbench-muted">
          {trans.__('Registered outside a pipeline run: no parameters.')}
        </p>
      ) : (
        <Grid
          head={[trans.__('parameter'), trans.__('value')]}
          rows={params.map(p => [p.label, <code>{p.value}</code>])}
        />
      )}
      <h4>{trans.__('Environment')}</h4>
      <Facts rows={environmentRows(version)} />
    </>
  );
}

export function Contract(props: {
  version: IModelVersion;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <Grid
      head={[
        trans.__('column'),
        trans.__('type'),
        trans.__('role'),
        trans.__('nullable'),
        trans.__('training range')
      ]}
      rows={contractColumns(props.version).map(c => [
        c.name,
        c.dtype,
        c.role,
        c.nullable ? trans.__('yes') : trans.__('no'),
        c.range
      ])}
    />
  );
}

export function AliasHistory(props: ISectionProps): JSX.Element {
  const { client, trans, name } = props;
  const [history] = useLoadable(
    () => client.aliasHistory(name),
    [client, name]
  );
  return (
    <Loaded state={history} trans={trans}>
      {data =>
        data.history.length === 0 ? (
          <Empty>{trans.__('No alias has moved yet.')}</Empty>
        ) : (
          <Grid
            head={[
              trans.__('alias'),
              trans.__('from'),
              trans.__('to'),
              trans.__('by'),
              trans.__('when'),
              trans.__('reason')
            ]}
            rows={data.history.map(move => [
              `@${move.alias}`,
              move.from_version === null ? '–' : `v${move.from_version}`,
              move.to_version === null ? '–' : `v${move.to_version}`,
              move.actor,
              formatTime(move.time),
              move.reason || '–'
            ])}
          />
        )
      }
    </Loaded>
  );
}

export function Artifacts(props: {
  client: WorkbenchClient;
  trans: TranslationBundle;
  name: string;
  version: IModelVersion;
  openHtml: (tab: IHtmlTab) => void;
}): JSX.Element {
  const { client, trans, name, version, openHtml } = props;
  const [open, setOpen] = React.useState<string | null>(null);
  const [json, setJson] = React.useState<string>('');
  const show = async (artifact: IArtifact) => {
    const url = client.artifactUrl(name, version.version, artifact.key);
    if (artifact.view === 'html') {
      openHtml({
        id: `workbench-artifact-${name}-${version.version}-${artifact.key}`,
        label: `${name}:${version.version} ${artifact.name}`,
        url,
        scripts: true
      });
      return;
    }
    setOpen(open === artifact.key ? null : artifact.key);
    if (artifact.view === 'json') {
      setJson(trans.__('Loading…'));
      const text = await client.fetchText(url).catch(String);
      try {
        setJson(JSON.stringify(JSON.parse(text), null, 2));
      } catch {
        setJson(text);
      }
    }
  };
  return (
    <ul className="jp-Workbench-list" data-testid="workbench-artifacts">
      {artifacts(version).map(artifact => (
        <li key={artifact.key} data-artifact={artifact.key}>
          <code>{artifact.name}</code>{' '}
          <span className="jp-Workbench-muted" title={artifact.digest}>
            {formatBytes(artifact.size)} · sha256 {artifact.digest.slice(0, 12)}
          </span>{' '}
          {artifact.view !== 'download' && (
            <button
              type="button"
              className="jp-Workbench-linkButton"
              onClick={() => void show(artifact)}
            >
              {artifact.view === 'html'
                ? trans.__('Open')
                : open === artifact.key
                  ? trans.__('Hide')
                  : trans.__('Show')}
            </button>
          )}{' '}
          <a
            className="jp-Workbench-linkButton"
            href={client.artifactUrl(name, version.version, artifact.key, true)}
            download={artifact.name}
          >
            {trans.__('Download')}
          </a>
          {open === artifact.key && artifact.view === 'image' && (
            <ArtifactImage
              client={client}
              trans={trans}
              name={name}
              version={version.version}
              artifact={artifact.key}
              alt={artifact.name}
            />
          )}
          {open === artifact.key && artifact.view === 'json' && (
            <pre className="jp-Workbench-log">{json}</pre>
          )}
        </li>
      ))}
    </ul>
  );
}
