"""The ASGI face of the data plane (Starlette): decide, health, readiness, metrics, OpenAPI.

``create_app(ServeSettings(...))`` builds one app; uvicorn runs it in each worker process
(``workbench serve``, :mod:`workbench.cli.serve`), configured through ``WORKBENCH_SERVE_*``
variables (:meth:`ServeSettings.from_env`) so every worker builds the same. A request is
authenticated (bearer token, 401/403; live tokens cached for a second), bounded (413),
parsed, and decided by the batch job's code (:mod:`.decide`): a small JSON body with the
others waiting (:mod:`.batcher`), a large one or Arrow IPC on its own in a worker thread;
it is answered only after its records are committed (:mod:`.log`).
Errors answer ``{error, message, details}``; a contract violation is 422
and names the columns, never their values, and nothing is logged about the rows.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from workbench.core.errors import ContractViolation, NotFound, PermissionDenied, WorkbenchError
from workbench.project.workspace import Workspace, open_workspace
from workbench.serving.batcher import Incoming, MicroBatcher
from workbench.serving.decide import decide_rows, time_ordered_ids
from workbench.serving.log import DecisionWriter, Pending
from workbench.serving.metrics import ServeMetrics
from workbench.serving.online_features import with_online_features
from workbench.serving.openapi import OPENAPI
from workbench.serving.rows import ARROW_STREAM, Limits, TooLarge, load_rows, parse_arrow, present_columns, rows_table
from workbench.serving.served import ServedModel
from workbench.serving.tokens import ServeToken, TokenCache
from workbench.serving.watch import ServedModels

__all__ = ["ServeSettings", "app_from_env", "create_app"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_DECIDE = re.compile(r"^/v1/models/(?P<name>[^/]+)/decide$")  # Starlette's pattern for the route below


class Unauthenticated(WorkbenchError):
    http_status = 401


@dataclass(frozen=True)
class ServeSettings:
    project: Path
    models: tuple[str, ...]
    limits: Limits = field(default_factory=Limits)
    poll_s: float = 0.25
    guard_s: float = 2.0
    token_ttl_s: float = 1.0
    batch_rows: int = 512
    inline_body_bytes: int = 64 * 1024
    switch_interval_s: float = 0.0005

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
            token_ttl_s=float(env.get("WORKBENCH_SERVE_TOKEN_TTL_S") or 1.0),
            batch_rows=int(env.get("WORKBENCH_SERVE_BATCH_ROWS") or 512),
            switch_interval_s=float(env.get("WORKBENCH_SERVE_SWITCH_S") or 0.0005),
        )


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


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
        self.tokens = TokenCache(self.workspace, settings.token_ttl_s)
        self.batcher = MicroBatcher(self.writer, max_rows=settings.batch_rows, on_decided=self.metrics.decided)
        self._finding: dict[str, asyncio.Future[ServeToken | None]] = {}  # token look-ups in flight, by secret

    def close(self) -> None:
        self.batcher.close()
        self.writer.close()

    @staticmethod
    def secret(headers: Mapping[str, str]) -> str:
        header = headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated(
                "This service needs `Authorization: Bearer <token>` (`workbench serve token create`)."
            )
        return secret.strip()

    async def token(self, secret: str) -> ServeToken | None:
        """The token for ``secret``: cached, or looked up once for all the requests that carry it meanwhile
        (when the cached entry expires, every request in flight would otherwise read the store at once)."""
        token = self.tokens.cached(secret)
        if token is not None:
            return token
        finding = self._finding.get(secret)
        if finding is None:
            finding = asyncio.ensure_future(run_in_threadpool(self.tokens.find, secret))
            self._finding[secret] = finding
            finding.add_done_callback(lambda _: self._finding.pop(secret, None))
        return await asyncio.shield(finding)  # a request that goes away does not cancel the others' look-up

    def allowed(self, token: ServeToken | None, name: str) -> ServeToken:
        if token is None:
            raise Unauthenticated("The bearer token is unknown or revoked.")
        if not token.allows(name):
            raise PermissionDenied(f"Token {token.name!r} may not decide with model {name!r}.")
        return token

    def served(self, name: str) -> ServedModel:
        served = self.models.get(name)
        if served is None:
            if name in self.settings.models:
                raise NotFound(f"{name} is not loaded yet: {self.models.problems.get(name, 'loading')}")
            raise NotFound(f"This service does not serve {name!r}; it serves {', '.join(self.settings.models)}.")
        return served

    def prepare(
        self, token: ServeToken, served: ServedModel, body: bytes, arrow: bool, reasons: bool, key: str | None
    ) -> Pending:
        """Parse and decide a large JSON body or an Arrow IPC stream on its own (in a worker thread)."""
        limits = self.settings.limits
        if arrow:
            parsed = parse_arrow(body, limits, reasons=reasons)
            data, asked = parsed.data, parsed.reasons
        else:
            rows, asked = load_rows(body, limits)
            rows = with_online_features(self.workspace, served.features, rows) if served.features else rows
            data = rows_table(rows, served.champion.contract, present_columns(rows, served.wanted))
        decided = decide_rows(served, data, reasons=reasons or asked)
        request_id = time_ordered_ids(1)[0]
        self.metrics.decided(served.name, decided.answers)
        response = {"model": served.name, "request_id": request_id, "decisions": decided.answers}
        return Pending(request_id, token.id, key, served.name, response, decided.records, decided.reviews)

    async def decide(
        self, headers: Mapping[str, str], query: Mapping[str, str], chunks: AsyncIterator[bytes], name: str
    ) -> dict[str, Any]:
        """Authenticate, parse and decide one request (its headers, query parameters and body chunks);
        its answer once its records are committed."""
        limits = self.settings.limits
        body = await _body(headers, chunks, limits)
        key = headers.get("idempotency-key") or None
        if key is not None and len(key) > 200:
            raise TooLarge("The Idempotency-Key is longer than 200 characters.")
        secret = self.secret(headers)
        token = self.allowed(await self.token(secret), name)
        served = self.served(name)
        if key is not None:
            first = await run_in_threadpool(self.writer.first_answer, token.id, key)
            if first is not None:
                return {**first, "replayed": True}
        reasons = query.get("reasons") in ("1", "true")
        arrow = headers.get("content-type", "").startswith(ARROW_STREAM)
        if arrow or len(body) > self.settings.inline_body_bytes:
            pending = await run_in_threadpool(self.prepare, token, served, body, arrow, reasons, key)
            return await self.writer.write(pending)
        rows, asked = load_rows(body, limits)  # small: parsed on the event loop, decided with others waiting
        loop = asyncio.get_running_loop()
        columns = present_columns(rows, served.wanted)
        item = Incoming(token.id, key, served, rows, columns, reasons or asked, loop.create_future(), loop)
        return await self.batcher.decide(item)


async def _body(headers: Mapping[str, str], stream: AsyncIterator[bytes], limits: Limits) -> bytes:
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise TooLarge(f"The body is {int(declared):,} bytes; this service takes at most {limits.max_body_bytes:,}.")
    chunks, size = [], 0
    async for chunk in stream:
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise TooLarge(f"The body exceeds {limits.max_body_bytes:,} bytes, this service's limit.")
        chunks.append(chunk)
    return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    """A request's headers by lower-case name, the first of repeated ones (as Starlette's ``Headers.get``)."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return found


