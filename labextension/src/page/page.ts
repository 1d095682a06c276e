/**
 * State logic of the model page: the version's sections read from the server's
 * review state (calibration, fairness per group, lineage, the input contract, the
 * artifacts), and the comparison of two versions (metrics, mean |SHAP|, whether
 * their artifacts are identical). Kept apart from React so it is unit tested.
 */
import { formatNumber, isRecord } from '../components/loadable';
import { IModelVersion } from '../tokens';

export interface ICell {
  label: string;
  value: string;
}

/**
 * The calibration table: per bin, the mean predicted and the observed rate.
 */
export function calibrationRows(
  version: IModelVersion
): { bin: string; count: number; predicted: number; observed: number }[] {
  const rows = version.metrics.calibration;
  if (!Array.isArray(rows)) {
    return [];
  }
  return rows.filter(isRecord).map(row => ({
    bin: String(row.bin),
    count: Number(row.count) || 0,
    predicted: Number(row.mean_predicted),
    observed: Number(row.observed_rate)
  }));
}

export interface IFairnessGroup {
  attribute: string;
  group: string;
  count: number;
  selectionRate: number;
  tpr: number;
  fpr: number;
}

/**
 * Each sensitive attribute's groups with selection rate, TPR and FPR.
 */
export function fairnessGroups(version: IModelVersion): IFairnessGroup[] {
  const out: IFairnessGroup[] = [];
  for (const [attribute, report] of Object.entries(version.fairness)) {
    if (!isRecord(report) || !Array.isArray(report.groups)) {
      continue;
    }
    for (const group of report.groups.filter(isRecord)) {
      out.push({
        attribute,
        group: String(group.group),
        count: Number(group.count) || 0,
        selectionRate: Number(group.selection_rate),
        tpr: Number(group.tpr),
        fpr: Number(group.fpr)
      });
    }
  }
  return out;
}

/**
 * The gaps between groups: each attribute's numeric differences and ratios.
 */
