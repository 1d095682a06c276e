"""The ASGI face of the data plane (Starlette): decide, health, readiness, metrics, OpenAPI.

``create_app(ServeSettings(...))`` builds one app; uvicorn runs it in each worker process
(``workbench serve``, :mod:`workbench.cli.serve`), configured through ``WORKBENCH_SERVE_*``
variables (:meth:`ServeSettings.from_env`) so every worker builds the same. A request is
authenticated (bearer token, 401/403), bounded (413), parsed and decided in a worker
thread by the batch job's code (:mod:`.decide`), and answered only after its records are
committed (:mod:`.log`). Errors answer ``{error, message, details}``; a contract violation
is 422 and names the columns, never their values, and nothing is logged about the rows.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workbench.core.errors import ContractViolation, NotFound, PermissionDenied, WorkbenchError
from workbench.project.workspace import Workspace, open_workspace
from workbench.serving.decide import decide_rows
from workbench.serving.log import DecisionWriter, Pending
from workbench.serving.metrics import ServeMetrics
from workbench.serving.openapi import OPENAPI
from workbench.serving.rows import ARROW_STREAM, Limits, TooLarge, parse_arrow, parse_json
from workbench.serving.tokens import ServeToken, find_token
from workbench.serving.watch import ServedModels

__all__ = ["ServeSettings", "app_from_env", "create_app"]


class Unauthenticated(WorkbenchError):
    http_status = 401


@dataclass(frozen=True)
class ServeSettings:
    project: Path
    models: tuple[str, ...]
    limits: Limits = field(default_factory=Limits)
    poll_s: float = 0.25
    guard_s: float = 2.0

    @classmethod
    def from_env(cls) -> ServeSettings:
        env = os.environ
        return cls(
            project=Path(env.get("WORKBENCH_SERVE_PROJECT") or "."),
            models=tuple(m for m in env.get("WORKBENCH_SERVE_MODELS", "").split(",") if m),
            limits=Limits(
                max_body_bytes=int(env.get("WORKBENCH_SERVE_MAX_BODY_BYTES") or Limits.max_body_bytes),
                max_rows=int(env.get("WORKBENCH_SERVE_MAX_ROWS") or Limits.max_rows),
            ),
            poll_s=float(env.get("WORKBENCH_SERVE_POLL_S") or 0.25),
            guard_s=float(env.get("WORKBENCH_SERVE_GUARD_S") or 2.0),
        )


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def _error(exc: WorkbenchError) -> Response:
    status = 422 if isinstance(exc, ContractViolation) else exc.http_status
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _json(exc.to_dict(), status, headers)


class _Service:
    """What the routes share in one worker."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.workspace: Workspace = open_workspace(settings.project)
        self.models = ServedModels(
            self.workspace, list(settings.models), poll_s=settings.poll_s, guard_s=settings.guard_s
        )
        self.writer = DecisionWriter(self.workspace)
        self.metrics = ServeMetrics()

    def token(self, request: Request, name: str) -> ServeToken:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated(
                "This service needs `Authorization: Bearer <token>` (`workbench serve token create`)."
            )
        token = find_token(self.workspace, secret.strip())
        if token is None:
            raise Unauthenticated("The bearer token is unknown or revoked.")
        if not token.allows(name):
            raise PermissionDenied(f"Token {token.name!r} may not decide with model {name!r}.")
        return token

    def prepare(
        self, request: Request, name: str, body: bytes, idempotency_key: str | None
    ) -> Pending | dict[str, Any]:
        """Authenticate, parse and decide (in a worker thread); a repeated key returns the first answer."""
        token = self.token(request, name)
        served = self.models.get(name)
        if served is None:
            if name in self.settings.models:
                raise NotFound(f"{name} is not loaded yet: {self.models.problems.get(name, 'loading')}")
            raise NotFound(f"This service does not serve {name!r}; it serves {', '.join(self.settings.models)}.")
        if idempotency_key is not None:
            first = self.writer.first_answer(token.id, idempotency_key)
            if first is not None:
                return {**first, "replayed": True}
        reasons = request.query_params.get("reasons") in ("1", "true")
        if request.headers.get("content-type", "").startswith(ARROW_STREAM):
            parsed = parse_arrow(body, self.settings.limits, reasons=reasons)
        else:
            parsed = parse_json(body, served.champion.contract, served.wanted, self.settings.limits)
        decided = decide_rows(served, parsed.data, reasons=reasons or parsed.reasons)
        request_id = uuid.uuid4().hex
        self.metrics.decided(name, decided.answers)
        response = {"model": name, "request_id": request_id, "decisions": decided.answers}
        return Pending(request_id, token.id, idempotency_key, name, response, decided.records, decided.reviews)


async def _body(request: Request, limits: Limits) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise TooLarge(f"The body is {int(declared):,} bytes; this service takes at most {limits.max_body_bytes:,}.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise TooLarge(f"The body exceeds {limits.max_body_bytes:,} bytes, this service's limit.")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: ServeSettings) -> Starlette:
    state: dict[str, _Service] = {}

    async def decide(request: Request) -> Response:
        service = state["service"]
        name = request.path_params["name"]
        started = time.perf_counter()
        try:
            body = await _body(request, service.settings.limits)
            key = request.headers.get("idempotency-key") or None
            if key is not None and len(key) > 200:
                raise TooLarge("The Idempotency-Key is longer than 200 characters.")
            prepared = await run_in_threadpool(service.prepare, request, name, body, key)
            answer = prepared if isinstance(prepared, dict) else await service.writer.write(prepared)
        except WorkbenchError as exc:
            response, routes = _error(exc), []
        else:
            response, routes = _json(answer), [d["route"] for d in answer.get("decisions", ())]
        label = name if name in service.settings.models else "unknown"  # no label per made-up name
        service.metrics.request(label, response.status_code, time.perf_counter() - started, routes)
        return response

    async def healthz(request: Request) -> Response:
        return _json({"status": "ok", "pid": os.getpid()})

    async def readyz(request: Request) -> Response:
        models = state["service"].models
        body = {
            "ready": models.ready,
            "pid": os.getpid(),
            "models": {
                name: {
                    "version": s.champion.version,
                    "challenger": s.challenger.ref if s.challenger else None,
                    "mode": s.rollout.mode if s.rollout else None,
                }
                for name, s in models.models.items()
            },
            "problems": models.problems,
            "reloads": models.reloads,
        }
        return _json(body, 200 if models.ready else 503)

    async def metrics(request: Request) -> Response:
        data, content_type = state["service"].metrics.render()
        return Response(data, media_type=content_type)

    async def openapi(request: Request) -> Response:
        return _json(OPENAPI)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service = await run_in_threadpool(_Service, settings)
        await run_in_threadpool(service.models.load_all)
        service.models.start()
        state["service"] = service
        try:
            yield
        finally:
            service.models.stop()
            service.writer.close()

    routes = [
        Route("/v1/models/{name}/decide", decide, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/openapi.json", openapi),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def app_from_env() -> Starlette:
    """The app as ``workbench serve`` configures it (uvicorn's factory in each worker)."""
    return create_app(ServeSettings.from_env())
