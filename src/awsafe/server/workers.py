"""A small pool of worker threads fed from one FIFO queue, grown only while its workers are blocked.

Why not a thread per connection: under load (32 keep-alive clients on 2 cores)
CPython's GIL is handed out unfairly among that many threads, and some clients
waited for seconds. A few threads on one queue keep the wait bounded. The pool
grows when queued work sees no worker finish for a moment (a handler blocked on
an STS call or an MFA prompt), so a slow refresh never stops the other routes,
and the extra workers leave once idle.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Generic, TypeVar

MIN_WORKERS = 2
MAX_WORKERS = 64
STALL_SECONDS = 0.05  # queued work and no job finished for this long: the workers are blocked
IDLE_WORKER_SECONDS = 30.0  # a worker beyond MIN_WORKERS with nothing to do this long exits

Job = TypeVar("Job")


class WorkerPool(Generic[Job]):
    """Runs ``work(job)`` for each submitted job on a worker thread; a bug in one is reported, not fatal."""

    def __init__(self, work: Callable[[Job], None], name: str) -> None:
        self._work = work
        self._name = name
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers = 0
        self._last_progress = self._queued_since = time.monotonic()  # a worker took or finished a job

    def submit(self, job: Job) -> None:
        if self._jobs.empty():
            self._queued_since = time.monotonic()
        self._jobs.put(job)
        with self._lock:
            if self._workers < MIN_WORKERS:
                self._spawn_locked()

    def grow_if_stalled(self, now: float) -> None:
        """Jobs wait in the queue and no worker finished one lately: they are all blocked."""
        if self._jobs.empty():
            return  # an idle worker took every job: busy or blocked, nobody is waiting
        with self._lock:
            progress = max(self._last_progress, self._queued_since)
            if now - progress > STALL_SECONDS and self._workers < MAX_WORKERS:
                self._spawn_locked()
                self._last_progress = now  # give the new worker time before another one

    def stop(self) -> None:
        """Let every worker exit once it is done with its current job."""
        with self._lock:
            for _ in range(self._workers):
                self._jobs.put(None)

    def _spawn_locked(self) -> None:
        self._workers += 1
        threading.Thread(target=self._run, name=self._name, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=IDLE_WORKER_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._workers > MIN_WORKERS:  # grown for a blocked job, no longer needed
                        self._workers -= 1
                        return
                continue
            if job is None:
                return
            self._last_progress = time.monotonic()
            try:
                self._work(job)
            except Exception:  # a bug in a job: report it and keep serving
                traceback.print_exc(file=sys.stderr)
            self._last_progress = time.monotonic()
