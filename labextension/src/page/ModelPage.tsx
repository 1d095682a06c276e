/**
 * The model page: one version in a main-area tab, as MLflow's model page, with
 * every section the API has (see sections.tsx), the charts, and the comparison
 * with another version. Opened from the Models panel (`workbench:open-model-page`).
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { Chip, Loaded, useLoadable } from '../components/common';
import { IHtmlTab } from '../components/context';
import { formatNumber, formatTime } from '../components/loadable';
import { GateNotes } from '../components/models/GateNotes';
import { metricRows } from '../components/models/models';
import { IChartSpecs, IJob, IReviewState } from '../tokens';
import { VegaChart } from './Chart';
import { Compare } from './Compare';
import {
  AliasHistory,
  Artifacts,
  ArtifactImage,
  Calibration,
  Checks,
  Contract,
  Drift,
  Facts,
  Fairness,
  Grid,
  Lineage,
  Section
} from './sections';

export interface IModelPageProps {
  client: WorkbenchClient;
  trans: TranslationBundle;
  rendermime: IRenderMimeRegistry | null;
  name: string;
  version: number;
  openHtml: (tab: IHtmlTab) => void;
}

interface IPageData {
  review: IReviewState;
  jobs: IJob[];
  versions: number[];
  charts: IChartSpecs;
}

export function ModelPage(props: IModelPageProps): JSX.Element {
  const { client, trans, name, version } = props;
  const [state, reload] = useLoadable<IPageData>(async () => {
    const [review, jobs, versions, charts] = await Promise.all([
      client.reviewState(name, version),
      client.listJobs({ model: name, limit: 50 }),
      client.listVersions(name),
      client.charts(name, version)
    ]);
    return {
      review,
      jobs: jobs.jobs,
      versions: versions.versions.map(v => v.version),
      charts
    };
  }, [client, name, version]);
  return (
    <div className="jp-Workbench-page" data-testid="workbench-model-page">
      <Loaded state={state} trans={trans} onRetry={reload}>
        {data => <PageBody {...props} data={data} onRefresh={reload} />}
      </Loaded>
    </div>
  );
}

function sectionTitles(trans: TranslationBundle): [string, string][] {
  return [
    ['metrics', trans.__('Metrics')],
    ['checks', trans.__('Checks')],
    ['fairness', trans.__('Fairness')],
    ['calibration', trans.__('Calibration')],
    ['shap', trans.__('SHAP')],
    ['drift', trans.__('Drift')],
    ['charts', trans.__('Charts')],
    ['lineage', trans.__('Lineage')],
    ['contract', trans.__('Input contract')],
    ['gate', trans.__('Approvals and gate')],
    ['aliases', trans.__('Alias history')],
    ['jobs', trans.__('Jobs')],
    ['artifacts', trans.__('Artifacts')],
    ['compare', trans.__('Compare')]
  ];
}

function PageBody(
  props: IModelPageProps & { data: IPageData; onRefresh: () => void }
): JSX.Element {
  const { client, trans, rendermime, name, data, onRefresh } = props;
  const { review, jobs, charts } = data;
  const v = review.version;
  const root = React.useRef<HTMLDivElement>(null);
  const sections = sectionTitles(trans);
  const title = (id: string) => sections.find(([key]) => key === id)![1];
  const jump = (id: string) =>
    root.current
      ?.querySelector(`[data-section="${id}"]`)
      ?.scrollIntoView({ block: 'start' });
  const section = { client, trans, name, version: v.version };
  const versionJobs = jobs.filter(job => job.version === v.version);

  return (
    <div ref={root}>
      <header className="jp-Workbench-pageHeader">
        <h2>
          {v.ref}{' '}
          {v.aliases.map(a => (
            <Chip key={a} chip={{ label: `@${a}`, kind: 'info', title: a }} />
          ))}
        </h2>
        <p className="jp-Workbench-muted">
          {trans.__(
            '%1 · registered by %2, %3',
            v.task,
            v.author,
            formatTime(v.created_at)
          )}
          {' · '}
          <button
            type="button"
            className="jp-Workbench-linkButton"
            onClick={onRefresh}
          >
            {trans.__('Refresh')}
          </button>
        </p>
        {v.description && <p>{v.description}</p>}
        {v.intended_use && (
          <p className="jp-Workbench-muted">
            {trans.__('Intended use: %1', v.intended_use)}
          </p>
        )}
        <nav className="jp-Workbench-pageNav" aria-label={trans.__('Sections')}>
          {sections.map(([id]) => (
            <button
              key={id}
              type="button"
              className="jp-Workbench-linkButton"
              onClick={() => jump(id)}
            >
              {title(id)}
            </button>
          ))}
        </nav>
      </header>
      <div className="jp-Workbench-pageGrid">
        <Section id="metrics" title={title('metrics')}>
          <Facts rows={metricRows(review)} />
        </Section>
        <Section id="checks" title={title('checks')}>
          <Checks version={v} trans={trans} />
        </Section>
        <Section id="fairness" title={title('fairness')}>
          <Fairness version={v} trans={trans} />
        </Section>
        <Section id="calibration" title={title('calibration')}>
          <Calibration version={v} trans={trans} />
        </Section>
        <Section id="shap" title={title('shap')}>
          <div className="jp-Workbench-sideBySide">
            {'shap_bar_png' in v.artifacts && (
              <ArtifactImage
                {...section}
                artifact="shap_bar_png"
                alt={trans.__('SHAP bar: mean |SHAP| per feature')}
              />
            )}
            {'shap_summary_png' in v.artifacts && (
              <ArtifactImage
                {...section}
                artifact="shap_summary_png"
                alt={trans.__('SHAP beeswarm')}
              />
            )}
          </div>
        </Section>
        <Section id="drift" title={title('drift')}>
          <Drift {...section} review={review} jobs={jobs} />
        </Section>
      </div>
      <Section id="charts" title={title('charts')}>
        <div className="jp-Workbench-charts" data-testid="workbench-charts">
          {charts.score_distribution ? (
            <VegaChart
              rendermime={rendermime}
              mimeType={charts.mime_type}
              spec={charts.score_distribution}
              title={trans.__('Score distribution per job')}
              trans={trans}
            />
          ) : (
            <p className="jp-Workbench-muted">
              {trans.__(
                'No scores yet: score a file with this version to see their distribution.'
              )}
            </p>
          )}
          <VegaChart
            rendermime={rendermime}
            mimeType={charts.mime_type}
            spec={charts.metric_trend}
            title={trans.__('Metrics across versions')}
            trans={trans}
          />
          {charts.drift_per_column && (
            <VegaChart
              rendermime={rendermime}
              mimeType={charts.mime_type}
              spec={charts.drift_per_column}
              title={trans.__('Drift per column')}
              trans={trans}
            />
          )}
        </div>
      </Section>
      <div className="jp-Workbench-pageGrid">
        <Section id="lineage" title={title('lineage')}>
          <Lineage version={v} trans={trans} />
        </Section>
        <Section id="contract" title={title('contract')}>
          <Contract version={v} trans={trans} />
        </Section>
        <Section id="gate" title={title('gate')}>
          <Gate review={review} trans={trans} />
        </Section>
        <Section id="aliases" title={title('aliases')}>
          <AliasHistory {...section} />
        </Section>
        <Section id="jobs" title={title('jobs')}>
          {versionJobs.length === 0 ? (
            <p className="jp-Workbench-muted">
              {trans.__('No scoring job of this version yet.')}
            </p>
          ) : (
            <Grid
              head={[
                trans.__('job'),
                trans.__('status'),
                trans.__('rows'),
                trans.__('by'),
                trans.__('ended'),
                trans.__('input')
              ]}
              rows={versionJobs.map(job => [
                <code>{job.id.slice(0, 8)}</code>,
                job.status,
                formatNumber(job.rows_done),
                job.actor,
                formatTime(job.ended_at),
                <code>{job.input}</code>
              ])}
            />
          )}
        </Section>
        <Section id="artifacts" title={title('artifacts')}>
          <Artifacts
            client={client}
            trans={trans}
            name={name}
            version={v}
            openHtml={props.openHtml}
          />
        </Section>
      </div>
      <Section id="compare" title={title('compare')}>
        <Compare
          client={client}
          trans={trans}
          name={name}
          current={v}
          versions={data.versions}
        />
      </Section>
    </div>
  );
}

function Gate(props: {
  review: IReviewState;
  trans: TranslationBundle;
}): JSX.Element {
  const { review, trans } = props;
  const gate = review.gate;
  return (
    <>
      {gate ? (
        <p>
          {trans.__(
            'Gate to %1: approvals %2/%3',
            gate.alias,
            gate.approvals,
            gate.approvals_required
          )}{' '}
          <Chip
            chip={
              gate.allowed
                ? { label: trans.__('open'), kind: 'ok', title: gate.policy }
                : {
                    label: trans.__('blocked'),
                    kind: 'warn',
                    title: gate.policy
                  }
            }
          />
        </p>
      ) : (
        <p className="jp-Workbench-muted">{review.actions.promote.reason}</p>
      )}
      {gate && gate.unmet.length > 0 && (
        <ul className="jp-Workbench-problems">
          {gate.unmet.map(line => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      <GateNotes gate={gate} trans={trans} />
      {review.version.decisions.length === 0 ? (
        <p className="jp-Workbench-muted">{trans.__('No decisions yet.')}</p>
      ) : (
        <Grid
          head={[
            trans.__('decision'),
            trans.__('by'),
            trans.__('when'),
            trans.__('comment')
          ]}
          rows={review.version.decisions.map(d => [
            d.decision,
            d.actor,
            formatTime(d.time),
            d.comment || '–'
          ])}
        />
      )}
    </>
  );
}

/**
 * The page as a main-area tab; one per version (opening it again shows the same tab).
 */
export class ModelPageWidget extends ReactWidget {
  constructor(private readonly _props: IModelPageProps) {
    super();
    this.addClass('jp-Workbench-pageWidget');
  }

  protected render(): JSX.Element {
    return <ModelPage {...this._props} />;
  }
}

export function modelPageWidget(
  props: IModelPageProps
): MainAreaWidget<ModelPageWidget> {
  const widget = new MainAreaWidget({ content: new ModelPageWidget(props) });
  widget.id = modelPageId(props.name, props.version);
  widget.title.label = props.trans.__('Model %1:%2', props.name, props.version);
  widget.title.caption = widget.title.label;
  widget.title.closable = true;
  return widget;
}

export function modelPageId(name: string, version: number): string {
  return `workbench-model-${encodeURIComponent(name)}-${version}`;
}
