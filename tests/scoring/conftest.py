"""Engine-level fixtures: a small trained model, its contract, and helpers that write real Parquet inputs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.registry.conftest import FEATURES, prepare, train_model
from workbench.contracts import InputContract, derive_contract
from workbench.scoring.values import ModelBundle

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


@pytest.fixture(scope="session")
def small_model() -> SmallModel:
    trained = train_model(rows=1500, rounds=15)
    contract = derive_contract(trained.train, target="admit", keys=["applicant_id"], features=FEATURES)
    return SmallModel(trained.booster, contract, bytes(trained.booster.save_raw(raw_format="ubj")))


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """A real LocalCluster of two worker processes, shared by every Dask test of the session."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},  # 8787 may be taken
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address
