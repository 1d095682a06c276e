/**
 * The gate's notes: what it wants you to know without blocking (the policy file
 * differs from the adopted revision it applies, ...). Shown muted, under its
 * unmet conditions, wherever those are shown.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IGateStatus } from '../../tokens';

export function GateNotes(props: {
  gate: IGateStatus | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  // An older server answers no notes.
  const notes = props.gate?.notes ?? [];
  if (notes.length === 0) {
    return null;
  }
  return (
    <ul
      className="jp-Workbench-gateNotes"
      data-testid="workbench-gate-notes"
      aria-label={props.trans.__('Notes (not blocking)')}
    >
      {notes.map(note => (
        <li key={note}>{note}</li>
      ))}
    </ul>
  );
}
