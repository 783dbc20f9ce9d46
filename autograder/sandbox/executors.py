"""Where notebooks run: an interface small enough for a cluster engine to implement later.

An executor takes :class:`~autograder.grading.execute.Task` objects (plain data) and yields
``(task, outcome)`` pairs as they finish, in any order. The grader's trusted process does all the
deciding and recording; an executor only runs notebooks.

A worker process that dies (the kernel's OOM killer, a crash) breaks a ``ProcessPoolExecutor``
and fails every notebook still pending in it. :func:`map_on_pools` starts a new pool and runs
those notebooks again; the ones that were in flight when it broke run again alone, so a notebook
that takes its worker down a second time gets ``error`` and every other one is graded normally.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Protocol

from autograder.grading.execute import Outcome, Task, run
from autograder.sandbox.bubblewrap import Limits

log = logging.getLogger("autograder.sandbox.executors")
LOST_TWICE = ("the notebook's worker process died twice while running it (killed, e.g. out of memory), "
              "the second time with no other notebook beside it")

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

    def __init__(self, workers: int | None = None, run_task: Callable[[Task], Outcome] = run_in_scratch):
        self.workers = workers or os.cpu_count() or 1
        self.run_task = run_task  # module-level, so that pool workers can unpickle it

    def start(self) -> None:
        pass  # nothing to warm: every notebook starts its own kernel

    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]:
        if self.workers == 1:  # in this process: no worker to lose
            for task in tasks:
                yield task, self.run_task(task)
            return
        yield from map_on_pools(ProcessPoolExecutor, self.workers, self.run_task, (), tasks)


# --------------------------------------------------------------------------- pools that survive a lost worker

def run_marked(marker: str, run_task: Callable, task: Task, *args) -> Outcome:
    """``run_task(task, *args)`` with a file that says the task is in flight; a killed worker leaves it behind."""
    Path(marker).touch()
    try:
        return run_task(task, *args)
    finally:
        Path(marker).unlink(missing_ok=True)


def run_round(pool: ProcessPoolExecutor, run_task: Callable, args: tuple, tasks: dict[int, Task], markers: Path):
    """Yield (task, outcome) for each task that finished on ``pool``; return the tasks left when a worker
    died: (those not started, those in flight)."""
    not_started: dict[int, Task] = {}
    in_flight: dict[int, Task] = {}
    with pool:
        futures = {pool.submit(run_marked, str(markers / str(i)), run_task, task, *args): i for i, task in tasks.items()}
        for future in as_completed(futures):
            i = futures[future]
            try:
                outcome = future.result()
            except BrokenProcessPool:
                (in_flight if (markers / str(i)).exists() else not_started)[i] = tasks[i]
                (markers / str(i)).unlink(missing_ok=True)
                continue
            except Exception as error:  # noqa: BLE001 - the batch goes on
                outcome = Outcome("error", {}, "", 0.0, f"worker failed: {type(error).__name__}: {error}")
            yield tasks[i], outcome
    return not_started, in_flight


def map_on_pools(new_pool: Callable[[int], ProcessPoolExecutor], workers: int, run_task: Callable, args: tuple,
                 tasks: Iterable[Task], first_pool: ProcessPoolExecutor | None = None) -> Iterator[tuple[Task, Outcome]]:
    """Run every task on a pool of ``workers``; a new pool takes over when a worker dies.

    Tasks in flight when a worker died are suspects (the pool takes all its workers down, so the
    culprit cannot be told from its neighbours): each runs again alone, on a pool of one. One that
    loses that worker too is reported as ``error``; every other task gets its real outcome."""
    pending = dict(enumerate(tasks))
    suspects: dict[int, Task] = {}
    with tempfile.TemporaryDirectory(prefix="autograder-inflight-") as folder:
        markers = Path(folder)
        pool = first_pool or new_pool(workers)
        while pending:
            not_started, in_flight = yield from run_round(pool, run_task, args, pending, markers)
            if not_started or in_flight:
                log.warning("a worker process died: running %d notebook(s) again, %d of them alone",
                            len(not_started) + len(in_flight), len(in_flight))
            if not in_flight and len(not_started) == len(pending):
                yield from ((task, Outcome("error", {}, "", 0.0, "no worker process could run it")) for task in not_started.values())
                break
            suspects.update(in_flight)
            pending = not_started
            pool = new_pool(workers) if pending else None
        for i, task in suspects.items():
            not_started, in_flight = yield from run_round(new_pool(1), run_task, args, {i: task}, markers)
            if not_started or in_flight:
                yield task, Outcome("error", {}, "", 0.0, LOST_TWICE)


# --------------------------------------------------------------------------- warm, sandboxed workers

_server = None  # this worker process's ForkServer (one per worker, started on its first task)
_light = False  # set in each pool worker: its server runs a notebook or two, so it skips the batch-only preloads


def set_light_warm_up(light: bool) -> None:
    global _light
    _light = light


def worker_server(limits: Limits, run_dir: str | None = None):
    """This worker's sandboxed fork server, (re)started if it is missing or died."""
    global _server
    from multiprocessing.util import Finalize

    from autograder.sandbox.forkserver import ForkServer

    if _server is None or not _server.alive:
        if _server is not None:
            _server.close()
        _server = ForkServer(limits, parent_dir=run_dir, light=_light)
        Finalize(_server, _server.close, exitpriority=10)  # runs when the pool's worker exits
    return _server


