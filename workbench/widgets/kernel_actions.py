"""Signed acts the JupyterLab panels ask a kernel to perform.

In a keyed project the Jupyter server signs nothing on anyone's behalf, so the Models and
Review panels start a short-lived kernel of the user's own (it runs as the user, with the
user's key: ``WORKBENCH_KEY`` or ``workbench keys init``'s) and run::

    import workbench.widgets.kernel_actions as _k; _k.run('{"verb": "approve", ...}')

:func:`run` reads one JSON request (a string literal the panel builds with ``JSON.stringify``,
never code), performs it through the same service functions as the CLI and ``wb``, and prints
one line the panel parses: ``WORKBENCH-RESULT <json>`` or ``WORKBENCH-ERROR <json>`` (the
error's name, message and details, as the REST API would answer). Only the verbs below exist.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.core.errors import ValidationError, WorkbenchError

__all__ = ["VERBS", "run"]

VERBS = ("approve", "reject", "promote", "decide")
RESULT = "WORKBENCH-RESULT "
ERROR = "WORKBENCH-ERROR "


def _text(request: dict[str, Any], key: str, default: str | None = None) -> str:
    value = request.get(key, default)
    if not isinstance(value, str):
        raise ValidationError(f"The panel's request needs `{key}` as text.")
    return value


def _perform(request: dict[str, Any]) -> dict[str, Any]:
    from workbench.project.workspace import open_workspace

    verb = request.get("verb")
    if verb not in VERBS:
        raise ValidationError(f"Unknown act {verb!r}; a panel may ask for {', '.join(VERBS)}.")
    workspace = open_workspace(request.get("project") or None)
    if verb in ("approve", "reject"):
        from workbench.governance.approvals import decide as decide_version

        decision = decide_version(workspace, _text(request, "ref"), verb, _text(request, "comment", ""))
        return decision.to_dict()
    if verb == "promote":
        from workbench.governance.gate import promote

        move = promote(workspace, _text(request, "ref"), _text(request, "alias", "production"),
                       reason=_text(request, "reason", ""))  # fmt: skip
        return move.to_dict()
    from workbench.jobs.decide import decide_review_item

    item = request.get("item")
    if isinstance(item, bool) or not isinstance(item, int):
        raise ValidationError("The panel's request needs `item` as a review item id.")
    return decide_review_item(workspace, item, _text(request, "decision"), _text(request, "comment", "")).to_dict()


def run(request_json: str) -> dict[str, Any] | None:
    """Perform one panel request (JSON text) and print its result line; returns the result."""
    try:
        request = json.loads(request_json)
        if not isinstance(request, dict):
            raise ValidationError("The panel's request must be a JSON object.")
        result = _perform(request)
    except WorkbenchError as exc:
        body = {"error": type(exc).__name__, "message": exc.message, "details": exc.details}
        print(ERROR + json.dumps(body, default=str))
        return None
    except ValueError as exc:
        print(ERROR + json.dumps({"error": "ValidationError", "message": f"Not a JSON request ({exc})."}))
        return None
    print(RESULT + json.dumps(result, default=str))
    return result
