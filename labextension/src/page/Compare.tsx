/**
 * Two versions side by side: their metrics and mean |SHAP| with the change, and
 * whether their artifacts are identical (digest by digest).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { WorkbenchClient } from '../api';
import { Chip, Loaded, useLoadable } from '../components/common';
import { formatNumber } from '../components/loadable';
import { IModelVersion } from '../tokens';
import { artifactMatch, IDiffRow, metricDiff, shapDiff } from './page';
import { Grid } from './sections';

function delta(value: number | null): JSX.Element {
  if (value === null) {
    return <span className="jp-Workbench-muted">–</span>;
  }
  const kind = value > 0 ? 'up' : value < 0 ? 'down' : 'same';
  return (
    <span className={`jp-Workbench-delta jp-mod-${kind}`}>
      {value > 0 ? '+' : ''}
      {formatNumber(value)}
    </span>
  );
}

function DiffTable(props: {
  rows: IDiffRow[];
  left: number;
  right: number;
  label: string;
  testId: string;
}): JSX.Element {
  const { rows, left, right, label, testId } = props;
  return (
    <Grid
      testId={testId}
      head={[label, `v${left}`, `v${right}`, 'Δ']}
      rows={rows.map(row => [
        row.label,
        formatNumber(row.left),
        formatNumber(row.right),
        delta(row.delta)
      ])}
    />
  );
}

export function Compare(props: {
  client: WorkbenchClient;
  trans: TranslationBundle;
  name: string;
  current: IModelVersion;
  versions: number[];
}): JSX.Element {
  const { client, trans, name, current, versions } = props;
  const others = versions.filter(v => v !== current.version);
  const [other, setOther] = React.useState<number | null>(others[0] ?? null);
  const [state] = useLoadable(
    () =>
      other === null
        ? Promise.resolve(null)
        : client.reviewState(name, other).then(review => review.version),
    [client, name, other]
  );
  if (others.length === 0) {
    return (
      <p className="jp-Workbench-muted">
        {trans.__('Only one version is registered: nothing to compare yet.')}
      </p>
    );
  }
  return (
    <div data-testid="workbench-compare">
      <label className="jp-Workbench-inline">
        {trans.__('Compare v%1 with', current.version)}{' '}
        <select
          aria-label={trans.__('Version to compare with')}
          value={other ?? ''}
          onChange={event => setOther(Number(event.target.value))}
        >
          {others.map(v => (
            <option key={v} value={v}>
              v{v}
            </option>
          ))}
        </select>
      </label>
      <Loaded state={state} trans={trans}>
        {right => {
          if (!right) {
            return null;
          }
          // Older on the left, so Δ reads as "what changed since".
          const [a, b] =
            right.version < current.version
              ? [right, current]
              : [current, right];
          const match = artifactMatch(a, b);
          return (
            <>
              <p data-testid="workbench-artifacts-identical">
                <Chip
                  chip={
                    match.identical
                      ? {
                          label: trans.__('artifacts identical'),
                          kind: 'ok',
                          title: trans.__('Every artifact has the same digest')
                        }
                      : {
                          label: trans.__(
                            '%1 of %2 artifacts differ',
                            match.rows.filter(r => r.same !== true).length,
                            match.rows.length
                          ),
                          kind: 'warn',
                          title: match.rows
                            .filter(r => r.same !== true)
                            .map(r => r.key)
                            .join(', ')
                        }
                  }
                />{' '}
                <span className="jp-Workbench-muted">
                  {match.rows
                    .filter(r => r.same !== true)
                    .map(r => r.key)
                    .join(', ')}
                </span>
              </p>
              <div className="jp-Workbench-sideBySide">
                <DiffTable
                  testId="workbench-compare-metrics"
                  label={trans.__('metric')}
                  rows={metricDiff(a, b)}
                  left={a.version}
                  right={b.version}
                />
                <DiffTable
                  testId="workbench-compare-shap"
                  label={trans.__('mean |SHAP|')}
                  rows={shapDiff(a, b)}
                  left={a.version}
                  right={b.version}
                />
              </div>
            </>
          );
        }}
      </Loaded>
    </div>
  );
}
