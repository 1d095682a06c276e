"""The served models of one worker, kept current: reload on an alias or policy move, guard the canary.

:class:`ServedModels` loads every configured model at start and then polls
:func:`~workbench.serving.served.serving_key` (the protected aliases, the governing
policy's hash, the newest rollout event) every ``poll_s`` (0.25 s by default). When the
key changes it loads and verifies the new state beside the old one and swaps the
reference in one assignment: requests in flight finish with the arms they started with,
the next ones get the new arms, and none waits or fails. A version that cannot be loaded
keeps the previous one serving, and ``/readyz`` names the problem.

Every ``guard_s`` it checks the canary's guards; on a breach it records
``rollout.rollback`` (once, whichever replica sees it first) and the reload that follows
drops the canary everywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.project.workspace import Workspace
from workbench.serving.guards import check_guards
from workbench.serving.rollout import end_rollout
from workbench.serving.served import ServedModel, beat_serve_jobs, end_serve_jobs, load_served, serving_key

__all__ = ["ServedModels"]

log = logging.getLogger("workbench.serve")

#: How long after a reload the old versions' serve jobs end (a request that took them just before has decided).
RETIRE_AFTER_S = 5.0
#: How often the serve jobs record a heartbeat (jobs.reap presumes a job on another host dead after 10 minutes).
BEAT_S = 60.0


class ServedModels:
    def __init__(self, workspace: Workspace, names: list[str], *, poll_s: float = 0.25, guard_s: float = 2.0) -> None:
        self.workspace = workspace
        self.names = list(names)
        self.poll_s = poll_s
        self.guard_s = guard_s
        self.models: dict[str, ServedModel] = {}
        self.problems: dict[str, str] = {}
        self.reloads = 0
        self._retired: list[tuple[float, ServedModel]] = []  # (reloaded at, what was served) whose jobs end soon
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def get(self, name: str) -> ServedModel | None:
        return self.models.get(name)

    @property
    def ready(self) -> bool:
        return bool(self.names) and all(n in self.models for n in self.names)

    def load_all(self) -> None:
        for name in self.names:
            self._load(name)

    def _load(self, name: str) -> None:
        previous = self.models.get(name)
        try:
            self.models[name] = load_served(self.workspace, name)
            self.problems.pop(name, None)
        except WorkbenchError as exc:
            self.problems[name] = exc.message
            log.warning("workbench serve: %s not loaded: %s", name, type(exc).__name__)
            return
        if previous is not None:  # requests still deciding with the old arms finish; their jobs end after them
            self._retired.append((time.monotonic(), previous))

    def _end_retired(self, *, everything: bool = False) -> None:
        """End the serve jobs of versions reloaded at least :data:`RETIRE_AFTER_S` ago (all of them when the
        service stops): a request that took the old arms just before the swap has committed its decisions by
        then, so the job's ``rows_done`` counts them."""
        waiting = []
        for since, served in self._retired:
            if everything or time.monotonic() - since >= RETIRE_AFTER_S:
                self._end(served, "reloaded")
            else:
                waiting.append((since, served))
        self._retired = waiting

    def _end(self, served: ServedModel, why: str) -> None:
        try:
            end_serve_jobs(self.workspace, [arm.job_id for arm in served.arms], why)
        except Exception as exc:  # ending a job's record must not stop serving or a shutdown
            log.warning("workbench serve: the serve jobs of %s did not end: %s", served.name, exc)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="workbench-serve-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, and end the serve jobs of what is loaded (the service is stopping)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._end_retired(everything=True)
        for served in list(self.models.values()):
            self._end(served, "stopped")

    def _run(self) -> None:
        guarded = beaten = time.monotonic()
        while not self._stop.wait(self.poll_s):
            if self._retired:
                self._end_retired()
            if time.monotonic() - beaten >= BEAT_S:
                beaten = time.monotonic()
                try:
                    beat_serve_jobs(self.workspace, [a.job_id for s in self.models.values() for a in s.arms])
                except Exception as exc:  # a missed beat is retried at the next one
                    log.warning("workbench serve: heartbeat not recorded: %s", exc)
            for name in self.names:
                try:
                    self._refresh(name)
                except Exception as exc:  # the watcher must outlive a bad moment of the store
                    self.problems[name] = f"{type(exc).__name__}: {exc}"
            if time.monotonic() - guarded >= self.guard_s:
                guarded = time.monotonic()
                for name in self.names:
                    self.guard(name)

    def _refresh(self, name: str) -> None:
        current = self.models.get(name)
        if current is None or serving_key(self.workspace, name) != current.key:
            self._load(name)
            if self.models.get(name) is not current:
                self.reloads += 1

    def guard(self, name: str) -> dict[str, Any] | None:
        """Check ``name``'s canary guards now; roll back on a breach. Returns the breach recorded, if any."""
        served = self.models.get(name)
        if served is None or served.challenger is None or served.rollout is None or served.rollout.mode != "canary":
            return None
        canary = served.challenger
        breach = check_guards(self.workspace, name, canary, served.rollout, champion_version=served.champion.version)
        if breach is None:
            return None
        payload = {
            "guard": breach.guard,
            "observed": round(breach.observed, 6),
            "limit": breach.limit,
            "evidence": breach.evidence,
            "automatic": True,
        }
        if end_rollout(self.workspace, name, canary.version, "rollout.rollback", payload):
            log.warning("workbench serve: %s:%s rolled back (%s)", name, canary.version, breach.guard)
            self._refresh(name)
            return payload
        return None
