"""Bad input gets a clear error naming the column, entity or feature, and changes nothing."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from workbench.cli.main import main
from workbench.core.errors import ValidationError
from workbench.features import FeatureSet, Source
from workbench.features.errors import FeatureError, UnknownFeatureSet
from workbench.features.service import training_set
from workbench.project.workspace import Workspace

T0 = datetime(2026, 1, 1)


def _module(root: Path, features: str = 'pl.col("amount")', ttl: str = "None", time: str = "time") -> None:
    (root / "features").mkdir(exist_ok=True)
    (root / "features" / "spend.py").write_text(
        textwrap.dedent(
            f"""
            from datetime import timedelta

            import polars as pl

            from workbench.features import FeatureSet, Source

            spend = FeatureSet(
                name="spend",
                entity="customer",
                event_time="{time}",
                sources=[Source("orders", "data/orders.parquet", features={{"amount": {features}}}, ttl={ttl})],
            )
            """
        )
    )


def _orders(root: Path, frame: pl.DataFrame | None = None) -> None:
    (root / "data").mkdir(exist_ok=True)
    frame = (
        frame
        if frame is not None
        else pl.DataFrame({"customer": [1, 1, 2], "time": [T0, T0 + timedelta(1), T0], "amount": [1.0, 2.0, 3.0]})
    )
    frame.write_parquet(root / "data" / "orders.parquet")


def _entities() -> pl.DataFrame:
    return pl.DataFrame({"customer": [1, 2], "decision_time": [T0 + timedelta(days=5)] * 2})


def test_unknown_feature_set_lists_the_known_ones(workspace: Workspace) -> None:
    _module(workspace.project.root)
    with pytest.raises(UnknownFeatureSet, match=r"No feature set named 'spnd'.*known: spend"):
        training_set(workspace.project, "spnd", _entities())


def test_missing_source_column_is_named(workspace: Workspace) -> None:
    _module(workspace.project.root, features='pl.col("amount") * pl.col("rate")')
    _orders(workspace.project.root)
    with pytest.raises(FeatureError, match=r"Feature 'amount' of the source 'orders'.*rate"):
        training_set(workspace.project, "spend", _entities())


def test_missing_event_time_column_is_named(workspace: Workspace) -> None:
    _module(workspace.project.root, time="ordered_at")
    _orders(workspace.project.root)
    with pytest.raises(FeatureError, match=r"has no column\(s\) 'ordered_at'"):
        training_set(workspace.project, "spend", _entities())


def test_null_event_times_are_refused(workspace: Workspace) -> None:
    _module(workspace.project.root)
    frame = pl.DataFrame({"customer": [1, 2], "time": [T0, None], "amount": [1.0, 2.0]})
    _orders(workspace.project.root, frame)
    with pytest.raises(FeatureError, match=r"1 row\(s\) with a null event time 'time'"):
        training_set(workspace.project, "spend", _entities())


def test_event_times_that_are_not_times_are_refused(workspace: Workspace) -> None:
    _module(workspace.project.root)
    frame = pl.DataFrame({"customer": [1], "time": ["2026-01-01"], "amount": [1.0]})
    _orders(workspace.project.root, frame)
    with pytest.raises(FeatureError, match=r"event-time column 'time'.*not a date or datetime"):
        training_set(workspace.project, "spend", _entities())


@pytest.mark.parametrize("key", [pl.Int64(), pl.String()], ids=str)
def test_duplicate_entity_and_time_rows_name_the_entity(workspace: Workspace, key: pl.DataType) -> None:
    # Integer keys are checked on their sorted (entity, time) keys, others on the sorted timeline.
    _module(workspace.project.root)
    frame = pl.DataFrame({"customer": [1, 7, 2, 7], "time": [T0, T0, T0, T0], "amount": [1.0, 2.0, 3.0, 4.0]})
    _orders(workspace.project.root, frame.with_columns(pl.col("customer").cast(key)))
    expected = "customer=7" if key == pl.Int64() else "customer='7'"
    with pytest.raises(FeatureError, match=rf"1 duplicate \(customer, time\) row\(s\), e.g. {expected} at 2026-01-01"):
        training_set(workspace.project, "spend", _entities().with_columns(pl.col("customer").cast(key)))


def test_a_feature_expression_that_fails_on_the_data(workspace: Workspace) -> None:
    _module(workspace.project.root, features='pl.col("note").cast(pl.Int64, strict=True)')
    frame = pl.DataFrame({"customer": [1], "time": [T0], "note": ["not a number"]})
    _orders(workspace.project.root, frame)
    with pytest.raises(FeatureError, match=r"Computing the source .orders. of feature set .spend. failed"):
        training_set(workspace.project, "spend", _entities())


@pytest.mark.parametrize(
    ("ttl", "message"),
    [("timedelta(0)", "keeps no value at all"), ('"7d"', "give a datetime.timedelta")],
)
def test_a_ttl_with_no_usable_value(workspace: Workspace, ttl: str, message: str) -> None:
    _module(workspace.project.root, ttl=ttl)
    with pytest.raises(FeatureError, match=rf"features/spend.py: The TTL of source 'orders' .*{message}"):
        training_set(workspace.project, "spend", _entities())


def test_missing_source_file_says_how_to_get_it(workspace: Workspace) -> None:
    _module(workspace.project.root)
    with pytest.raises(FeatureError, match=r"does not exist.*dvc pull"):
        training_set(workspace.project, "spend", _entities())


def test_a_source_outside_the_project_is_refused(workspace: Workspace) -> None:
    feature_set = FeatureSet("x", "customer", "time", (Source("s", "../outside.parquet", {"a": pl.col("a")}),))
    with pytest.raises(ValidationError, match="outside the project"):
        training_set(workspace.project, feature_set, _entities())


def test_entity_frame_problems_are_named(workspace: Workspace) -> None:
    _module(workspace.project.root)
    _orders(workspace.project.root)
    with pytest.raises(FeatureError, match=r"no column\(s\) 'decision_time'"):
        training_set(workspace.project, "spend", _entities().rename({"decision_time": "when"}))
    with pytest.raises(FeatureError, match=r"already has column\(s\) 'amount'"):
        training_set(workspace.project, "spend", _entities().with_columns(amount=pl.lit(1.0)))
    with pytest.raises(FeatureError, match=r"'customer' is String in the entity frame and Int64"):
        training_set(workspace.project, "spend", _entities().with_columns(pl.col("customer").cast(pl.String)))


def test_python_functions_in_expressions_cannot_be_versioned() -> None:
    feature_set = FeatureSet(
        "x", "c", "t", (Source("s", "a.parquet", {"f": pl.col("a").map_elements(lambda v: v, pl.Int64)}),)
    )
    with pytest.raises(FeatureError, match="calls a Python function"):
        _ = feature_set.version


def test_cli_list_show_and_errors(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    _module(workspace.project.root, ttl="timedelta(days=3)")
    assert main(["features", "list"]) == 0
    out = capsys.readouterr().out
    assert "spend" in out and "customer" in out
    assert main(["features", "show", "spend"]) == 0
    out = capsys.readouterr().out
    assert "source orders: data/orders.parquet" in out and "ttl 3 days" in out and "- amount" in out
    assert main(["features", "show", "nope"]) == 4
    assert "No feature set named 'nope'" in capsys.readouterr().err
