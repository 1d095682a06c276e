"""Raw ticket records and the repository's ``tickets`` feature set (features/tickets.py): seeded, consistent
with the tickets they come from, and point in time (a reopen or an order after a ticket is never counted)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.core.errors import ValidationError
from workbench.examples.ticket_records import (
    DERIVED,
    FEATURE_SET_FEATURES,
    prepare_ticket_records,
    raw_records,
)
from workbench.examples.ticket_triage import TARGET, generate_tickets
from workbench.features.catalog import get_feature_set
from workbench.features.service import training_set
from workbench.project.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def test_records_are_seeded_and_replace_the_derived_columns() -> None:
    tickets = generate_tickets(1_500, seed=4)
    first, again = raw_records(tickets, customers=300, seed=4), raw_records(tickets, customers=300, seed=4)
    for name in first:
        assert_frame_equal(first[name], again[name])
    assert not first["reopens"].equals(raw_records(tickets, customers=300, seed=5)["reopens"])
    form = first["tickets"]
    assert not set(DERIVED) & set(form.columns) and form.height == 1_500
    assert form["customer_id"].n_unique() <= 300
    # A customer's tickets share its tier.
    assert form.group_by("customer_id").agg(pl.col("customer_tier").n_unique())["customer_tier"].max() == 1
    # The message is exactly as long as the drawn text, and the text says what the flags say.
    messages = first["messages"].join(tickets.select("ticket_id", "text_length", "mentions_refund"), on="ticket_id")
    assert (messages["text"].str.len_chars() == messages["text_length"]).all()
    refund = messages.filter(pl.col("mentions_refund") & (pl.col("text_length") > 40))
    assert refund["text"].str.contains("refund").all()
    assert (messages["submitted_at"] < messages["created_at"]).all()


def test_each_ticket_is_its_customers_latest_message_and_later_records_exist() -> None:
    tickets = generate_tickets(3_000, seed=6)
    records = raw_records(tickets, customers=400, seed=6)
    messages = records["messages"].sort("customer_id", "submitted_at")
    # Ordered by submission, a customer's tickets also open in that order: no ticket opens between a
    # message and its own ticket, so the latest message before a ticket opens is its own.
    previous_open = pl.col("created_at").shift().over("customer_id")
    assert messages.filter(pl.col("submitted_at") <= previous_open).height == 0
    opened = tickets.select("ticket_id", "created_at")
    reopens = records["reopens"].join(opened, on="ticket_id")
    assert (reopens["reopened_at"] > reopens["created_at"]).all() and 0.05 < reopens.height / 3_000 < 0.25
    events = records["customer_events"]
    signups = events.filter(pl.col("event") == "signup")
    assert signups["customer_id"].is_unique().all()
    assert set(signups["customer_id"]) == set(messages["customer_id"])
    assert events.filter(pl.col("event") == "order")["recorded_at"].max() > tickets["created_at"].max()


def test_bad_customer_counts_raise() -> None:
    with pytest.raises(ValidationError):
        raw_records(generate_tickets(10), customers=2)


def _ticket_project(workspace: Workspace, n_tickets: int = 2_000, n_incoming: int = 300) -> Path:
    root = workspace.project.root
    (root / "features").mkdir()
    shutil.copy(REPO / "features" / "tickets.py", root / "features" / "tickets.py")
    prepare_ticket_records(root / "data" / "tickets", n_tickets=n_tickets, n_incoming=n_incoming, seed=3)
    return root


def _brute_force(root: Path, entities: pl.DataFrame) -> pl.DataFrame:
    """The feature set by its definition, one ticket at a time: only records strictly before it opened."""
    raw = root / "data" / "tickets" / "raw"
    messages = pl.read_parquet(raw / "messages.parquet")
    events = pl.read_parquet(raw / "customer_events.parquet")
    reopens = pl.read_parquet(raw / "reopens.parquet")
    rows = []
    for ticket, customer, at in entities.select("ticket_id", "customer_id", "created_at").rows():
        sent = messages.filter((pl.col("customer_id") == customer) & (pl.col("submitted_at") < at)).sort("submitted_at")
        fresh = at - sent["submitted_at"][-1] <= timedelta(hours=1)
        known = events.filter((pl.col("customer_id") == customer) & (pl.col("recorded_at") < at))
        signup = known.filter(pl.col("event") == "signup")["recorded_at"][0]
        reopened = reopens.filter((pl.col("customer_id") == customer) & (pl.col("reopened_at") < at)).height
        rows.append(
            {
                "ticket_id": ticket,
                "text_length": len(sent["text"][-1]) if fresh else None,
                "prior_tickets": sent.height - 1 if fresh else None,
                "days_as_customer": (known["recorded_at"].max() - signup).days,
                "orders": known.filter(pl.col("event") == "order").height,
                "reopen_count": reopened or None,  # no reopen yet: no event to take a value from
            }
        )
    return pl.DataFrame(rows, schema={"ticket_id": pl.String, **dict.fromkeys(FEATURE_SET_FEATURES, pl.Int32)})


def test_the_feature_set_matches_a_brute_force_reference_point_in_time(workspace: Workspace) -> None:
    root = _ticket_project(workspace)
    history = pl.read_parquet(root / "data" / "tickets" / "history.parquet")
    sample = history.sample(250, seed=1)
    result = training_set(workspace.project, "tickets", sample)
    assert isinstance(result, pl.DataFrame)
    assert result.columns == [*sample.columns, *FEATURE_SET_FEATURES]
    assert_frame_equal(result.select(sample.columns), sample)  # the entity frame keeps its rows and columns
    assert_frame_equal(result.select("ticket_id", *FEATURE_SET_FEATURES), _brute_force(root, sample))
    # Every ticket's own text, never an earlier ticket's.
    own = result.join(pl.read_parquet(root / "data" / "tickets" / "raw" / "messages.parquet"), on="ticket_id")
    assert (own["text_length"] == own["text"].str.len_chars()).all()


def test_a_reopen_after_the_ticket_is_not_counted(workspace: Workspace) -> None:
    root = _ticket_project(workspace)
    history = pl.read_parquet(root / "data" / "tickets" / "history.parquet")
    result = training_set(workspace.project, "tickets", history)
    assert isinstance(result, pl.DataFrame)
    reopens = pl.read_parquet(root / "data" / "tickets" / "raw" / "reopens.parquet")
    # The leak a naive join makes: every reopen of the customer, including the ticket's own, days later.
    naive = history.join(reopens.group_by("customer_id").len("all_reopens"), on="customer_id", how="left")
    compared = result.join(naive.select("ticket_id", "all_reopens"), on="ticket_id").fill_null(0)
    assert compared.filter(pl.col("reopen_count") < pl.col("all_reopens")).height > 100
    own = result.join(reopens.select("ticket_id", "reopened_at"), on="ticket_id")  # tickets reopened later
    assert own.height > 100
    counted = own.join(reopens.select("customer_id", pl.col("reopened_at").alias("other")), on="customer_id").filter(
        pl.col("other") < pl.col("created_at")
    )
    per_ticket = counted.group_by("ticket_id").len("before")
    check = own.join(per_ticket, on="ticket_id", how="left").fill_null(0)
    assert (check["reopen_count"].fill_null(0) == check["before"]).all()
    # The naive count is what gives the label away; the point-in-time one does not carry the ticket's own reopen.
    label_gap = compared.group_by(TARGET).agg((pl.col("all_reopens") - pl.col("reopen_count")).mean()).sort(TARGET)
    assert label_gap["all_reopens"][1] > label_gap["all_reopens"][0]


def test_the_ttl_drops_a_message_that_is_not_the_tickets_own(workspace: Workspace) -> None:
    root = _ticket_project(workspace, n_tickets=300, n_incoming=0)
    history = pl.read_parquet(root / "data" / "tickets" / "history.parquet")
    # Asked two hours after opening (and before the customer's next ticket), the ticket's message is too old.
    late = history.with_columns(pl.col("created_at") + timedelta(hours=2))
    result = training_set(workspace.project, "tickets", late)
    assert isinstance(result, pl.DataFrame)
    messages = pl.read_parquet(root / "data" / "tickets" / "raw" / "messages.parquet")
    quiet = messages.filter(
        (
            pl.col("submitted_at").shift(-1).over("customer_id", order_by="submitted_at")
            > pl.col("created_at") + timedelta(hours=2)
        )
        | pl.col("submitted_at").shift(-1).over("customer_id", order_by="submitted_at").is_null()
    )["ticket_id"]
    rows = result.filter(pl.col("ticket_id").is_in(quiet.implode()))
    assert rows.height > 250
    assert rows["text_length"].null_count() == rows.height and rows["prior_tickets"].null_count() == rows.height
    assert rows["days_as_customer"].null_count() == 0  # the CRM log has no TTL


def test_the_training_set_and_the_version_are_deterministic(workspace: Workspace) -> None:
    root = _ticket_project(workspace, n_tickets=500, n_incoming=100)
    history = pl.read_parquet(root / "data" / "tickets" / "history.parquet")
    first = training_set(workspace.project, "tickets", history)
    version = get_feature_set(workspace.project, "tickets").version
    prepare_ticket_records(root / "data" / "tickets", n_tickets=500, n_incoming=100, seed=3)
    assert_frame_equal(training_set(workspace.project, "tickets", history), first)
    assert get_feature_set(workspace.project, "tickets").version == version
