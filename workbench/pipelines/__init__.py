"""The pipeline service: notebooks promoted to DVC stages, their runs and schedules.

One module per verb, each a typed function that every face calls:

- :mod:`~workbench.pipelines.promote`: ``check_promotion``, ``promote``;
- :mod:`~workbench.pipelines.run`: ``run_notebook``;
- :mod:`~workbench.pipelines.runs`: ``list_runs``, ``get_run``;
- :mod:`~workbench.pipelines.stages`: ``list_stages`` (what ``dvc.yaml`` holds);
- :mod:`~workbench.pipelines.schedules`: ``add_schedule``, ``list_schedules``,
  ``pause_schedule``, ``resume_schedule``, ``remove_schedule``;
- :mod:`~workbench.pipelines.scheduler`: ``run_due``, ``scheduler_loop``;
- :mod:`~workbench.pipelines.context`: ``context()`` for code inside a run.

Values handed to the faces are in :mod:`~workbench.pipelines.values`.
"""