def run_warm(task: Task, limits: Limits, run_dir: str | None = None) -> Outcome:
    """Run ``task`` on a kernel forked by this worker's warm server, then leave nothing of it behind."""
    global _server
    from autograder.sandbox.bubblewrap import WORK_DIR
    from autograder.sandbox.forkserver import ForkServerError
    from autograder.sandbox.warmkernel import ForkServerKernelManager

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
    """Notebooks in parallel, each worker with one warm, sandboxed fork server (see :mod:`autograder.sandbox.forkserver`).

    Kernel start and ``import torch`` are paid once per worker; each notebook still gets a fresh
    process, and the sandbox is emptied of processes and files between notebooks."""

    def __init__(self, workers: int | None = None, limits: Limits | None = None, run_task: Callable = None,
                 light: bool = False):
        self.workers = workers or os.cpu_count() or 1
        self.limits = limits or Limits()
        self.light = light  # each worker runs about one notebook: a smaller warm-up (see forkserver.PRELOAD_FOR_BATCHES)
        self.run_task = run_task or run_warm  # module-level, so that pool workers can unpickle it
        self.pool: ProcessPoolExecutor | None = None
        self.run_dir = ""

    def start(self) -> None:
        """Start the workers and their fork servers now; grading reuses them."""
        if self.pool is not None:
            return
        self.run_dir = tempfile.mkdtemp(prefix="autograder-run-")  # holds the workers' link folders
        os.chmod(self.run_dir, 0o711)
        self.pool = self.new_pool(self.workers)

    def new_pool(self, workers: int) -> ProcessPoolExecutor:
        """A pool whose workers start their fork servers at once (a failure is retried on the first task)."""
        pool = ProcessPoolExecutor(workers, initializer=set_light_warm_up, initargs=(self.light,))
        for _ in range(workers):
            pool.submit(warm_up, self.limits, self.run_dir)
        return pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
        if self.run_dir:
            from autograder.sandbox.bubblewrap import Cgroup, unmount_all_under
            from autograder.sandbox.forkserver import cgroup_prefix

            unmount_all_under(self.run_dir)  # link folders and cgroups of workers that died before closing them
            Cgroup.remove_all(cgroup_prefix(self.run_dir))
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = ""

    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]:
        self.start()
        try:
            yield from map_on_pools(self.new_pool, self.workers, self.run_task, (self.limits, self.run_dir), tasks,
                                    first_pool=self.pool)
        finally:
            self.close()


def warm_up(limits: Limits, run_dir: str) -> None:
    """Start this worker's fork server ahead of its first notebook (a failure is retried then)."""
    try:
        worker_server(limits, run_dir)
    except Exception:  # noqa: BLE001 - run_warm reports it on the first real task
        pass


def make_executor(workers: int | None = None, *, sandbox: bool = True, memory: str | None = None,
                  scheduler: str | None = None, few_notebooks: bool = False):
    """The default executor for ``autograder grade``: warm sandboxed workers; unsandboxed only on request.

    ``scheduler`` (``tcp://HOST:PORT`` or ``local``): the notebooks run on a Dask cluster instead,
    always sandboxed; each worker checks that it can sandbox when it joins. ``few_notebooks``: about
    one notebook per worker (a late submission), so the workers warm up less and start sooner."""
    import sys

    from autograder.sandbox.bubblewrap import parse_size, unavailable_reason

    limits = Limits() if memory is None else Limits(memory=parse_size(memory))
    if scheduler:
        if not sandbox:
            raise SystemExit("error: --no-sandbox cannot be used with --scheduler: a cluster grades only in the sandbox")
        try:
            from autograder.sandbox.dask import dask_executor
        except ImportError as error:
            raise SystemExit(f"error: --scheduler needs Dask ({error}): pip install 'autograd-course[cluster]'") from error

        return dask_executor(scheduler, workers, limits)
    if not sandbox:
        print("WARNING: --no-sandbox: student code runs UNSANDBOXED, with the grader's permissions "
              "(network, files, processes). Grade only code you trust this way.", file=sys.stderr)
        return LocalExecutor(workers)
    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"error: cannot sandbox student code: {reason}.\n"
                         "Install bubblewrap, or pass --no-sandbox to run student code unsandboxed (only for code you trust).")
    return WarmSandboxExecutor(workers, limits, light=few_notebooks)
