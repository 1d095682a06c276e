"""The service's OpenAPI description (served at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

__all__ = ["OPENAPI"]

_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "details": {}},
    "required": ["error", "message"],
}
_DECISION = {
    "type": "object",
    "properties": {
        "key": {"type": "string", "description": "the row's key (a JSON object for several key columns)"},
        "score": {"type": "number"},
        "decision": {"type": "string"},
        "route": {"type": "string", "description": "model, human, or rule:<name>"},
        "rule": {"type": ["string", "null"]},
        "reasons": {"type": "array", "items": {"type": "object"}},
        "model": {"type": "string"},
        "version": {"type": "integer"},
        "arm": {"type": "string", "enum": ["champion", "canary"]},
        "decision_id": {"type": "string"},
    },
    "required": ["key", "score", "decision", "route", "model", "version", "decision_id"],
}


def _errors(*codes: int) -> dict[str, Any]:
    schema = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(c): {"description": d, "content": schema} for c, d in _WHY.items() if c in codes}


_WHY = {
    400: "malformed JSON or Arrow IPC, or no rows",
    401: "no bearer token, or an unknown or revoked one",
    403: "the token may not decide with this model",
    404: "the service does not serve this model (yet)",
    413: "the body or its row count is beyond the service's limits",
    422: "the rows do not satisfy the model's input contract (the offending columns are named)",
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "workbench serve", "version": "1", "description": "Online decisions (docs/serving.md)."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _ERROR, "Decision": _DECISION},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/v1/models/{name}/decide": {
            "post": {
                "summary": "Decide one row or a list of rows",
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "reasons", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {"type": "object", "description": "one row"},
                                    {"type": "array", "items": {"type": "object"}},
                                    {
                                        "type": "object",
                                        "properties": {"rows": {"type": "array"}, "reasons": {"type": "boolean"}},
                                    },
                                ]
                            }
                        },
                        "application/vnd.apache.arrow.stream": {"schema": {"type": "string", "format": "binary"}},
                    }
                },
                "responses": {
                    "200": {
                        "description": "the decisions, durably logged",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "model": {"type": "string"},
                                        "request_id": {"type": "string"},
                                        "replayed": {"type": "boolean"},
                                        "decisions": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Decision"},
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **_errors(400, 401, 403, 404, 413, 422),
                },
            }
        },
        "/healthz": {
            "get": {"summary": "The process is up", "security": [], "responses": {"200": {"description": "up"}}}
        },
        "/readyz": {
            "get": {
                "summary": "Ready: every configured model loaded and verified",
                "security": [],
                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready, with the problems"}},
            }
        },
        "/metrics": {
            "get": {"summary": "Prometheus metrics", "security": [], "responses": {"200": {"description": "text"}}}
        },
    },
}
