"""The notebook engine: reading, checking and executing Jupyter notebooks.

Everything here knows about notebooks (nbformat, papermill, nbclient) and nothing
about the project, DVC or the database; the pipeline service composes it.

- :mod:`workbench.notebooks.reading` loads a file and validates it with nbformat.
- :mod:`workbench.notebooks.parameters` reads the ``parameters`` cell (papermill's
  inspection plus a strict literal check) and validates values against its types.
- :mod:`workbench.notebooks.checks` runs the promotion checks (absolute paths,
  syntax, kernel language) and collects every problem.
- :mod:`workbench.notebooks.execute` runs a notebook with papermill, with per-cell
  timing and progress, a whole-run timeout, and kernel-death detection.

Nothing heavy is imported at import time.
"""
