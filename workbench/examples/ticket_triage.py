"""Synthetic product-feedback tickets: the smaller second example (priority and team routing).

:func:`generate_tickets` draws support tickets with the features a text pipeline
would extract (length, keyword flags, exclamation marks, a sentiment score) next to
account facts (tier, account age) and the channel. Two labels come with them:

- ``priority_high`` (0/1): a logistic function of crashes, refunds, login trouble,
  negative sentiment, shouting and the customer's tier, with noise; about a quarter
  of tickets are high priority.
- ``team``: where the ticket was routed. The product area picks a default team, and
  keywords override it (money goes to billing, login trouble to identity, a crash
  outside the apps to the web platform); 5% of tickets were routed by hand elsewhere.

Same conventions as :mod:`workbench.examples.admissions`: seeded per-column streams,
vectorised numpy and polars, chunked so millions of rows are cheap. :func:`prepare_tickets`
writes the two files the ticket pipeline starts from (``pipelines/tickets/dvc.yaml``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from workbench.core.errors import ValidationError
from workbench.examples._common import (
    check_n,
    check_seed,
    chunks,
    formatted_ids,
    sigmoid,
    split,
    streams,
    write_parquet_atomic,
)

__all__ = [
    "CATEGORICAL_FEATURES",
    "CHANNELS",
    "FEATURES",
    "KEY",
    "NUMERIC_FEATURES",
    "PRODUCT_AREAS",
    "SCHEMA",
    "SENSITIVE",
    "TARGET",
    "TEAMS",
    "TEAM_TARGET",
    "TIERS",
    "generate_tickets",
    "prepare_tickets",
    "split",
    "window",
    "write_parquet_atomic",
]

KEY = "ticket_id"
TARGET = "priority_high"
TEAM_TARGET = "team"
#: Tickets carry no personal attributes; governance checks have none to slice by.
SENSITIVE: tuple[str, ...] = ()

CHANNELS = ("email", "chat", "web_form", "phone", "app_review")
PRODUCT_AREAS = ("billing", "accounts", "mobile_app", "web_app", "integrations", "reporting")
TIERS = ("free", "pro", "enterprise")
TEAMS = ("billing_ops", "identity", "mobile", "web_platform", "integrations", "customer_success")

NUMERIC_FEATURES = (
    "text_length",
    "mentions_refund",
    "mentions_crash",
    "mentions_login",
    "mentions_billing",
    "exclamation_count",
    "account_age_days",
    "sentiment",
)
CATEGORICAL_FEATURES = ("channel", "product_area", "customer_tier")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES

SCHEMA: dict[str, pl.DataType] = {
    "ticket_id": pl.String(),
    "channel": pl.String(),
    "product_area": pl.String(),
    "text_length": pl.Int32(),
    "mentions_refund": pl.Boolean(),
    "mentions_crash": pl.Boolean(),
    "mentions_login": pl.Boolean(),
    "mentions_billing": pl.Boolean(),
    "exclamation_count": pl.Int16(),
    "customer_tier": pl.String(),
    "account_age_days": pl.Int32(),
    "sentiment": pl.Float64(),
    "created_at": pl.Datetime("us"),
    "priority_high": pl.Int8(),
    "team": pl.String(),
}

_CHANNEL_SHARE = np.array([0.38, 0.27, 0.18, 0.07, 0.10])
# Log-length offsets: chats are short, phone transcripts long.
_CHANNEL_LENGTH = np.array([0.25, -0.75, 0.0, 0.45, -0.35])
_AREA_SHARE = np.array([0.18, 0.16, 0.22, 0.24, 0.10, 0.10])
_TIER_SHARE = np.array([0.55, 0.33, 0.12])
# Per product area: P(mentions refund, crash, login, billing).
_KEYWORD_RATE = np.array(
    [
        [0.35, 0.02, 0.04, 0.70],  # billing
        [0.05, 0.03, 0.55, 0.10],  # accounts
        [0.04, 0.35, 0.12, 0.03],  # mobile_app
        [0.03, 0.25, 0.12, 0.03],  # web_app
        [0.02, 0.10, 0.05, 0.02],  # integrations
        [0.02, 0.04, 0.03, 0.03],  # reporting
    ]
)
# Default team of each product area (indices into TEAMS).
_AREA_TEAM = np.array([0, 1, 2, 3, 4, 5])
# Business hours (UTC) get most tickets.
_HOUR_WEIGHT = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 7, 5, 4, 3, 2, 2, 1], dtype=float)

_STREAMS = (
    "channel",
    "area",
    "tier",
    "keywords",
    "sentiment",
    "exclamations",
    "length",
    "account_age",
    "day",
    "hour",
    "second",
    "priority_noise",
    "priority",
    "reroute",
    "reroute_team",
)


def generate_tickets(
    n: int,
    *,
    seed: int = 0,
    start: date = date(2025, 1, 1),
    days: int = 90,
    start_id: int = 1,
) -> pl.DataFrame:
    """Draw ``n`` tickets created over ``days`` days from ``start``; columns and dtypes as in :data:`SCHEMA`."""
    n = check_n(n)
    seed = check_seed(seed)
    if isinstance(days, bool) or days < 1:
        raise ValidationError(f"days must be a positive integer, got {days!r}.")
    if isinstance(start_id, bool) or start_id < 0:
        raise ValidationError(f"start_id must be a non-negative integer, got {start_id!r}.")
    origin = start.toordinal() - date(1970, 1, 1).toordinal()
    parts = [
        _chunk(m, seed=seed, origin_day=origin, days=int(days), chunk=c, first_id=start_id + offset)
        for c, offset, m in chunks(n)
    ]
    return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=True)


def _chunk(m: int, *, seed: int, origin_day: int, days: int, chunk: int, first_id: int) -> pl.DataFrame:
    rng = streams(seed, (0x71C, origin_day, days, chunk), _STREAMS)

    channel = rng["channel"].choice(len(CHANNELS), size=m, p=_CHANNEL_SHARE)
    area = rng["area"].choice(len(PRODUCT_AREAS), size=m, p=_AREA_SHARE)
    tier = rng["tier"].choice(len(TIERS), size=m, p=_TIER_SHARE)

    keywords = rng["keywords"].random((m, 4)) < _KEYWORD_RATE[area]
    refund, crash, login, billing = (keywords[:, i] for i in range(4))

    mood = 0.15 - 0.45 * crash - 0.35 * refund - 0.20 * login - 0.10 * billing
    sentiment = np.round(np.clip(mood + 0.35 * rng["sentiment"].standard_normal(m), -1.0, 1.0), 3)
    exclamations = rng["exclamations"].poisson(np.exp(-0.5 - 1.3 * sentiment + 0.4 * (channel == 4)))
    exclamations = np.minimum(exclamations, 30)

    log_length = np.log(380.0) + _CHANNEL_LENGTH[channel] + 0.15 * crash + 0.7 * rng["length"].standard_normal(m)
    text_length = np.clip(np.round(np.exp(log_length)), 15, 8000)

    # Paying tiers have older accounts; a gamma keeps the long tail of loyal customers.
    account_age = rng["account_age"].gamma(1.4, 200.0 * (1.0 + tier))
    account_age = np.minimum(np.floor(account_age), 5000)

    day = rng["day"].integers(0, days, size=m)
    hour = rng["hour"].choice(24, size=m, p=_HOUR_WEIGHT / _HOUR_WEIGHT.sum())
    seconds = ((origin_day + day) * 86_400 + hour * 3_600 + rng["second"].integers(0, 3_600, size=m)).astype(np.int64)

    logit = (
        -2.3
        + 1.7 * crash
        + 0.8 * refund
        + 0.9 * login
        + 0.3 * billing
        + np.array([0.0, 0.5, 1.2])[tier]
        - 1.1 * sentiment
        + 0.10 * np.minimum(exclamations, 10)
        + 0.4 * (channel == 3)
        + 0.5 * rng["priority_noise"].standard_normal(m)
    )
    priority = rng["priority"].random(m) < sigmoid(logit)

    team = _AREA_TEAM[area].copy()
    outside_apps = (area == 0) | (area == 1) | (area == 5)
    team[crash & outside_apps] = 3
    team[login & (area != 0)] = 1
    team[refund | billing] = 0
    rerouted = rng["reroute"].random(m) < 0.05
    team = np.where(rerouted, rng["reroute_team"].integers(0, len(TEAMS), size=m), team)

    return pl.DataFrame(
        [
            formatted_ids("T-", first_id, m).alias("ticket_id"),
            pl.Series("channel", CHANNELS, dtype=pl.String).gather(channel),
            pl.Series("product_area", PRODUCT_AREAS, dtype=pl.String).gather(area),
            pl.Series("text_length", text_length.astype(np.int32)),
            pl.Series("mentions_refund", refund),
            pl.Series("mentions_crash", crash),
            pl.Series("mentions_login", login),
            pl.Series("mentions_billing", billing),
            pl.Series("exclamation_count", exclamations.astype(np.int16)),
            pl.Series("customer_tier", TIERS, dtype=pl.String).gather(tier),
            pl.Series("account_age_days", account_age.astype(np.int32)),
            pl.Series("sentiment", sentiment, dtype=pl.Float64),
            pl.Series("created_at", seconds * 1_000_000).cast(pl.Datetime("us")),
            pl.Series("priority_high", priority.astype(np.int8)),
            pl.Series("team", TEAMS, dtype=pl.String).gather(team),
        ]
    )


def window(start: date = date(2025, 1, 1), days: int = 90) -> tuple[datetime, datetime]:
    """The half-open interval ``[first, end)`` that ``created_at`` falls in for these arguments."""
    first = datetime(start.year, start.month, start.day)
    return first, datetime.fromordinal(start.toordinal() + days)


def prepare_tickets(
    out_dir: str | Path, *, n_tickets: int, n_incoming: int, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Write ``history.parquet`` (labelled tickets) and ``incoming.parquet`` (the tickets that follow,
    numbered after them, without :data:`TARGET`) into ``out_dir``; returns both frames."""
    history = generate_tickets(n_tickets, seed=seed)
    incoming = generate_tickets(n_incoming, seed=seed + 1, start_id=n_tickets + 1).drop(TARGET)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(history, folder / "history.parquet")
    write_parquet_atomic(incoming, folder / "incoming.parquet")
    return history, incoming
