"""The OpenAPI description, the handlers, the Python response models and the TypeScript types stay in step.

- every route of the server is a path of the description, with an operation for each
  verb its handler implements (and no operation without a handler), carrying the
  handler's authorization resource;
- the TypeScript types (``labextension/src/generated/openapi.ts``, which ``tokens.ts``
  names) are what ``jlpm gen:types`` generates from the description now;
- the API's own response models (``workbench/server/schemas.py``) have the schema's fields;
- the request bodies the handlers accept (``workbench/server/requests.py``, pydantic shapes)
  have the fields, and the required fields, the description gives clients.

The handler tests validate real answers against these schemas (``api_schema`` fixture),
which keeps the services' ``to_dict()`` in step too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import tornado.web
import yaml

from workbench.governance.summaries import VersionChips
from workbench.server import requests, schemas
from workbench.server.routes import API_PREFIX, default_handlers

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "workbench" / "server" / "openapi.yaml"
SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
LABEXT = REPO / "labextension"
GENERATED_TS = LABEXT / "src" / "generated" / "openapi.ts"
SCHEMAS = SPEC["components"]["schemas"]
VERBS = ("get", "post", "put", "patch", "delete")

# The API's response models: schema name -> Python dataclass.
PY_MODELS = {
    "HealthResponse": schemas.HealthResponse,
    "ErrorBody": schemas.ErrorBody,
    "VersionSummary": VersionChips,  # the service's own row, served as it is
    "RunStarted": schemas.RunStarted,
    "ReportResponse": schemas.ReportResponse,
    "LogResponse": schemas.LogResponse,
    "LaunchInfo": schemas.LaunchInfo,
}


def _generate_types(spec: Path, output: Path) -> str:
    """Run the labextension's ``gen:types`` script with ``spec`` and ``output`` in place of its own paths."""
    node_bin = LABEXT / "node_modules" / ".bin"
    if shutil.which("node") is None or not (node_bin / "openapi-typescript").exists():
        pytest.skip("node or labextension/node_modules (jlpm install) is missing")
    script = json.loads((LABEXT / "package.json").read_text(encoding="utf-8"))["scripts"]["gen:types"]
    args = shlex.split(script)
    assert args[0] == "openapi-typescript" and "--output" in args, script
    args[args.index("--output") + 1] = str(output)
    args[args.index("../workbench/server/openapi.yaml")] = str(spec)
    env = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    subprocess.run(args, cwd=LABEXT, env=env, capture_output=True, text=True, check=True)
    return output.read_text(encoding="utf-8")


def route_template(pattern: str) -> str:
    """``/models/([^/]+)/versions/([0-9]{1,9})`` -> ``/models/{}/versions/{}``."""
    out, depth = [], 0
    for char in pattern:
        if char == "(":
            if depth == 0:
                out.append("{}")
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def spec_template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


ROUTES = {route_template(pattern): handler for pattern, handler in default_handlers if pattern != rf"{API_PREFIX}/(.*)"}
SPEC_PATHS = {spec_template(path): operations for path, operations in SPEC["paths"].items()}


def _implemented(handler: type, verb: str) -> bool:
    owner = next(klass for klass in handler.__mro__ if verb in vars(klass))
    return owner is not tornado.web.RequestHandler and owner.__module__.startswith("workbench.server")


@pytest.mark.parametrize("template", sorted(ROUTES))
def test_every_route_is_described_with_its_verbs_and_resource(template: str) -> None:
    handler = ROUTES[template]
    assert template in SPEC_PATHS, f"{template} ({handler.__name__}) is not in openapi.yaml"
    operations = {verb: op for verb, op in SPEC_PATHS[template].items() if verb in VERBS}
    implemented = {verb for verb in VERBS if _implemented(handler, verb)}
    assert set(operations) == implemented, f"{template}: described {sorted(operations)}, handled {sorted(implemented)}"
    for verb, operation in operations.items():
        assert operation["x-auth-resource"] == handler.auth_resource, f"{verb.upper()} {template}"


def test_every_described_path_has_a_route() -> None:
    assert set(SPEC_PATHS) <= set(ROUTES)


def test_generated_typescript_types_are_regenerated_from_the_spec(tmp_path: Path) -> None:
    generated = _generate_types(SPEC_PATH, tmp_path / "openapi.ts")
    assert generated == GENERATED_TS.read_text(encoding="utf-8"), (
        "labextension/src/generated/openapi.ts is stale: run `jlpm gen:types` in labextension/ and commit it"
    )


def test_a_spec_change_changes_the_generated_types(tmp_path: Path) -> None:
    """The check above notices an edit of the spec that was not regenerated."""
    spec = tmp_path / "openapi.yaml"
    edited = SPEC_PATH.read_text(encoding="utf-8").replace("        scheduler: {", "        scheduler_v2: {", 1)
    spec.write_text(edited, encoding="utf-8")
    generated = _generate_types(spec, tmp_path / "openapi.ts")
    assert "scheduler_v2" in generated
    assert generated != GENERATED_TS.read_text(encoding="utf-8")


@pytest.mark.parametrize("schema_name", sorted(PY_MODELS))
def test_python_models_mirror_the_schema(schema_name: str) -> None:
    schema = SCHEMAS[schema_name]
    fields = {field.name for field in dataclasses.fields(PY_MODELS[schema_name])}

    assert set(schema["properties"]) == fields
    assert set(schema["required"]) == fields


# The bodies the handlers accept: request schema name -> declared shape.
BODIES = {
    "DecisionRequest": requests.DecisionBody,
    "ReviewDecisionRequest": requests.DecisionBody,
    "ReportRequest": requests.ReportBody,
    "PromoteRequest": requests.PromoteBody,
    "PromotionRequest": requests.PromotionBody,
    "ScheduleRequest": requests.ScheduleBody,
    "SchedulePatch": requests.PauseBody,
    "StageRunRequest": requests.StageRunBody,
    "StatusPatch": requests.StatusBody,
    "JobRequest": requests.ScoreBody,
}


def test_every_request_body_has_a_shape() -> None:
    assert set(SPEC["components"]["requestBodies"]) == set(BODIES)


@pytest.mark.parametrize("schema_name", sorted(BODIES))
def test_request_shapes_mirror_the_schema(schema_name: str) -> None:
    schema, shape = SCHEMAS[schema_name], BODIES[schema_name]
    required = {name for name, field in shape.model_fields.items() if field.is_required()}

    assert set(schema.get("properties", {})) == set(shape.model_fields)
    assert set(schema.get("required", [])) == required
    assert schema.get("additionalProperties") is False  # the shapes refuse unknown keys too


def test_the_template_helper() -> None:
    assert route_template("/a/([^/]+)/b/([0-9]{1,9})/c") == "/a/{}/b/{}/c"
    assert spec_template("/a/{name}/b/{version}/c") == "/a/{}/b/{}/c"
