"""The scoring engine: stream Parquet through a model version, route every row, explain it.

* :mod:`~workbench.scoring.sources` opens the input (files, folders, fsspec URLs) and
  streams record batches; :mod:`~workbench.scoring.sinks` stages the output and
  commits it atomically.
* :mod:`~workbench.scoring.values` holds the values an engine takes and gives back
  (options, the model bundle, a batch's result, the tally); :mod:`~workbench.scoring.runtime`
  the process-wide state a job switches (Arrow's memory pool, the paused collector).
* :mod:`~workbench.scoring.batch` is one batch: contract, predict, route, reasons, and
  its drift sample and check.
* :mod:`~workbench.scoring.routing` validates a policy's ``routing`` section and
  applies thresholds and rules (polars SQL expressions).
* :mod:`~workbench.scoring.local` (threads, bounded queues) and
  :mod:`~workbench.scoring.dask_engine` (``distributed``) are the two engines;
  :mod:`~workbench.scoring.device` picks and uses the CPU or a CUDA GPU.

The job service (:mod:`workbench.jobs`) records jobs, progress, review items and drift;
this package knows nothing of the database. Nothing heavy is imported here.
"""

from __future__ import annotations
