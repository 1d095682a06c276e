"""A small trained model on the admissions data, shared by registry and governance tests."""

from __future__ import annotations

import pytest

from tests.support.training import Trained, train_model


@pytest.fixture(scope="session")
def trained() -> Trained:
    return train_model()