def _query(scope: Scope) -> dict[str, str]:
    """A request's query parameters, the last of repeated ones (as Starlette's ``QueryParams.get``)."""
    raw = scope.get("query_string", b"")
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    """A request's body as it arrives (as Starlette's ``Request.stream``)."""
    while True:
        message = await receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


_INTERNAL_ERROR = b"Internal Server Error"


def create_app(settings: ServeSettings) -> ASGIApp:
    """The service's ASGI app: ``POST /v1/models/{name}/decide`` answered by a plain ASGI handler (the
    hot path: no Starlette request, response or middleware objects per request), everything else
    (health, readiness, metrics, OpenAPI, lifespan, a decide under a root path) by Starlette."""
    state: dict[str, _Service] = {}

    async def decided(
        name: str, headers: Mapping[str, str], query: Mapping[str, str], chunks: AsyncIterator[bytes]
    ) -> tuple[int, bytes, dict[str, str] | None]:
        """One decide request's status, JSON body and extra headers; its metrics counted."""
        service = state["service"]
        started = time.perf_counter()
        extra = None
        try:
            answer = await service.decide(headers, query, chunks, name)
        except WorkbenchError as exc:
            status = 422 if isinstance(exc, ContractViolation) else exc.http_status
            extra = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            body, routes = orjson.dumps(exc.to_dict()), set()
        else:
            status, body, routes = 200, orjson.dumps(answer), {d["route"] for d in answer.get("decisions", ())}
        label = name if name in service.settings.models else "unknown"  # no label per made-up name
        service.metrics.request(label, status, time.perf_counter() - started, routes)
        return status, body, extra

    async def decide(request: Request) -> Response:
        status, body, extra = await decided(
            request.path_params["name"], request.headers, request.query_params, request.stream()
        )
        return Response(body, status_code=status, media_type="application/json", headers=extra)

    async def decide_asgi(scope: Scope, receive: Receive, send: Send, name: str) -> None:
        """The decide route without Starlette: the same answers, headers and metrics as :func:`decide`;
        an unexpected error answers 500 and is raised on, as Starlette's error middleware does."""
        started = False

        async def respond(status: int, body: bytes, content_type: bytes, extra: dict[str, str] | None) -> None:
            nonlocal started
            headers = [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]
            headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
            started = True
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        try:
            status, body, extra = await decided(name, _headers(scope), _query(scope), _chunks(receive))
            await respond(status, body, b"application/json", extra)
        except Exception:
            if not started:
                await respond(500, _INTERNAL_ERROR, b"text/plain; charset=utf-8", None)
            raise

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
            "batches": state["service"].batcher.batches,
        }
        return _json(body, 200 if models.ready else 503)

    async def metrics(request: Request) -> Response:
        data, content_type = state["service"].metrics.render()
        return Response(data, media_type=content_type)

    async def openapi(request: Request) -> Response:
        return _json(OPENAPI)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The event loop, the batcher and the writer hand work to each other; a shorter GIL switch
        # interval than Python's 5 ms keeps one from waiting on another's time slice.
        sys.setswitchinterval(settings.switch_interval_s)
        service = await run_in_threadpool(_Service, settings)
        await run_in_threadpool(service.models.load_all)
        # What is loaded now lives as long as the worker: out of the cyclic collector's sight, a full
        # collection under load walks only what requests allocate (tens of ms less at the tail).
        gc.collect()
        gc.freeze()
        service.models.start()
        state["service"] = service
        try:
            yield
        finally:
            service.models.stop()
            service.close()

    routes = [
        Route("/v1/models/{name}/decide", decide, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/openapi.json", openapi),
    ]
    starlette = Starlette(routes=routes, lifespan=lifespan)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            match = _DECIDE.match(scope["path"])
            if match is not None:
                await decide_asgi(scope, receive, send, match["name"])
                return
        await starlette(scope, receive, send)

    return app


def app_from_env() -> ASGIApp:
    """The app as ``workbench serve`` configures it (uvicorn's factory in each worker)."""
    return create_app(ServeSettings.from_env())
