"""Model serialisation: XGBoost's own UBJ format in, a verified Booster out. Never pickle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.errors import ValidationError

if TYPE_CHECKING:
    import xgboost

__all__ = ["as_booster", "booster_from_bytes", "booster_to_bytes", "task_of"]


def as_booster(model: Any) -> xgboost.Booster:
    """Accept an ``xgboost.Booster`` or a fitted ``XGBClassifier``/``XGBRegressor``."""
    import xgboost

    if isinstance(model, xgboost.Booster):
        return model
    if isinstance(model, (xgboost.XGBClassifier, xgboost.XGBRegressor)):
        try:
            return model.get_booster()
        except xgboost.core.XGBoostError as exc:
            raise ValidationError(f"The {type(model).__name__} is not fitted; call .fit(...) first.") from exc
    raise ValidationError(
        f"Unsupported model type {type(model).__module__}.{type(model).__name__}: register an xgboost.Booster, "
        "XGBClassifier or XGBRegressor."
    )


def task_of(booster: xgboost.Booster) -> str:
    """``classification`` for binary logistic objectives, ``regression`` for the others we support."""
    import json

    config = json.loads(booster.save_config())
    objective = config["learner"]["objective"]["name"]
    if objective in {"binary:logistic", "binary:logitraw", "binary:hinge"}:
        return "classification"
    if objective.startswith("reg:"):
        return "regression"
    raise ValidationError(
        f"Objective {objective!r} is not supported yet: register a binary classifier (binary:logistic) or a "
        "regressor (reg:*)."
    )


def booster_to_bytes(booster: xgboost.Booster) -> bytes:
    return bytes(booster.save_raw(raw_format="ubj"))


def booster_from_bytes(data: bytes) -> xgboost.Booster:
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(bytearray(data))
    return booster
