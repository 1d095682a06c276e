"""The ticket-triage feature set: text length, customer history and reopens, as of each ticket.

Sources are written by the tickets pipeline's prepare stage (workbench.examples.ticket_records);
the entity frame is a ticket with its ``customer_id`` and ``created_at``. Every value is what the
helpdesk knew strictly before the ticket opened: an order placed later, or a reopen of this very
ticket days afterwards, is not used.
"""

from datetime import timedelta

import polars as pl

from workbench.features import FeatureSet, Source

tickets = FeatureSet(
    name="tickets",
    entity="customer_id",
    event_time="recorded_at",
    at="created_at",
    description="Ticket text length, the customer's earlier tickets, tenure and orders, and reopened tickets.",
    sources=[
        Source(
            "messages",
            "data/tickets/raw/messages.parquet",
            event_time="submitted_at",
            features={
                # The customer's latest message before the ticket opened is the ticket's own text.
                "text_length": pl.col("text").str.len_chars().cast(pl.Int32),
                "prior_tickets": pl.col("ticket_id").cum_count().cast(pl.Int32) - 1,
            },
            ttl=timedelta(hours=1),  # a ticket opens minutes after its message; an older one is another ticket's
        ),
        Source(
            "customer_events",
            "data/tickets/raw/customer_events.parquet",
            features={
                # Each ticket's own CRM event comes minutes before it opens, so this is the tenure at the ticket.
                "days_as_customer": (
                    pl.col("recorded_at")
                    - pl.when(pl.col("event") == "signup").then(pl.col("recorded_at")).forward_fill()
                )
                .dt.total_days()
                .cast(pl.Int32),
                "orders": (pl.col("event") == "order").cast(pl.Int32).cum_sum(),
            },
        ),
        Source(
            "reopens",
            "data/tickets/raw/reopens.parquet",
            event_time="reopened_at",
            features={"reopen_count": pl.col("ticket_id").cum_count().cast(pl.Int32)},
        ),
    ],
)
