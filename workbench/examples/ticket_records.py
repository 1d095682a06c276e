"""The ticket-triage case on raw records: what a helpdesk holds about each ticket and its customer, time-stamped.

:func:`raw_records` turns tickets drawn by :func:`workbench.examples.ticket_triage.generate_tickets`
into the records a helpdesk and its CRM keep, the sources of the ``tickets`` feature set
(``features/tickets.py``), which derives the model's inputs from them as of each ticket's
``created_at``:

* ``tickets``: the ticket form the model scores (channel, product area, tier, keyword flags,
  sentiment, ...) with its ``customer_id`` and ``created_at``; no text length and no account age,
  those are derived;
* ``messages``: the customer's text of each ticket (exactly as long as the drawn ``text_length``),
  ``submitted_at`` a few minutes before the helpdesk opened the ticket from it (and always after
  the customer's previous ticket opened, so the latest message before a ticket is its own);
* ``customer_events``: the CRM's activity log of each customer: the ``signup``, ``order`` events
  (some after the ticket) and a ``ticket`` event per message;
* ``reopens``: tickets reopened 1-21 days after they opened (more often for high-priority ones),
  keyed by customer: a later ticket of the customer counts them, the ticket itself must not.

Customers are drawn per tier (a customer's tickets share its tier), a few of them heavy users.
Everything is seeded and vectorised; the same tickets, customers and seed give the same records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from workbench.core.errors import ValidationError
from workbench.examples._common import check_n, check_seed, formatted_ids, streams, write_parquet_atomic
from workbench.examples.ticket_triage import KEY, TARGET, TIERS, generate_tickets

__all__ = [
    "DERIVED",
    "ENTITY",
    "FEATURE_SET_FEATURES",
    "RAW",
    "prepare_ticket_records",
    "raw_records",
]

ENTITY = "customer_id"
#: Columns of a generated ticket that the raw records replace (the feature set derives them).
DERIVED = ("text_length", "account_age_days")
#: What the ``tickets`` feature set computes, as of each ticket's ``created_at``.
FEATURE_SET_FEATURES = ("text_length", "prior_tickets", "days_as_customer", "orders", "reopen_count")
#: The raw sources, one Parquet file each under ``raw/``.
RAW = ("messages", "customer_events", "reopens")

_US = 1_000_000
_DAY_US = 86_400 * _US
_TIER_SHARE = np.array([0.55, 0.33, 0.12])  # customers per tier, as generate_tickets draws tickets
_ORDERS_PER_MONTH = np.array([0.3, 1.0, 2.5])  # per tier
_STREAMS = ("customer", "signup", "orders", "order_time", "delay", "reopen", "reopen_day")
_PHRASES = {
    "mentions_refund": "I would like a refund. ",
    "mentions_crash": "The app crashes when I open it. ",
    "mentions_login": "I cannot log in to my account. ",
    "mentions_billing": "My invoice shows the wrong amount. ",
}
_FILLER = "Thanks for looking into this, here is what happened and what I tried so far. " * 110  # > 8,000


def _datetimes(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64)).cast(pl.Datetime("us"))


def _texts(tickets: pl.DataFrame) -> pl.Series:
    """Each ticket's text: its keyword phrases, its exclamation marks, then filler, ``text_length`` long."""
    parts = [pl.when(pl.col(flag)).then(pl.lit(text)).otherwise(pl.lit("")) for flag, text in _PHRASES.items()]
    exclamations = pl.lit("!" * 30).str.slice(0, pl.col("exclamation_count").cast(pl.Int64))
    filler = pl.lit(_FILLER).str.slice(0, pl.col("text_length").cast(pl.Int64))
    text = pl.concat_str([*parts, exclamations, filler]).str.slice(0, pl.col("text_length").cast(pl.Int64))
    return tickets.select(text.alias("text")).to_series()


