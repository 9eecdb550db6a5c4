"""Several workers in one process: `etl-runner serve all` (or `serve glue athena`).

Each worker keeps its own threads (pollers, heartbeats, checker and sweep,
job events consumer); the group only starts them, stops them together and
answers for them to the health signal. Signals stay at the entry point,
which calls ``request_shutdown()`` (warm: every worker drains at once, in
parallel) or ``stop_now()`` (cold: every worker stops polling, then each
records what its polls already returned).

A worker whose ``serve()`` returns or raises while nobody asked it to stop
takes the others down with it (warm) and the process exits 1: a container
with a dead kind would otherwise look alive to its orchestrator.
"""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Mapping

import structlog

from .worker import Worker

log = structlog.get_logger("runners.worker_group")

JOIN_TICK_SECONDS = 0.5  # the main thread wakes this often (signals are handled between waits)


class WorkerGroup:
    def __init__(self, workers: Mapping[str, Worker], stuck_after_seconds: float) -> None:
        if not workers:
            raise ValueError("a worker group needs at least one worker")
        self.workers = dict(workers)
        self.stuck_after = stuck_after_seconds
        self._stopping = threading.Event()
        self._threads: dict[str, threading.Thread] = {}
        self._failed: dict[str, str] = {}

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def request_shutdown(self) -> None:
        """Warm shutdown of every worker (each drains its own long polls)."""
        self._stopping.set()
        for worker in self.workers.values():
            worker.request_shutdown()

    def stop_now(self) -> bool:
        """Cold shutdown: no worker opens another poll, then each records the
        tasks already taken. True if none was left in hand."""
        self.request_shutdown()
        return all([worker.stop_now() for worker in self.workers.values()])

    def health_problems(self) -> list[str]:
        problems = [f"{kind}: worker stopped ({reason})" for kind, reason in self._failed.items()]
        for kind, thread in self._threads.items():
            if not thread.is_alive() and not self.stopping and kind not in self._failed:
                problems.append(f"{kind}: worker stopped")
        now = time.monotonic()
        for worker in self.workers.values():
            problems += worker.health_problems(self.stuck_after, now)
        return problems

    def serve(self) -> int:
        """Run every worker until they have all drained; 0 after a requested
        shutdown, 1 when a worker stopped on its own."""
        for kind, worker in self.workers.items():
            # Each worker's thread (and the threads it starts) logs with its kind and activity.
            context = contextvars.copy_context()
            thread = threading.Thread(target=context.run, args=(self._serve_one, kind, worker), name=f"worker-{kind}", daemon=True)
            self._threads[kind] = thread
            thread.start()
        log.info("workers_started", kinds=sorted(self.workers))
        code = 0
        while any(thread.is_alive() for thread in self._threads.values()):
            for kind, thread in self._threads.items():
                thread.join(timeout=JOIN_TICK_SECONDS / len(self._threads))
                if not thread.is_alive() and not self.stopping:
                    log.error("worker_died", kind=kind, reason=self._failed.get(kind, "serve returned"), action="stopping the other workers")
                    code = 1
                    self.request_shutdown()
        log.info("workers_stopped", kinds=sorted(self.workers), exit_code=code)
        return code

    def _serve_one(self, kind: str, worker: Worker) -> None:
        structlog.contextvars.bind_contextvars(activity=worker.activity_arn.rsplit(":", 1)[-1], kind=kind)
        try:
            worker.serve()
        except BaseException as exc:  # noqa: BLE001 - reported by serve() and the health signal
            self._failed[kind] = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("worker_failed", kind=kind)
