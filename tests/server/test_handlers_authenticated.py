"""Fails the build if any workbench handler verb lacks ``@tornado.web.authenticated``.

It imports every module under ``workbench.server``, finds each tornado
``RequestHandler`` subclass defined there, and reads the decorators of its
get/post/put/patch/delete methods from the source AST, which is simpler and
sturdier than inspecting wrapped functions. ``@authorized`` must follow
(authentication first, then the authorizer), as jupyter_server expects.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
import tornado.web

import workbench.server

VERBS = ("get", "post", "put", "patch", "delete")
AUTHENTICATED = {"tornado.web.authenticated", "web.authenticated", "authenticated"}
AUTHORIZED = {"authorized", "decorator.authorized"}


def _server_modules() -> Iterator[ModuleType]:
    yield workbench.server
    for info in pkgutil.walk_packages(workbench.server.__path__, prefix="workbench.server."):
        yield importlib.import_module(info.name)


def _handler_classes() -> list[type[tornado.web.RequestHandler]]:
    found: dict[str, type[tornado.web.RequestHandler]] = {}
    for module in _server_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, tornado.web.RequestHandler) and cls.__module__.startswith("workbench.server"):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[name] for name in sorted(found)]


def _decorator_name(node: ast.expr) -> str:
    return ast.unparse(node.func if isinstance(node, ast.Call) else node)


def verb_problems(source: str, class_name: str, verbs: tuple[str, ...] = VERBS) -> list[str]:
    """What is wrong with the verb methods of ``class_name`` in ``source`` (empty when all is well)."""
    classes = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef) and n.name == class_name]
    if len(classes) != 1:
        return [f"{class_name}: found {len(classes)} class definitions named so; cannot check it"]
    problems = []
    for item in classes[0].body:
        if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) or item.name not in verbs:
            continue
        names = [_decorator_name(d) for d in item.decorator_list]
        where = f"{class_name}.{item.name} (line {item.lineno})"
        if not AUTHENTICATED & set(names):
            problems.append(f"{where} lacks @tornado.web.authenticated")
        elif names[0] not in AUTHENTICATED:
            problems.append(f"{where}: @tornado.web.authenticated must be the outermost decorator")
        if not AUTHORIZED & set(names):
            problems.append(f"{where} lacks @authorized (jupyter_server.auth.decorator)")
    return problems


def _defining_class(cls: type, verb: str) -> type:
    return next(klass for klass in cls.__mro__ if verb in vars(klass))


def test_there_are_handlers_to_check() -> None:
    names = {cls.__name__ for cls in _handler_classes()}
    assert "HealthHandler" in names, f"the scan found only {sorted(names)}; is the import walk broken?"


@pytest.mark.parametrize("cls", _handler_classes(), ids=lambda cls: cls.__qualname__)
def test_every_verb_is_authenticated_and_authorized(cls: type[tornado.web.RequestHandler]) -> None:
    problems = []
    for verb in VERBS:
        owner = _defining_class(cls, verb)
        if owner is tornado.web.RequestHandler:
            continue  # not implemented: tornado answers 405
        if not owner.__module__.startswith("workbench.server"):
            problems.append(
                f"{cls.__qualname__}.{verb} is inherited from {owner.__module__}.{owner.__qualname__}; "
                "override it in workbench.server with @tornado.web.authenticated and @authorized"
            )
            continue
        source = inspect.getsource(sys.modules[owner.__module__])
        problems.extend(verb_problems(source, owner.__name__, (verb,)))
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_missing_decorator() -> None:
    source = """
class Open(WorkbenchHandler):
    @authorized
    async def get(self): ...

    @authorized
    @tornado.web.authenticated
    def post(self): ...

    @tornado.web.authenticated
    def delete(self): ...

    def helper(self): ...
"""
    assert verb_problems(source, "Open") == [
        "Open.get (line 4) lacks @tornado.web.authenticated",
        "Open.post (line 8): @tornado.web.authenticated must be the outermost decorator",
        "Open.delete (line 11) lacks @authorized (jupyter_server.auth.decorator)",
    ]
