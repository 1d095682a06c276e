from __future__ import annotations

import inspect

from workbench.core import errors


def test_every_error_derives_from_the_root_and_maps_to_an_allowed_status() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)]
    assert errors.PromotionBlocked in classes
    for cls in classes:
        assert issubclass(cls, errors.WorkbenchError), cls
        assert cls.http_status in {400, 403, 404, 409}, cls
        assert cls.exit_code != 0


def test_to_dict_carries_details() -> None:
    error = errors.PromotionBlocked("blocked", details=["needs 2 approvals"])
    assert error.to_dict() == {"error": "PromotionBlocked", "message": "blocked", "details": ["needs 2 approvals"]}
