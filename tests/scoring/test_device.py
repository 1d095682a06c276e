"""Device selection for scoring with the GPU absent (and a patched probe standing in for a GPU)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.scoring import SmallModel, applicants, write
from workbench.core.errors import DeviceUnavailable
from workbench.explain import device as device_module
from workbench.scoring.device import load_booster, resolve_device
from workbench.scoring.local import score_local
from workbench.scoring.sinks import open_output
from workbench.scoring.sources import open_input
from workbench.scoring.values import ScoreOptions


@pytest.fixture
def gpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    """Set whether the CUDA probe finds a GPU: ``gpu(True)`` or ``gpu(False)``."""

    def install(present: bool) -> None:
        device_module.cuda_available.cache_clear()
        monkeypatch.setattr(device_module, "_probe_cuda", lambda: present)

    yield install
    device_module.cuda_available.cache_clear()


def test_auto_is_the_cpu_without_a_gpu_and_cuda_is_refused(gpu: Callable[[bool], None]) -> None:
    gpu(False)
    assert resolve_device("auto") == "cpu" and resolve_device("cpu") == "cpu"
    with pytest.raises(DeviceUnavailable, match=r"Device 'cuda' was requested.*--device auto"):
        resolve_device("cuda")
    with pytest.raises(DeviceUnavailable):
        resolve_device("cuda:1")


def test_auto_picks_cuda_when_xgboost_can_use_a_gpu(gpu: Callable[[bool], None]) -> None:
    gpu(True)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda:0") == "cuda:0"
    assert resolve_device("cpu") == "cpu"


@pytest.mark.skipif(device_module.cuda_available(), reason="this machine has a usable GPU")
def test_the_real_probe_finds_no_gpu_here() -> None:
    assert resolve_device("auto") == "cpu"
    with pytest.raises(DeviceUnavailable):
        resolve_device("cuda")


def test_the_booster_predicts_on_the_resolved_device(small_model: SmallModel) -> None:
    booster = load_booster(small_model.model_bytes, "cpu", nthread=1)
    config = json.loads(booster.save_config())["learner"]["generic_param"]
    assert config["device"] == "cpu" and config["nthread"] == "1"


def test_the_outcome_records_the_device_used(small_model: SmallModel, tmp_path: Path) -> None:
    source = write(applicants(300), tmp_path / "in.parquet")
    target = open_output(tmp_path / "out.parquet")
    outcome = score_local(
        open_input(source),
        target,
        target.staging("d"),
        small_model.bundle(job_id="d"),
        ScoreOptions(explain="exact"),
        device=resolve_device("auto"),
        review_path=tmp_path / "r.parquet",
    )
    assert outcome.device == "cpu" and outcome.explain_device == "cpu" and outcome.stats()["devices"] == ["cpu"]
