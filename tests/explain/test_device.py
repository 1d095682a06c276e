"""select_device: auto/cpu/cuda with the GPU absent, present (a patched probe), and the real probe."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from workbench.core.errors import DeviceUnavailable, ValidationError
from workbench.explain import device as device_module
from workbench.explain import select_device


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], list[int]]]:
    """Replace the GPU probe; returns a function that sets its answer and counts its calls."""
    calls: list[int] = []

    def install(answer: bool) -> list[int]:
        def fake() -> bool:
            calls.append(1)
            return answer

        device_module.cuda_available.cache_clear()
        monkeypatch.setattr(device_module, "_probe_cuda", fake)
        return calls

    yield install
    device_module.cuda_available.cache_clear()


def test_without_a_gpu_auto_is_cpu_and_cuda_is_an_error(probe: Callable[[bool], list[int]]) -> None:
    probe(False)
    assert select_device("auto") == "cpu"
    assert select_device("cpu") == "cpu"
    with pytest.raises(DeviceUnavailable) as info:
        select_device("cuda")
    assert "cannot use a CUDA GPU on this machine" in info.value.message
    assert "--device cpu" in info.value.message
    assert info.value.exit_code == 13


def test_with_a_gpu_auto_is_cuda(probe: Callable[[bool], list[int]]) -> None:
    probe(True)
    assert select_device("auto") == "cuda"
    assert select_device("cuda") == "cuda"
    assert select_device("cuda:1") == "cuda:1"
    assert select_device("cpu") == "cpu"


def test_the_probe_runs_once_and_never_for_cpu(probe: Callable[[bool], list[int]]) -> None:
    calls = probe(True)
    select_device("cpu")
    assert calls == []
    for _ in range(3):
        select_device("auto")
    assert calls == [1]


def test_unknown_devices_are_refused(probe: Callable[[bool], list[int]]) -> None:
    probe(True)
    for bad in ("gpu", "tpu", "cuda:x", ""):
        with pytest.raises(ValidationError, match="Unknown device"):
            select_device(bad)


def test_the_real_probe_answers_without_warnings() -> None:
    # pytest turns warnings into errors: on a machine without a GPU, XGBoost's
    # fallback warning must stay inside the probe.
    device_module.cuda_available.cache_clear()
    available = device_module.cuda_available()
    assert isinstance(available, bool)
    assert select_device("auto") == ("cuda" if available else "cpu")


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, workbench.explain; "
        "print(sorted(m for m in ('xgboost', 'shap', 'fairlearn', 'pandas', 'sklearn', 'matplotlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
