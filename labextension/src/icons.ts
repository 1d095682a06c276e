/**
 * The extension's icons, inline so they need no loader.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const WORKBENCH_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 4h18v3H3zM5 8h2v12H5zM17 8h2v12h-2zM9 10h6v2H9zM9 14h6v2H9z"/>
  </g>
</svg>`;

export const workbenchIcon = new LabIcon({
  name: 'workbench:workbench',
  svgstr: WORKBENCH_SVG
});

const MONITORING_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M7 15.6l4-5 3 3 5.3-6.6 1.6 1.2-6.7 8.4-3-3-2.6 3.2z"/>
  </g>
</svg>`;

/**
 * The Monitoring tab's icon: a line over axes.
 */
export const monitoringIcon = new LabIcon({
  name: 'workbench:monitoring',
  svgstr: MONITORING_SVG
});
