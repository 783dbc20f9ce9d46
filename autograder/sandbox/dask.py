"""Notebooks on a Dask cluster: the same executor interface, with workers on other machines.

Each Dask worker (one thread, its own process) keeps one warm, sandboxed fork server, started and
stopped with the worker by :class:`SandboxPlugin`; it runs notebooks exactly as a local warm worker
does (:func:`autograder.sandbox.executors.run_warm`). Only plain data crosses the network: a task
as a dict of strings and numbers, an outcome as a dict back. Deciding and recording stay in the
instructor's process.

A worker that cannot sandbox refuses at start-up and leaves the cluster; it never grades. A worker
lost mid-notebook (killed, preempted, its node gone) makes the scheduler run that notebook again
elsewhere; lost again, the notebook is reported as ``error``. How many losses a notebook may cause
is the scheduler's ``distributed.scheduler.allowed-failures``: :data:`ALLOWED_FAILURES` on a
:class:`~distributed.LocalCluster`; set it the same way on an external scheduler (see the README).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import shutil
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator

from distributed import Client, WorkerPlugin, as_completed

from autograder.grading.execute import Outcome, Task
from autograder.sandbox import executors
from autograder.sandbox.bubblewrap import Limits

log = logging.getLogger("autograder.sandbox.dask")
PLUGIN_NAME = "autograder-sandbox"
ALLOWED_FAILURES = 1  # a notebook whose worker dies runs once more elsewhere; a second loss is its error
LOST_WORKERS = ("the workers running this notebook were lost twice (killed, preempted, or their machine went away); "
                "it was not graded")


class SandboxUnavailable(RuntimeError):
    """This worker cannot sandbox student code, so it must not take any."""


def sandbox_problem() -> str | None:
    """Why this machine cannot sandbox kernels, or None (run on each worker)."""
    from autograder.sandbox.bubblewrap import unavailable_reason

    return unavailable_reason()


# --------------------------------------------------------------------------- on each worker

_run_dir = ""  # this worker's folder for its fork server's link folders and cgroup names
_limits: Limits | None = None
_ready = threading.Event()  # set once the plugin has started the sandbox: a task may arrive while it starts
SETUP_WAIT = 300  # seconds a task waits for its worker's sandbox (a worker that cannot sandbox closes sooner)


class SandboxPlugin(WorkerPlugin):
    """Starts this worker's warm sandboxed fork server with the worker, and stops it with the worker.

    Where the worker cannot sandbox, it logs why and closes (with its nanny, so it is not restarted)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.name = PLUGIN_NAME

    async def setup(self, worker) -> None:
        problem = sandbox_problem()
        if problem:
            log.error("this worker cannot sandbox student code and leaves the cluster: %s", problem)
            asyncio.get_running_loop().call_soon(asyncio.ensure_future, worker.close(nanny=True, reason="cannot sandbox"))
            raise SandboxUnavailable(f"{worker.address}: {problem}")
        await asyncio.to_thread(start_sandbox, self.limits)  # a few seconds of imports: keep the worker answering

    async def teardown(self, worker) -> None:
        await asyncio.to_thread(stop_sandbox)


def start_sandbox(limits: Limits) -> None:
    """This worker's fork server, started now (run_warm restarts it later if it dies)."""
    global _run_dir, _limits
    stop_sandbox()
    _run_dir = tempfile.mkdtemp(prefix="autograder-run-")
    os.chmod(_run_dir, 0o711)  # the sandbox uid must reach its link folder inside
    _limits = limits
    executors.worker_server(limits, _run_dir)
    _ready.set()


def stop_sandbox() -> None:
    """Close the fork server and remove what it left: mounts, cgroups, the run folder."""
    global _run_dir, _limits
    _ready.clear()
    if executors._server is not None:
        executors._server.close()
        executors._server = None
    if _run_dir:
        from autograder.sandbox.bubblewrap import Cgroup, unmount_all_under
        from autograder.sandbox.forkserver import cgroup_prefix

        unmount_all_under(_run_dir)
        Cgroup.remove_all(cgroup_prefix(_run_dir))
        shutil.rmtree(_run_dir, ignore_errors=True)
    _run_dir, _limits = "", None


def sandbox_limits() -> dict | None:
    """The limits this worker's sandbox was started with (None: not started)."""
    return dataclasses.asdict(_limits) if _limits is not None else None


def run_notebook(task: dict) -> dict:
    """A Dask task: one notebook, in this worker's warm sandbox; plain data in, plain data out."""
    if not _ready.wait(SETUP_WAIT):  # the plugin never set this worker up: refuse rather than run unsandboxed
        raise SandboxUnavailable("this worker has no sandbox (the autograder's worker plugin is not set up here)")
    return dataclasses.asdict(executors.run_warm(Task(**task), _limits, _run_dir))


