/**
 * A Vega-Lite chart drawn by JupyterLab's own renderer (the one notebooks use for
 * Altair output), found through the rendermime registry; without it, a note says so.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

export function VegaChart(props: {
  rendermime: IRenderMimeRegistry | null;
  mimeType: string;
  spec: Record<string, unknown>;
  title: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { rendermime, mimeType, spec, title, trans } = props;
  const host = React.useRef<HTMLDivElement>(null);
  const bundle = { [mimeType]: spec };
  const available =
    rendermime !== null &&
    rendermime.preferredMimeType(bundle as never, 'any') === mimeType;

  React.useEffect(() => {
    if (!available || !rendermime || !host.current) {
      return;
    }
    const renderer = rendermime.createRenderer(mimeType);
    Widget.attach(renderer, host.current);
    void renderer.renderModel(
      new MimeModel({ data: bundle as never, trusted: true })
    );
    return () => renderer.dispose();
  }, [rendermime, spec, mimeType]);

  return (
    <figure className="jp-Workbench-chart" aria-label={title}>
      {available ? (
        <div ref={host} />
      ) : (
        <p className="jp-Workbench-muted">
          {trans.__(
            'JupyterLab has no renderer for %1 here; the chart is in the API answer.',
            mimeType
          )}
        </p>
      )}
    </figure>
  );
}
