"""Tests for the synthetic support-ticket generator (workbench.examples.ticket_triage)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.core.errors import ValidationError
from workbench.examples.ticket_triage import (
    CHANNELS,
    FEATURES,
    KEY,
    PRODUCT_AREAS,
    SCHEMA,
    TARGET,
    TEAM_TARGET,
    TEAMS,
    TIERS,
    generate_tickets,
    split,
    window,
)


@pytest.fixture(scope="module")
def tickets() -> pl.DataFrame:
    return generate_tickets(20_000, seed=2)


def test_constants_name_real_columns() -> None:
    assert set(FEATURES) | {KEY, TARGET, TEAM_TARGET} <= set(SCHEMA)
    assert TARGET not in FEATURES
    assert TEAM_TARGET not in FEATURES


def test_schema_determinism_and_ids() -> None:
    df = generate_tickets(2_000, seed=1)
    assert dict(df.schema) == SCHEMA
    assert_frame_equal(df, generate_tickets(2_000, seed=1))
    assert not df.equals(generate_tickets(2_000, seed=2))
    assert_frame_equal(generate_tickets(300, seed=1), df.head(300))
    assert df[KEY].is_unique().all()
    assert df[KEY][0] == "T-0000001"
    assert generate_tickets(1, start_id=42)[KEY][0] == "T-0000042"


def test_bounds_and_categories(tickets: pl.DataFrame) -> None:
    df = tickets
    assert df.null_count().sum_horizontal().item() == 0
    assert set(df["channel"].unique()) == set(CHANNELS)
    assert set(df["product_area"].unique()) == set(PRODUCT_AREAS)
    assert set(df["customer_tier"].unique()) == set(TIERS)
    assert set(df[TEAM_TARGET].unique()) == set(TEAMS)
    assert df["text_length"].is_between(15, 8_000).all()
    assert df["exclamation_count"].is_between(0, 30).all()
    assert df["account_age_days"].is_between(0, 5_000).all()
    assert df["sentiment"].is_between(-1.0, 1.0).all()
    first, end = window(date(2025, 1, 1), 90)
    assert (df["created_at"] >= first).all()
    assert (df["created_at"] < end).all()
    assert set(df[TARGET].unique()) == {0, 1}


def test_window_follows_arguments() -> None:
    df = generate_tickets(500, seed=0, start=date(2024, 6, 1), days=7)
    first, end = window(date(2024, 6, 1), 7)
    assert df["created_at"].is_between(first, end, closed="left").all()


def test_priority_rate_and_drivers(tickets: pl.DataFrame) -> None:
    df = tickets
    assert 0.18 < df[TARGET].mean() < 0.35
    crash = df.filter(pl.col("mentions_crash"))[TARGET].mean()
    calm = df.filter(~pl.col("mentions_crash") & (pl.col("sentiment") > 0.3))[TARGET].mean()
    assert crash > calm + 0.25
    by_tier = df.group_by("customer_tier").agg(pl.col(TARGET).mean()).sort("customer_tier")
    rates = dict(by_tier.iter_rows())
    assert rates["free"] < rates["pro"] < rates["enterprise"]


def test_keywords_follow_product_area(tickets: pl.DataFrame) -> None:
    billing = tickets.filter(pl.col("product_area") == "billing")["mentions_billing"].mean()
    other = tickets.filter(pl.col("product_area") != "billing")["mentions_billing"].mean()
    assert billing > 0.5 > 0.2 > other


def test_team_routing_mostly_follows_the_rules(tickets: pl.DataFrame) -> None:
    money = tickets.filter(pl.col("mentions_refund") | pl.col("mentions_billing"))
    assert (money[TEAM_TARGET] == "billing_ops").mean() > 0.9
    plain_mobile = tickets.filter(
        (pl.col("product_area") == "mobile_app")
        & ~pl.col("mentions_refund")
        & ~pl.col("mentions_billing")
        & ~pl.col("mentions_login")
    )
    assert 0.9 < (plain_mobile[TEAM_TARGET] == "mobile").mean() < 1.0  # some tickets were rerouted by hand


def test_split_and_empty() -> None:
    df = generate_tickets(1_000, seed=3)
    train, valid = split(df, valid_fraction=0.2, seed=0, stratify=TARGET)
    assert train.height + valid.height == 1_000
    assert not set(train[KEY]) & set(valid[KEY])
    empty = generate_tickets(0)
    assert empty.height == 0
    assert dict(empty.schema) == SCHEMA


@pytest.mark.parametrize("kwargs", [{"n": -5}, {"n": 5, "days": 0}, {"n": 5, "seed": -2}])
def test_bad_arguments_raise(kwargs: dict) -> None:
    n = kwargs.pop("n")
    with pytest.raises(ValidationError):
        generate_tickets(n, **kwargs)


def test_prepare_tickets_writes_the_pipelines_two_files(tmp_path) -> None:
    from workbench.examples.ticket_triage import prepare_tickets

    history, incoming = prepare_tickets(tmp_path / "tickets", n_tickets=300, n_incoming=50, seed=5)

    assert_frame_equal(pl.read_parquet(tmp_path / "tickets" / "history.parquet"), history)
    assert_frame_equal(pl.read_parquet(tmp_path / "tickets" / "incoming.parquet"), incoming)
    assert history.height == 300 and TARGET in history.columns
    assert incoming.height == 50 and TARGET not in incoming.columns and "team" in incoming.columns
    assert incoming["ticket_id"][0] == "T-" + "301".zfill(len(incoming["ticket_id"][0]) - 2)
    assert set(history["ticket_id"]).isdisjoint(incoming["ticket_id"])