export function fairnessGaps(version: IModelVersion): ICell[] {
  const out: ICell[] = [];
  for (const [attribute, report] of Object.entries(version.fairness)) {
    if (!isRecord(report)) {
      continue;
    }
    for (const [key, value] of Object.entries(report)) {
      if (typeof value === 'number') {
        out.push({ label: `${attribute}: ${key}`, value: formatNumber(value) });
      }
    }
  }
  return out;
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/**
 * Where the version came from: commit, run, data hashes, environment.
 */
export function lineageRows(version: IModelVersion): ICell[] {
  const lineage = version.lineage;
  const git = record(lineage.git);
  const run = record(lineage.run);
  const rows: ICell[] = [
    {
      label: 'commit',
      value: git.commit
        ? `${String(git.commit).slice(0, 12)}${git.dirty ? ' (dirty)' : ''}`
        : '– (not in a git commit)'
    },
    { label: 'run', value: run.run_id ? String(run.run_id) : '–' },
    { label: 'stage', value: run.stage ? String(run.stage) : '–' },
    { label: 'notebook', value: run.notebook ? String(run.notebook) : '–' },
    { label: 'target', value: String(lineage.target ?? '–') }
  ];
  for (const [split, data] of Object.entries(record(lineage.data))) {
    const info = record(data);
    rows.push({
      label: `data: ${split}`,
      value: `${String(info.sha256 ?? '').slice(0, 16)}… (${formatNumber(info.rows)} rows)`
    });
  }
  return rows;
}

/**
 * The run's parameters as a table (empty when registered outside a run).
 */
export function parameterRows(version: IModelVersion): ICell[] {
  const params = record(record(version.lineage.run).parameters);
  return Object.entries(params).map(([label, value]) => ({
    label,
    value: typeof value === 'string' ? value : JSON.stringify(value)
  }));
}

export function environmentRows(version: IModelVersion): ICell[] {
  return Object.entries(record(version.lineage.environment)).map(
    ([label, value]) => ({ label, value: String(value) })
  );
}

export interface IContractColumn {
  name: string;
  dtype: string;
  role: string;
  nullable: boolean;
  range: string;
}

/**
 * The input contract's columns: type, role, nullability and the training range.
 */
export function contractColumns(version: IModelVersion): IContractColumn[] {
  const columns = version.contract.columns;
  if (!Array.isArray(columns)) {
    return [];
  }
  return columns.filter(isRecord).map(column => {
    const categories = Array.isArray(column.categories)
      ? column.categories.map(String)
      : null;
    const range =
      column.min !== null && column.min !== undefined
        ? `${formatNumber(column.min, 3)} … ${formatNumber(column.max, 3)}`
        : categories
          ? categories.slice(0, 6).join(', ') +
            (categories.length > 6 ? ' …' : '')
          : '–';
    return {
      name: String(column.name),
      dtype: String(column.dtype),
      role: String(column.role),
      nullable: column.nullable === true,
      range
    };
  });
}

export interface IArtifact {
  key: string;
  name: string;
  digest: string;
  size: number;
  mediaType: string;
  /**
   * How the page shows it in place: an image, a sandboxed HTML frame, JSON text, or only a download.
   */
  view: 'image' | 'html' | 'json' | 'download';
}

export function artifacts(version: IModelVersion): IArtifact[] {
  return Object.entries(version.artifacts)
    .filter(([, value]) => isRecord(value))
    .map(([key, value]) => {
      const info = record(value);
      const mediaType = String(info.media_type ?? '');
      const view: IArtifact['view'] = mediaType.startsWith('image/png')
        ? 'image'
        : mediaType.startsWith('text/html')
          ? 'html'
          : mediaType === 'application/json'
            ? 'json'
            : 'download';
      return {
        key,
        name: String(info.name ?? key),
        digest: String(info.digest ?? ''),
        size: Number(info.size) || 0,
        mediaType,
        view
      };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

export function formatBytes(size: number): string {
  if (size < 1024) {
    return `${size} B`;
  }
  if (size < 1024 * 1024) {
    return `${(size / 1024).toFixed(1)} KiB`;
  }
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

// --- comparison ---------------------------------------------------------------------

export interface IDiffRow {
  label: string;
  left: number | null;
  right: number | null;
  /**
   * right - left, null when either is missing.
   */
  delta: number | null;
}

function numbers(values: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'number') {
      out[key] = value;
    }
  }
  return out;
}

function diff(
  left: Record<string, number>,
  right: Record<string, number>
): IDiffRow[] {
  const labels = [...new Set([...Object.keys(left), ...Object.keys(right)])];
  return labels.map(label => {
    const a = label in left ? left[label] : null;
    const b = label in right ? right[label] : null;
    return {
      label,
      left: a,
      right: b,
      delta: a !== null && b !== null ? b - a : null
    };
  });
}

export function metricDiff(
  left: IModelVersion,
  right: IModelVersion
): IDiffRow[] {
  return diff(numbers(left.metrics), numbers(right.metrics));
}

function meanAbsShap(version: IModelVersion): Record<string, number> {
  const rows = version.explanation.global;
  const out: Record<string, number> = {};
  if (Array.isArray(rows)) {
    for (const row of rows.filter(isRecord)) {
      out[String(row.feature)] = Number(row.mean_abs_shap) || 0;
    }
  }
  return out;
}

/**
 * Mean |SHAP| per feature in both versions, largest change first.
 */
export function shapDiff(
  left: IModelVersion,
  right: IModelVersion
): IDiffRow[] {
  return diff(meanAbsShap(left), meanAbsShap(right)).sort(
    (a, b) => Math.abs(b.delta ?? 0) - Math.abs(a.delta ?? 0)
  );
}

export interface IArtifactMatch {
  key: string;
  same: boolean | null;
}

/**
 * Each artifact's digest compared (null where only one version has it), and
 * whether the two versions' artifacts are identical, byte for byte.
 */
export function artifactMatch(
  left: IModelVersion,
  right: IModelVersion
): { rows: IArtifactMatch[]; identical: boolean } {
  const a = new Map(artifacts(left).map(x => [x.key, x.digest]));
  const b = new Map(artifacts(right).map(x => [x.key, x.digest]));
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const rows = keys.map(key => ({
    key,
    same: a.has(key) && b.has(key) ? a.get(key) === b.get(key) : null
  }));
  return { rows, identical: rows.every(row => row.same === true) };
}
