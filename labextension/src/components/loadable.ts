/**
 * The one shape of "data from the server" every panel shows: loading, ready or
 * failed, with the error as a `WorkbenchApiError`. Kept apart from React so the
 * panels' state logic is unit tested without rendering.
 */
import { WorkbenchApiError } from '../request';

export type Loadable<T> =
  | { status: 'loading' }
  | { status: 'ready'; data: T }
  | { status: 'error'; error: WorkbenchApiError };

/**
 * Any thrown value as a WorkbenchApiError, so every view has one error shape.
 */
export function asApiError(reason: unknown): WorkbenchApiError {
  if (reason instanceof WorkbenchApiError) {
    return reason;
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return new WorkbenchApiError(0, 'ClientError', message);
}

/**
 * Run `fetch` and turn its outcome into a `Loadable`; never rejects.
 */
export async function load<T>(fetch: () => Promise<T>): Promise<Loadable<T>> {
  try {
    return { status: 'ready', data: await fetch() };
  } catch (reason) {
    return { status: 'error', error: asApiError(reason) };
  }
}

/**
 * The data of a ready state, else undefined.
 */
export function dataOf<T>(state: Loadable<T>): T | undefined {
  return state.status === 'ready' ? state.data : undefined;
}

/**
 * The next state after a refresh: keep showing the old data while reloading,
 * so polling does not flash a spinner.
 */
export function refreshing<T>(previous: Loadable<T>): Loadable<T> {
  return previous.status === 'ready' ? previous : { status: 'loading' };
}

/**
 * A duration in seconds as people read it: `850 ms`, `12.3 s`, `4 min 05 s`.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '–';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  return `${minutes} min ${String(rest).padStart(2, '0')} s`;
}

/**
 * An ISO time as a short local date and time; the text as given when it does not parse.
 */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) {
    return '–';
  }
  const parsed = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (isNaN(parsed.getTime())) {
    return iso;
  }
  return parsed.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
}

/**
 * A number with a sensible precision for a metrics table.
 */
export function formatNumber(value: unknown, digits = 4): string {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  }
  if (value === null || value === undefined) {
    return '–';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Re-export, so panels import their error helper from one place.
 */
export { WorkbenchApiError };
