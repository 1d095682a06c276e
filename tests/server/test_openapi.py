"""The OpenAPI description, the handlers, the Python response models and the TypeScript types stay in step.

- every route of the server is a path of the description, with an operation for each
  verb its handler implements (and no operation without a handler), carrying the
  handler's authorization resource;
- every schema has a TypeScript interface ``I<Name>`` in ``tokens.ts`` with the same fields;
- the API's own response models (``workbench/server/schemas.py``) have the schema's fields.

The handler tests validate real answers against these schemas (``api_schema`` fixture),
which keeps the services' ``to_dict()`` in step too.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import tornado.web
import yaml

from workbench.server import schemas
from workbench.server.routes import API_PREFIX, default_handlers

REPO = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((REPO / "workbench" / "server" / "openapi.yaml").read_text(encoding="utf-8"))
TOKENS_TS = REPO / "labextension" / "src" / "tokens.ts"
SCHEMAS = SPEC["components"]["schemas"]
VERBS = ("get", "post", "put", "patch", "delete")

# The API's own response models: schema name -> Python dataclass.
PY_MODELS = {
    "HealthResponse": schemas.HealthResponse,
    "ErrorBody": schemas.ErrorBody,
    "VersionSummary": schemas.VersionSummary,
    "RunStarted": schemas.RunStarted,
    "ReportResponse": schemas.ReportResponse,
    "LogResponse": schemas.LogResponse,
    "LaunchInfo": schemas.LaunchInfo,
}


def _ts_fields(interface: str) -> set[str]:
    source = TOKENS_TS.read_text(encoding="utf-8")
    body = re.search(rf"export interface {interface} \{{(.*?)\n\}}", source, re.S)
    assert body, f"{interface} not found in {TOKENS_TS}"
    return set(re.findall(r"^  (\w+)\??:", body.group(1), re.M))


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


@pytest.mark.parametrize("schema_name", sorted(SCHEMAS))
def test_typescript_types_mirror_the_schema(schema_name: str) -> None:
    assert _ts_fields(f"I{schema_name}") == set(SCHEMAS[schema_name]["properties"])


@pytest.mark.parametrize("schema_name", sorted(PY_MODELS))
def test_python_models_mirror_the_schema(schema_name: str) -> None:
    schema = SCHEMAS[schema_name]
    fields = {field.name for field in dataclasses.fields(PY_MODELS[schema_name])}

    assert set(schema["properties"]) == fields
    assert set(schema["required"]) == fields


def test_the_template_helper() -> None:
    assert route_template("/a/([^/]+)/b/([0-9]{1,9})/c") == "/a/{}/b/{}/c"
    assert spec_template("/a/{name}/b/{version}/c") == "/a/{}/b/{}/c"
