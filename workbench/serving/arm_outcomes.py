"""The arms of a rollout against what came true: realized AUC and selection rate per sensitive group.

Each arm is a frame of decided rows (``row_key``, ``score``, ``decision`` and the version's
sensitive columns); its rows meet the model's outcomes on the row key
(:func:`workbench.postmarket.decisions.current_outcomes`), whether they were decided online
or by a batch job. Per arm: the rows with outcomes, the realized AUC
(:func:`workbench.postmarket.metrics.auc`) and, per sensitive column, each group's selection
rate (the share the automation accepted) with TPR and FPR
(:func:`workbench.postmarket.metrics.fairness`). Between the challenger and the champion:
the AUC difference with a bootstrap 95% interval (rows resampled together when the arms
judged the same rows, as a shadow does; each arm on its own for a canary), and per group
the selection-rate difference with a two-proportion 95% interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from workbench.postmarket.decisions import current_outcomes
from workbench.postmarket.metrics import auc, fairness
from workbench.project.workspace import Workspace
from workbench.serving.intervals import two_proportion

__all__ = ["BOOTSTRAP", "compare_outcomes"]

BOOTSTRAP = 400


def _auc_interval(
    champion: pl.DataFrame, challenger: pl.DataFrame, *, paired: bool, seed: int = 0
) -> tuple[float, float] | None:
    """A bootstrap 95% interval of AUC(challenger) - AUC(champion), or None when it cannot be drawn."""
    rng = np.random.default_rng(seed)
    a_scores, a_labels = champion["score"].to_numpy(), champion["label"].to_numpy()
    b_scores, b_labels = challenger["score"].to_numpy(), challenger["label"].to_numpy()
    differences = []
    for _ in range(BOOTSTRAP):
        i = rng.integers(0, a_scores.size, a_scores.size)
        j = i if paired else rng.integers(0, b_scores.size, b_scores.size)
        a, b = auc(a_scores[i], a_labels[i]), auc(b_scores[j], b_labels[j])
        if a is not None and b is not None:
            differences.append(b - a)
    if len(differences) < BOOTSTRAP // 2:
        return None
    low, high = np.quantile(differences, [0.025, 0.975])
    return (float(low), float(high))


def _selection_differences(
    champion: dict[str, Any], challenger: dict[str, Any], sensitive: list[str]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for column in sensitive:
        a = {g["group"]: g for g in champion.get(column, {}).get("groups", [])}
        b = {g["group"]: g for g in challenger.get(column, {}).get("groups", [])}
        out[column] = {}
        for group in sorted(set(a) & set(b)):
            ga, gb = a[group], b[group]
            selected_a, selected_b = round(ga["selection_rate"] * ga["rows"]), round(gb["selection_rate"] * gb["rows"])
            out[column][group] = two_proportion(selected_a, ga["rows"], selected_b, gb["rows"])
    return out


def compare_outcomes(
    workspace: Workspace,
    name: str,
    arms: dict[str, pl.DataFrame],
    *,
    accept_label: str,
    sensitive: list[str],
    paired: bool,
    min_group_size: int = 20,
) -> dict[str, Any]:
    """``arms`` is ``{"champion": frame, <challenger>: frame}``; see the module docstring."""
    outcomes = current_outcomes(workspace, name).select("row_key", "label")
    joined = {arm: frame.join(outcomes, on="row_key", how="inner") for arm, frame in arms.items()}
    report: dict[str, Any] = {"outcomes": outcomes.height, "arms": {}}
    for arm, rows in joined.items():
        selected = rows.with_columns((pl.col("decision") == accept_label).alias("selected"))
        report["arms"][arm] = {
            "with_outcomes": rows.height,
            "auc": auc(rows["score"].to_numpy(), rows["label"].to_numpy()) if rows.height else None,
            "selection": fairness(selected, sensitive, min_group_size),
        }
    names = list(arms)
    if len(names) == 2:
        first, second = (report["arms"][n] for n in names)
        a, b = joined[names[0]], joined[names[1]]
        difference = None if first["auc"] is None or second["auc"] is None else second["auc"] - first["auc"]
        interval = _auc_interval(a, b, paired=paired) if difference is not None else None
        report["auc_difference"] = {
            "difference": difference,
            "interval": interval,
            "significant": interval is not None and (interval[0] > 0 or interval[1] < 0),
        }
        report["selection_rate_difference"] = _selection_differences(first["selection"], second["selection"], sensitive)
    return report
