/**
 * The Monitoring panel's charts: the Vega-Lite specs the server declares once
 * with Altair (`charts` of `GET models/{name}/monitoring`, rows inline, the
 * same specs the audit report draws as static SVG),
 * drawn as SVG with vega-embed. Each fills the section's width at a height
 * that suits a sidebar (the specs' own size is Altair's, for notebooks and
 * reports); vega-embed, and Vega with it, is loaded the first time a chart is
 * drawn, not with the extension.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IModelMonitoring } from '../../tokens';

type Charts = IModelMonitoring['charts'];
type ChartKey = keyof Charts;
type Spec = NonNullable<Charts[ChartKey]>;

/** The charts in reading order (the server's chart_set.CHARTS). */
export const CHART_KEYS: readonly ChartKey[] = [
  'rates',
  'auc',
  'calibration',
  'scores',
  'drift',
  'selection',
  'latency'
];

/** The plotting area's height in pixels (Altair's default is 300). */
export const CHART_HEIGHT = 160;

/**
 * The charts there is something to draw for, in reading order, with the
 * accessible name of each.
 */
export function chartsToDraw(
  charts: Charts,
  trans: TranslationBundle
): IChartToDraw[] {
  const labels: Record<ChartKey, string> = {
    rates: trans.__('Automation, review and override rates'),
    auc: trans.__('Realized AUC'),
    calibration: trans.__('Calibration curve'),
    scores: trans.__('Score distribution per job'),
    drift: trans.__('Drift share over time'),
    selection: trans.__('Selection rate per group over time'),
    latency: trans.__('Batch latency percentiles')
  };
  const drawn: IChartToDraw[] = [];
  for (const key of CHART_KEYS) {
    const spec = charts[key];
    if (spec) {
      drawn.push({ key, label: labels[key], spec });
    }
  }
  return drawn;
}

export interface IChartToDraw {
  key: ChartKey;
  label: string;
  spec: Spec;
}

/**
 * `spec` drawn as wide as its container and CHART_HEIGHT high: a single or
 * layered view (as all seven are) takes the container's width, legend and
 * padding included; any other composition keeps its own size.
 */
export function fitted(spec: Spec): Spec {
  const composed = ['vconcat', 'hconcat', 'concat', 'facet', 'repeat'].some(
    key => key in spec
  );
  return composed
    ? spec
    : {
        ...spec,
        width: 'container',
        height: CHART_HEIGHT,
        autosize: { type: 'fit-x', contains: 'padding' }
      };
}

export function MonitoringCharts(props: {
  charts: Charts;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { charts, trans } = props;
  const drawn = chartsToDraw(charts, trans);
  if (drawn.length === 0) {
    return null;
  }
  return (
    <div
      className="jp-Workbench-monitoringCharts"
      data-testid="workbench-monitoring-charts"
    >
      {drawn.map(chart => (
        <VegaChart
          key={chart.key}
          name={chart.key}
          label={chart.label}
          spec={chart.spec}
          trans={trans}
        />
      ))}
    </div>
  );
}

/**
 * One spec drawn into its own element; drawn again when the spec changes (a
 * new window), and the Vega view finalized when it goes.
 */
function VegaChart(props: {
  name: string;
  label: string;
  spec: Spec;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, label, spec, trans } = props;
  const target = React.useRef<HTMLDivElement>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let finalize: (() => void) | null = null;
    let gone = false;
    setError(null);
    void (async () => {
      try {
        const { default: embed } = await import('vega-embed');
        if (gone || !target.current) {
          return;
        }
        const result = await embed(
          target.current,
          fitted(spec) as Parameters<typeof embed>[1],
          {
            actions: false,
            renderer: 'svg',
            theme: isDarkTheme() ? 'dark' : undefined
          }
        );
        if (gone) {
          result.finalize();
        } else {
          finalize = result.finalize;
        }
      } catch (reason) {
        if (!gone) {
          setError(reason instanceof Error ? reason.message : String(reason));
        }
      }
    })();
    return () => {
      gone = true;
      finalize?.();
    };
  }, [spec]);
  return (
    <figure
      className="jp-Workbench-monitoringChart"
      data-chart={name}
      aria-label={label}
    >
      <div ref={target} />
      {error !== null && (
        <figcaption className="jp-Workbench-monitoringChartError">
          {trans.__('The chart could not be drawn: %1', error)}
        </figcaption>
      )}
    </figure>
  );
}

function isDarkTheme(): boolean {
  return document.body.dataset.jpThemeLight === 'false';
}