def raw_records(tickets: pl.DataFrame, *, customers: int, seed: int = 0) -> dict[str, pl.DataFrame]:
    """``tickets``, ``messages``, ``customer_events`` and ``reopens`` for ``tickets`` from ``customers`` customers.

    Pass every ticket of the customer base at once (history and incoming together), so each
    customer has one signup and one order history; a ticket without :data:`TARGET` (an
    incoming one) is reopened at the average rate.
    """
    seed = check_seed(seed)
    customers = check_n(customers)
    if customers < len(TIERS):
        raise ValidationError(f"customers must be at least {len(TIERS)} (one per tier), got {customers!r}.")
    m = tickets.height
    rng = streams(seed, (0x7EC, customers), _STREAMS)

    # Customers: a pool per tier; a ticket goes to a customer of its tier, skewed towards heavy users.
    pool = np.maximum(1, np.round(customers * _TIER_SHARE)).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(pool)[:-1]])
    tier = tickets["customer_tier"].replace_strict(list(TIERS), list(range(len(TIERS)))).to_numpy()
    who = offset[tier] + np.floor(pool[tier] * rng["customer"].random(m) ** 1.5).astype(np.int64)
    n_customers = int(pool.sum())
    customer_ids = formatted_ids("C-", 1, n_customers, width=6)
    customer_tier = np.repeat(np.arange(len(TIERS)), pool)

    created = tickets["created_at"].cast(pl.Int64).to_numpy()
    # Submitted 5 s to 5 min before the ticket opened, and after the customer's previous ticket opened
    # (halfway at the latest), so the customer's latest message before a ticket is the ticket's own.
    order = np.lexsort((created, who))
    follows = np.r_[False, who[order][1:] == who[order][:-1]]  # the same customer's ticket is just before
    previous = np.full(m, np.iinfo(np.int64).min // 2)
    previous[order[follows]] = created[order][np.flatnonzero(follows) - 1]
    delay = rng["delay"].integers(5 * _US, 300 * _US, m)
    delay = np.maximum(np.minimum(delay, (created - previous) // 2), 1)
    submitted = created - delay
    customer = customer_ids.gather(who)

    messages = pl.DataFrame(
        {
            KEY: tickets[KEY],
            ENTITY: customer,
            "text": _texts(tickets),
            "submitted_at": _datetimes(submitted),
            "created_at": tickets["created_at"],
        }
    )

    # Signup: before the customer's first ticket, by an account age that grows with the tier.
    first = np.full(n_customers, np.iinfo(np.int64).max)
    np.minimum.at(first, who, submitted)
    has_tickets = first < np.iinfo(np.int64).max
    lead_days = rng["signup"].gamma(1.4, 200.0 * (1.0 + customer_tier))
    signup = first - (lead_days * _DAY_US).astype(np.int64) - _US
    # Orders: at a tier's monthly rate from signup until 30 days after the last ticket (later ones too).
    end = int(created.max()) + 30 * _DAY_US if m else 0
    span_days = np.maximum(end - signup, 0) / _DAY_US
    counts = np.where(
        has_tickets, np.minimum(rng["orders"].poisson(_ORDERS_PER_MONTH[customer_tier] * span_days / 30), 200), 0
    )
    buyer = np.repeat(np.arange(n_customers), counts)
    order_at = signup[buyer] + (rng["order_time"].random(buyer.size) * (end - signup[buyer])).astype(np.int64)
    signed = np.flatnonzero(has_tickets)
    customer_events = pl.DataFrame(
        {
            ENTITY: pl.concat([customer_ids.gather(signed), customer_ids.gather(buyer), customer]),
            "event": pl.Series(["signup"] * signed.size + ["order"] * buyer.size + ["ticket"] * m, dtype=pl.String),
            "recorded_at": _datetimes(np.concatenate([signup[signed], order_at, submitted])),
        }
    ).sort(ENTITY, "recorded_at")

    # Reopens: a ticket that was handled badly comes back; high-priority ones more often.
    label = tickets[TARGET].cast(pl.Float64).to_numpy() if TARGET in tickets.columns else np.full(m, np.nan)
    rate = np.where(np.isnan(label), 0.13, 0.08 + 0.20 * np.nan_to_num(label))
    reopened = rng["reopen"].random(m) < rate
    reopen_at = created + (rng["reopen_day"].uniform(1.0, 21.0, m) * _DAY_US).astype(np.int64)
    mask = pl.Series(reopened)
    reopens = pl.DataFrame(
        {
            ENTITY: customer.filter(mask),
            KEY: tickets[KEY].filter(mask),
            "reopened_at": _datetimes(reopen_at[reopened]),
        }
    )

    form = tickets.drop([c for c in DERIVED if c in tickets.columns]).with_columns(customer.alias(ENTITY))
    return {"tickets": form, "messages": messages, "customer_events": customer_events, "reopens": reopens}


def prepare_ticket_records(
    out_dir: str | Path, *, n_tickets: int, n_incoming: int, seed: int = 0, customers: int | None = None
) -> dict[str, int]:
    """The ticket pipeline's prepare stage: ``history.parquet`` (labelled tickets), ``incoming.parquet``
    (the tickets that follow, numbered after them, without :data:`TARGET`) and the raw sources of
    both under ``raw/`` in ``out_dir``; returns the rows written per file.

    ``customers`` defaults to one per four tickets.
    """
    history = generate_tickets(n_tickets, seed=seed)
    incoming = generate_tickets(n_incoming, seed=seed + 1, start_id=n_tickets + 1).drop(TARGET)
    every = pl.concat([history, incoming], how="diagonal")
    records = raw_records(every, customers=customers or max(len(TIERS), every.height // 4), seed=seed)
    folder = Path(out_dir)
    form = records["tickets"]
    written = {
        "history": form.head(n_tickets),
        "incoming": form.slice(n_tickets).drop(TARGET),
        **{f"raw/{name}": records[name] for name in RAW},
    }
    for name, frame in written.items():
        write_parquet_atomic(frame, folder / f"{name}.parquet")
    return {name: frame.height for name, frame in written.items()}
