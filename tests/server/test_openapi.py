"""The OpenAPI description, the Python response models and the TypeScript types stay in step."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from workbench.server import models
from workbench.server.handlers import default_handlers

REPO = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((REPO / "workbench" / "server" / "openapi.yaml").read_text(encoding="utf-8"))
TOKENS_TS = REPO / "labextension" / "src" / "tokens.ts"

# schema name in openapi.yaml -> (Python model, TypeScript interface)
MIRRORS = {"HealthResponse": (models.HealthResponse, "IHealthResponse"), "ErrorBody": (models.ErrorBody, "IErrorBody")}


def _ts_fields(interface: str) -> set[str]:
    source = TOKENS_TS.read_text(encoding="utf-8")
    body = re.search(rf"export interface {interface} \{{(.*?)\n\}}", source, re.S)
    assert body, f"{interface} not found in {TOKENS_TS}"
    return set(re.findall(r"^\s+(\w+)\??:", body.group(1), re.M))


@pytest.mark.parametrize("schema_name", sorted(MIRRORS))
def test_models_and_types_mirror_the_schema(schema_name: str) -> None:
    model, interface = MIRRORS[schema_name]
    schema = SPEC["components"]["schemas"][schema_name]
    fields = {field.name for field in dataclasses.fields(model)}

    assert set(schema["properties"]) == fields
    assert set(schema["required"]) == fields
    assert _ts_fields(interface) == fields


def test_every_route_is_described() -> None:
    routes = {pattern for pattern, _handler in default_handlers if "(" not in pattern}

    assert routes <= set(SPEC["paths"])
    for pattern, handler in default_handlers:
        for verb, operation in SPEC["paths"].get(pattern, {}).items():
            assert operation["x-auth-resource"] == handler.auth_resource, f"{verb.upper()} {pattern}"
