"""Engine-level fixtures: a small trained model with its contract (the Dask cluster is in tests/governed.py)."""

from __future__ import annotations

import pytest

from tests.support.scoring import SmallModel
from tests.support.training import FEATURES, train_model
from workbench.contracts import derive_contract


@pytest.fixture(scope="session")
def small_model() -> SmallModel:
    trained = train_model(rows=1500, rounds=15)
    contract = derive_contract(trained.train, target="admit", keys=["applicant_id"], features=FEATURES)
    return SmallModel(trained.booster, contract, bytes(trained.booster.save_raw(raw_format="ubj")))
