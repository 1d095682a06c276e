"""``ScoreRequest``: what to score with what, where, and how, as every face gives it.

The CLI, the kernel API (``wb.score``), the widgets and the server build one of these
(:meth:`ScoreRequest.build` takes the options by name, as each face receives them);
:func:`~workbench.jobs.submit.submit_score_job` takes it. The scoring options and their
defaults are :class:`~workbench.scoring.values.ScoreOptions`, the engine's own value;
the request adds what only the job service uses (engine, Dask scheduler, overwrite).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import ValidationError
from workbench.scoring.values import ENGINES, ScoreOptions

__all__ = ["ScoreRequest"]

_WHERE = ("ref", "input", "output", "options")


@dataclass(frozen=True)
class ScoreRequest:
    """Score ``input`` with the version ``ref`` names into ``output`` (see :func:`workbench.jobs.score`).

    ``engine`` is ``local`` or ``dask`` (with ``scheduler``, an address, or a LocalCluster
    of ``workers``); ``overwrite`` lets the job replace a previous scoring output.
    ``feature_definition`` (``current`` or ``recorded``) says which definition computes the
    features of a version registered with a feature set (docs/features.md). ``shadow``
    names a challenger that scores every row beside it and decides nothing (docs/rollout.md).
    """

    ref: str
    input: str | os.PathLike[str]
    output: str | os.PathLike[str]
    options: ScoreOptions = field(default_factory=ScoreOptions)
    engine: str = "local"
    scheduler: str | None = None
    workers: int | None = None
    connect_timeout_s: float = 10.0
    overwrite: bool = False
    feature_definition: str = "current"
    shadow: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValidationError(f"Unknown engine {self.engine!r}; use one of {', '.join(ENGINES)}.")
        if self.scheduler and self.engine != "dask":
            raise ValidationError("--scheduler needs --engine dask (the local engine runs in this process).")
        workers = self.workers
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ValidationError(f"workers must be a whole number >= 1, got {workers!r}.")
        if self.feature_definition not in ("current", "recorded"):
            raise ValidationError(
                f"feature_definition must be 'current' or 'recorded', not {self.feature_definition!r}."
            )

    @classmethod
    def build(
        cls, ref: str, input: str | os.PathLike[str], output: str | os.PathLike[str], **fields: Any
    ) -> ScoreRequest:
        """A request from options given by name: :class:`ScoreOptions` fields and this class's own;
        a name that is neither is refused with the list of known ones."""
        option_names = {f.name for f in dataclasses.fields(ScoreOptions)}
        own_names = {f.name for f in dataclasses.fields(cls)} - set(_WHERE)
        unknown = sorted(set(fields) - option_names - own_names)
        if unknown:
            known = ", ".join(sorted(option_names | own_names))
            raise ValidationError(f"Unknown scoring option(s) {', '.join(unknown)}; the options are: {known}.")
        options = ScoreOptions(**{k: v for k, v in fields.items() if k in option_names})
        return cls(ref, input, output, options, **{k: v for k, v in fields.items() if k in own_names})
