"""contributions, global_importance, local_sample: agreement with shap, additivity, approx, devices."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest

from workbench.contracts import InputContract, derive_contract, feature_matrix
from workbench.core.errors import DeviceUnavailable, ValidationError
from workbench.explain import contributions, cuda_available, effective_device, global_importance, local_sample
from workbench.explain import device as device_module

pytestmark = pytest.mark.filterwarnings(
    # shap's colour module calls matplotlib's Colormap.set_bad/set_over/set_under at import,
    # which matplotlib marks as pending deprecation; nothing workbench can change.
    "ignore:The set_\\w+ function will be deprecated:PendingDeprecationWarning",
)


@dataclass(frozen=True)
class Trained:
    booster: object
    contract: InputContract
    X: np.ndarray
    names: list[str]


def _frame(rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frame = (
        pl.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(6)})
        .with_columns(
            program=pl.Series(np.array(["eng", "law", "med"])[rng.integers(0, 3, rows)]),
            first_gen=pl.Series(rng.random(rows) < 0.3),
            gpa=pl.Series(rng.uniform(2, 4, rows)),
        )
        .with_columns(gpa=pl.when(pl.lit(rng.random(rows) < 0.1)).then(None).otherwise(pl.col("gpa")))
    )
    signal = pl.col("x0") + 0.5 * pl.col("x1") * pl.col("x2") + (pl.col("program") == "law") - pl.col("first_gen")
    return frame.with_columns(y=(signal + pl.lit(rng.normal(scale=0.5, size=rows)) > 0).cast(pl.Int8))


@pytest.fixture(scope="module")
def trained() -> Trained:
    import xgboost

    train = _frame(1500, seed=1)
    contract = derive_contract(train, target="y")
    dtrain = xgboost.DMatrix(
        feature_matrix(train, contract),
        label=train.get_column("y").to_numpy(),
        feature_names=list(contract.features),
        feature_types=contract.feature_types(),
        enable_categorical=True,
    )
    params = {"max_depth": 6, "objective": "binary:logistic", "nthread": 2, "seed": 0}
    booster = xgboost.train(params, dtrain, num_boost_round=60)
    valid = _frame(3000, seed=2)
    return Trained(booster, contract, feature_matrix(valid, contract), list(contract.features))


def _margin(trained: Trained, X: np.ndarray) -> np.ndarray:
    return trained.booster.inplace_predict(X, predict_type="margin")


def test_exact_contributions_agree_with_shap_tree_explainer(trained: Trained) -> None:
    import shap

    sample = trained.X[:200]
    contribs, bias = contributions(trained.booster, sample, feature_names=trained.names)
    explainer = shap.TreeExplainer(trained.booster)
    expected = explainer.shap_values(sample)

    assert contribs.shape == (200, len(trained.names))
    assert contribs.dtype == np.float32
    np.testing.assert_allclose(contribs, expected, atol=1e-4, rtol=0)
    assert bias == pytest.approx(float(np.ravel(explainer.expected_value)[0]), abs=1e-4)


@pytest.mark.parametrize("method", ["exact", "approx"])
def test_contributions_plus_bias_add_up_to_the_margin(trained: Trained, method: str) -> None:
    contribs, bias = contributions(trained.booster, trained.X[:500], method=method)
    np.testing.assert_allclose(contribs.sum(axis=1) + bias, _margin(trained, trained.X[:500]), atol=1e-4)


def test_approx_is_close_to_exact_and_cheaper(trained: Trained) -> None:
    def timed(method: str, repeats: int) -> tuple[np.ndarray, float]:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            contribs, _ = contributions(trained.booster, trained.X[:1500], method=method)
            times.append(time.perf_counter() - start)
        return contribs, min(times)

    exact, exact_s = timed("exact", 1)
    approx, approx_s = timed("approx", 3)

    assert not np.allclose(exact, approx)  # a different attribution, not the same call
    exact_rank = global_importance(exact, trained.names).get_column("feature").to_list()
    approx_rank = global_importance(approx, trained.names).get_column("feature").to_list()
    assert set(exact_rank[:3]) == set(approx_rank[:3])
    assert np.corrcoef(np.abs(exact).mean(axis=0), np.abs(approx).mean(axis=0))[0, 1] > 0.95
    # About 40x here (depth 6); a factor 4 leaves room for a busy machine.
    assert approx_s < exact_s / 4, (approx_s, exact_s)


def test_a_numeric_polars_frame_gives_the_same_as_its_matrix(trained: Trained) -> None:
    frame = pl.DataFrame(trained.X[:50], schema=trained.names, orient="row")
    from_frame, bias_frame = contributions(trained.booster, frame)
    from_matrix, bias_matrix = contributions(trained.booster, trained.X[:50])
    np.testing.assert_array_equal(from_frame, from_matrix)
    assert bias_frame == bias_matrix


def test_no_rows_give_an_empty_array_and_the_bias(trained: Trained) -> None:
    contribs, bias = contributions(trained.booster, trained.X[:0])
    assert contribs.shape == (0, len(trained.names))
    assert bias == contributions(trained.booster, trained.X[:1])[1]


def test_bad_calls_are_refused_clearly(trained: Trained) -> None:
    with pytest.raises(ValidationError, match="differ from the model's"):
        contributions(trained.booster, trained.X[:5], feature_names=trained.names[::-1])
    with pytest.raises(ValidationError, match="model takes 9 features"):
        contributions(trained.booster, trained.X[:5, :4])
    with pytest.raises(ValidationError, match="Unknown explanation method 'kernel'"):
        contributions(trained.booster, trained.X[:5], method="kernel")
    with pytest.raises(ValidationError, match="2-D"):
        contributions(trained.booster, trained.X[0])


def test_multi_output_models_are_refused() -> None:
    import xgboost

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3)).astype(np.float32)
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2}
    booster = xgboost.train(params, xgboost.DMatrix(X, label=np.arange(90) % 3), num_boost_round=2)
    with pytest.raises(ValidationError, match="single-output models"):
        contributions(booster, X)


def test_global_importance_is_mean_absolute_contribution_sorted() -> None:
    contribs = np.array([[1.0, -4.0, 0.0], [-3.0, 2.0, 0.0]], dtype=np.float32)
    frame = global_importance(contribs, ["a", "b", "c"])
    assert frame.to_dicts() == [
        {"feature": "b", "mean_abs_shap": 3.0, "mean_shap": -1.0, "rank": 1},
        {"feature": "a", "mean_abs_shap": 2.0, "mean_shap": -1.0, "rank": 2},
        {"feature": "c", "mean_abs_shap": 0.0, "mean_shap": 0.0, "rank": 3},
    ]
    with pytest.raises(ValidationError, match="do not match 2 feature names"):
        global_importance(contribs, ["a", "b"])


def test_local_sample_is_seeded_and_adds_up(trained: Trained) -> None:
    first = local_sample(trained.booster, trained.X, n=40, seed=5)
    again = local_sample(trained.booster, trained.X, n=40, seed=5)
    other = local_sample(trained.booster, trained.X, n=40, seed=6)

    np.testing.assert_array_equal(first.rows, again.rows)
    assert not np.array_equal(first.rows, other.rows)
    assert len(np.unique(first.rows)) == 40
    assert np.all(np.diff(first.rows) > 0)
    np.testing.assert_array_equal(first.values, trained.X[first.rows])
    frame = first.to_frame()
    assert frame.columns == ["row", "feature", "value", "contribution", "base_value"]
    assert frame.height == 40 * len(trained.names)
    per_row = frame.group_by("row", maintain_order=True).agg(
        pl.col("contribution").sum() + pl.col("base_value").first()
    )
    np.testing.assert_allclose(per_row.get_column("contribution"), _margin(trained, trained.X[first.rows]), atol=1e-4)
    assert first.summary() == {
        "rows": 40,
        "features": 9,
        "base_value": first.base_value,
        "method": "exact",
        "device": "cpu",
        "seed": 5,
    }
    assert len(local_sample(trained.booster, trained.X[:10], n=1000).rows) == 10


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    device_module.cuda_available.cache_clear()
    monkeypatch.setattr(device_module, "_probe_cuda", lambda: True)
    yield
    device_module.cuda_available.cache_clear()


def test_approx_runs_on_the_cpu_even_when_cuda_is_asked_for(trained: Trained, fake_gpu: None) -> None:
    # XGBoost has no GPU implementation of approx_contribs; had the booster been switched
    # to CUDA here (no GPU present), XGBoost would warn and the warning would fail the test.
    assert effective_device("approx", "cuda") == "cpu"
    assert effective_device("exact", "cuda") == "cuda"
    contribs, _ = contributions(trained.booster, trained.X[:20], method="approx", device="cuda")
    assert contribs.shape == (20, 9)


def test_the_booster_keeps_its_device_setting(trained: Trained) -> None:
    import json

    contributions(trained.booster, trained.X[:5], device="cpu")
    config = json.loads(trained.booster.save_config())
    assert config["learner"]["generic_param"]["device"] == "cpu"


@pytest.mark.skipif(cuda_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_is_a_clear_error(trained: Trained) -> None:
    with pytest.raises(DeviceUnavailable, match="cannot use a CUDA GPU"):
        contributions(trained.booster, trained.X[:5], device="cuda")


@pytest.mark.skipif(not cuda_available(), reason="no GPU that XGBoost can use")
def test_gpu_treeshap_agrees_with_the_cpu(trained: Trained) -> None:
    on_cpu, bias_cpu = contributions(trained.booster, trained.X, device="cpu")
    on_gpu, bias_gpu = contributions(trained.booster, trained.X, device="cuda")
    np.testing.assert_allclose(on_gpu, on_cpu, atol=1e-4)
    assert bias_gpu == pytest.approx(bias_cpu, abs=1e-5)
