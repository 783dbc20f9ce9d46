"""Where notebooks run: an interface small enough for a cluster engine to implement later.

An executor takes :class:`~autograder.execute.Task` objects (plain data) and yields
``(task, outcome)`` pairs as they finish, in any order. The grader's trusted process does all the
deciding and recording; an executor only runs notebooks.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Protocol

from .execute import Outcome, Task, run
from .sandbox import Limits


class Executor(Protocol):
    def start(self) -> None:
        """Begin any slow set-up now, so it overlaps the grader's own preparation (optional work)."""

    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]: ...


def run_in_scratch(task: Task) -> Outcome:
    """Run ``task`` in a fresh scratch folder that nothing else can see or reuse."""
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
        return run(task, Path(scratch))


class LocalExecutor:
    """Notebooks in parallel on this machine, one fresh kernel per notebook, unsandboxed (the fallback)."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1

    def start(self) -> None:
        pass  # nothing to warm: every notebook starts its own kernel

    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]:
        tasks = list(tasks)
        if self.workers == 1:
            for task in tasks:
                yield task, run_in_scratch(task)
            return
        with ProcessPoolExecutor(self.workers) as pool:
            yield from finished({pool.submit(run_in_scratch, task): task for task in tasks})


def finished(futures: dict) -> Iterator[tuple[Task, Outcome]]:
    """(task, outcome) as each future completes; a lost worker is that one notebook's error."""
    for future in as_completed(futures):
        task = futures[future]
        try:
            yield task, future.result()
        except Exception as error:  # noqa: BLE001 - the batch goes on
            yield task, Outcome("error", {}, "", 0.0, f"worker failed: {type(error).__name__}: {error}")


# --------------------------------------------------------------------------- warm, sandboxed workers

_server = None  # this worker process's ForkServer (one per worker, started on its first task)


def worker_server(limits: Limits, run_dir: str | None = None):
    """This worker's sandboxed fork server, (re)started if it is missing or died."""
    global _server
    from multiprocessing.util import Finalize

    from .forkserver import ForkServer

    if _server is None or not _server.alive:
        if _server is not None:
            _server.close()
        _server = ForkServer(limits, parent_dir=run_dir)
        Finalize(_server, _server.close, exitpriority=10)  # runs when the pool's worker exits
    return _server


def run_warm(task: Task, limits: Limits, run_dir: str | None = None) -> Outcome:
    """Run ``task`` on a kernel forked by this worker's warm server, then leave nothing of it behind."""
    global _server
    from .forkserver import ForkServerError
    from .sandbox import WORK_DIR
    from .warmkernel import ForkServerKernelManager

    try:
        server = worker_server(limits, run_dir)
    except Exception as error:  # noqa: BLE001 - one notebook's problem, the next task retries
        return Outcome("error", {}, "", 0.0, f"could not start the sandbox: {type(error).__name__}: {error}")
    outcome = run(task, Path(WORK_DIR), make_client_kw=lambda: {"km": ForkServerKernelManager(server, cpu_seconds=task.notebook_timeout + 60)})
    try:
        server.reset()
    except ForkServerError:  # the student killed the server, or a straggler survived: start afresh
        server.close()
        _server = None
    return outcome


class WarmSandboxExecutor:
    """Notebooks in parallel, each worker with one warm, sandboxed fork server (see :mod:`autograder.forkserver`).

    Kernel start and ``import torch`` are paid once per worker; each notebook still gets a fresh
    process, and the sandbox is emptied of processes and files between notebooks."""

    def __init__(self, workers: int | None = None, limits: Limits | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.limits = limits or Limits()
        self.pool: ProcessPoolExecutor | None = None
        self.run_dir = ""

    def start(self) -> None:
        """Start the workers and their fork servers now; grading reuses them."""
        if self.pool is not None:
            return
        self.run_dir = tempfile.mkdtemp(prefix="autograder-run-")  # holds the workers' link folders
        os.chmod(self.run_dir, 0o711)
        self.pool = ProcessPoolExecutor(self.workers)
        for _ in range(self.workers):
            self.pool.submit(warm_up, self.limits, self.run_dir)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.pool = None

    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]:
        self.start()
        try:
            yield from finished({self.pool.submit(run_warm, task, self.limits, self.run_dir): task for task in tasks})
        finally:
            self.close()


def warm_up(limits: Limits, run_dir: str) -> None:
    """Start this worker's fork server ahead of its first notebook (a failure is retried then)."""
    try:
        worker_server(limits, run_dir)
    except Exception:  # noqa: BLE001 - run_warm reports it on the first real task
        pass


def make_executor(workers: int | None = None, *, sandbox: bool = True, memory: str | None = None):
    """The default executor for ``autograder grade``: warm sandboxed workers; unsandboxed only on request."""
    import sys

    from .sandbox import parse_size, unavailable_reason

    if not sandbox:
        print("WARNING: --no-sandbox: student code runs UNSANDBOXED, with the grader's permissions "
              "(network, files, processes). Grade only code you trust this way.", file=sys.stderr)
        return LocalExecutor(workers)
    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"error: cannot sandbox student code: {reason}.\n"
                         "Install bubblewrap, or pass --no-sandbox to run student code unsandboxed (only for code you trust).")
    limits = Limits() if memory is None else Limits(memory=parse_size(memory))
    return WarmSandboxExecutor(workers, limits)
