"""Scoring inputs written as real Parquet, and a small model bundled the way engines take it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from tests.support.training import prepare
from workbench.contracts import InputContract
from workbench.scoring.values import ModelBundle

__all__ = ["ROUTING", "SmallModel", "applicants", "read_output", "write", "write_input"]

ROUTING = {
    "thresholds": {"accept": 0.7, "decline": 0.3},
    "rules": [
        {"name": "missing_transcript", "when": "transcript_complete = 0"},
        {"name": "first_generation_low", "when": "score < 0.2 AND first_generation = 1", "decision": "decline"},
    ],
}


@dataclass(frozen=True)
class SmallModel:
    booster: Any
    contract: InputContract
    model_bytes: bytes

    def bundle(
        self, routing: dict[str, Any] | None = None, job_id: str = "job0", contract: InputContract | None = None
    ) -> ModelBundle:
        return ModelBundle(
            name="admissions",
            version=1,
            model=self.model_bytes,
            contract=(contract or self.contract).to_dict(),
            routing=ROUTING if routing is None else routing,
            job_id=job_id,
        )


def applicants(n: int, seed: int = 1, *, drift: bool = False) -> pl.DataFrame:
    """Scoring input shaped like the training frame (keys, features, sensitive columns, target)."""
    from workbench.examples.admissions import generate_applicants

    return prepare(generate_applicants(n, seed=seed, drift=drift))


def write(frame: pl.DataFrame, path: Path, row_group_size: int = 1_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, row_group_size=row_group_size)
    return path


def write_input(
    root: Path, name: str = "data/applicants.parquet", n: int = 3_000, *, seed: int = 1, drift: bool = False
) -> Path:
    """``n`` applicants written to ``root/name``."""
    return write(applicants(n, seed, drift=drift), root / name)


def read_output(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path).sort("applicant_id")
