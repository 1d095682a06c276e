"""Seeded synthetic data for the example automations; nothing is downloaded.

Two generators, each a module with a ``generate_*`` function, its column constants
(``FEATURES``, ``TARGET``, ``KEY``, ``SENSITIVE``, ``SCHEMA``), ``split`` and
``write_parquet_atomic``:

- :mod:`workbench.examples.admissions`: university applicants for the reference case
  (admissions triage). ``generate_applicants(n, seed=, year=, bias=, drift=, start_id=)``
  gives merit features, region, first-generation status, gender, application date,
  document completeness flags and the historical decision ``admit``, with a tunable
  bias against first-generation (and, at half strength, female) applicants and a
  drifted cohort (shifted test scores, a new region) for monitoring.
- :mod:`workbench.examples.ticket_triage`: product-feedback tickets for the second,
  smaller example. ``generate_tickets(n, seed=, start=, days=, start_id=)`` gives
  channel, product area, text features (length, keyword flags, exclamations,
  sentiment), customer tier and account age, with labels ``priority_high`` and ``team``.

Each has a companion that turns its rows into the time-stamped raw records its feature set
(``features/``) derives the model's inputs from: :mod:`workbench.examples.admissions_records`
(transcript lines, test attempts, letters) and :mod:`workbench.examples.ticket_records`
(messages, the customers' CRM log, reopened tickets).

Both are vectorised numpy + polars: a million rows take about a second or two, and
the same arguments always give the same frame. This package imports nothing itself;
import the module you need.
"""

from __future__ import annotations