# --------------------------------------------------------------------------- in the instructor's process

class DaskExecutor:
    """Notebooks on the workers of a Dask cluster: an existing one (``tcp://HOST:PORT``) or a LocalCluster here."""

    def __init__(self, scheduler: str, workers: int | None = None, limits: Limits | None = None):
        self.scheduler = scheduler
        self.workers = workers or os.cpu_count() or 1  # only for scheduler == "local"
        self.limits = limits or Limits()
        self.client: Client | None = None
        self.cluster = None
        self.starting: threading.Thread | None = None
        self.start_error: BaseException | None = None

    def start(self) -> None:
        """Connect and set the workers' sandboxes up in the background, while the grader prepares."""
        if self.starting is None:
            self.starting = threading.Thread(target=self._start_catching, name="dask-start", daemon=True)
            self.starting.start()

    def _start_catching(self) -> None:
        try:
            self.connect()
        except BaseException as error:  # noqa: BLE001 - re-raised in map(), in the caller's thread
            self.start_error = error

    def connect(self) -> None:
        if self.scheduler == "local":
            self.client = Client(self.local_cluster())
        else:
            self.client = Client(self.scheduler, timeout="30s")
        self.prepare_workers()

    def local_cluster(self):
        import dask
        from distributed import LocalCluster

        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, host="127.0.0.1")
        return self.cluster

    def prepare_workers(self) -> None:
        """Start a warm fork server on each worker; those that cannot sandbox leave the cluster."""
        self.client.wait_for_workers(1, timeout=60)
        problems = {address: p for address, p in self.client.run(sandbox_problem).items() if p}
        for address, problem in problems.items():
            log.error("Dask worker %s cannot sandbox student code and is not used: %s", address, problem)
        if not self.workers_ready():
            try:
                self.client.register_plugin(SandboxPlugin(self.limits), name=PLUGIN_NAME)
            except SandboxUnavailable as error:  # that worker closes itself; the others are set up
                log.error("%s", error)
        if len(problems) == len(self.client.scheduler_info()["workers"]):
            raise SystemExit("error: no Dask worker can sandbox student code:\n"
                             + "\n".join(f"  {a}: {p}" for a, p in sorted(problems.items()))
                             + "\nA worker needs Linux, bubblewrap, util-linux's setpriv and root (see the README).")

    def workers_ready(self) -> bool:
        wanted = dataclasses.asdict(self.limits)
        return all(limits == wanted for limits in self.client.run(sandbox_limits).values())

    def wait_until_started(self) -> None:
        self.start()
        self.starting.join()
        if self.start_error is not None:
            raise self.start_error

    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]:
        self.wait_until_started()
        run_id = uuid.uuid4().hex[:8]
        pending = {}
        try:
            for i, task in enumerate(tasks):
                key = f"notebook-{task.student}-{task.assignment}-{task.notebook}-{run_id}-{i}"
                pending[self.client.submit(run_notebook, dataclasses.asdict(task), key=key, pure=False)] = task
            for future in as_completed(list(pending)):
                task = pending.pop(future)
                yield task, outcome_of(future)
                future.release()
        finally:
            if pending:
                self.client.cancel(list(pending))
            self.close()

    def close(self) -> None:
        """Disconnect; a LocalCluster stops (its workers' plugin teardown stops their fork servers).

        An external cluster's workers keep their warm sandboxes for the next batch (or late student)."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def outcome_of(future) -> Outcome:
    """The notebook's outcome, or an ``error`` outcome saying why the cluster could not give one."""
    from distributed.scheduler import KilledWorker

    try:
        return Outcome(**future.result())
    except KilledWorker:
        return Outcome("error", {}, "", 0.0, LOST_WORKERS)
    except Exception as error:  # noqa: BLE001 - one notebook's failure never ends the batch
        return Outcome("error", {}, "", 0.0, f"the Dask worker failed: {type(error).__name__}: {str(error)[:300]}")


def dask_executor(scheduler: str, workers: int | None, limits: Limits) -> DaskExecutor:
    if scheduler != "local" and "://" not in scheduler:
        raise SystemExit(f"error: --scheduler takes tcp://HOST:PORT or 'local', not {scheduler!r}")
    print(f"grading on Dask: {'a LocalCluster here' if scheduler == 'local' else scheduler}", file=sys.stderr)
    return DaskExecutor(scheduler, workers, limits)
