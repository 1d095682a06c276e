"""Entry point of the ``workbench`` command.

Each command module under ``workbench.cli`` exposes ``register(subparsers)``; it
adds its parsers and sets ``handler`` on them. Modules are imported here only,
and each imports its service lazily inside the handler, so ``workbench --help``
stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from workbench._version import __version__
from workbench.core.errors import WorkbenchError

__all__ = ["EXIT_BROKEN_PIPE", "build_parser", "main"]

#: A reader that closed the pipe early (``workbench audit log | head -1``): 128 + SIGPIPE, as the shell reports it.
EXIT_BROKEN_PIPE = 141

COMMAND_MODULES = [
    "workbench.cli.project",
    "workbench.cli.audit",
    "workbench.cli.keys",
    "workbench.cli.pipelines",
    "workbench.cli.schedules",
    "workbench.cli.models",
    "workbench.cli.governance",
    "workbench.cli.adoption",
    "workbench.cli.scoring",
    "workbench.cli.outcomes",
    "workbench.cli.slo",
    "workbench.cli.features",
    "workbench.cli.serve",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Governed, reproducible ML automation: pipelines, registry, approvals, scoring, audit.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("-C", dest="directory", metavar="DIR", help="run as if started in DIR")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def _print_error(error: WorkbenchError) -> None:
    print(f"error: {error.message}", file=sys.stderr)
    details = error.details
    if isinstance(details, list):
        for item in details:
            print(f"  - {item}", file=sys.stderr)
    elif isinstance(details, dict) and details.get("problems"):
        for item in details["problems"]:
            print(f"  - {item}", file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise again.

    Python's documented recipe for SIGPIPE (the ``signal`` module's notes on BrokenPipeError).
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # stdout replaced by an object without a file descriptor
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code."""
    try:
        try:
            code = _run(argv)
        finally:
            # Flush here, not at interpreter exit, so a reader that went away is noticed while it can be
            # handled (also after --help and --version, which leave through SystemExit).
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader has what it wanted; a traceback about the rest would be noise.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    return code


def _run(argv: Sequence[str] | None) -> int:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.directory:
        os.chdir(args.directory)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        result = handler(args)
    except WorkbenchError as error:
        _print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
