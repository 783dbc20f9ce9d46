"""Grading on a real Dask cluster: a scheduler and two workers on loopback, started as `dask` commands.

The grades equal those of the local warm executor, hostile submissions included; a worker that
cannot sandbox refuses; a worker killed mid-notebook costs that notebook a second run, not its grade.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import pytest
import submissions as S

pytest.importorskip("distributed")

from autograder import spec  # noqa: E402
from autograder.cli import ensure_registered  # noqa: E402
from autograder.course.generate import ensure_alembic_on_path, generate  # noqa: E402
from autograder.grading.grade import grade  # noqa: E402
from autograder.sandbox import executors  # noqa: E402
from autograder.sandbox.bubblewrap import Limits, unavailable_reason  # noqa: E402
from autograder.sandbox.dask import LOST_WORKERS, DaskExecutor, outcome_of  # noqa: E402

# the small functions below run on the workers, which cannot import this test module
cloudpickle.register_pickle_by_value(sys.modules[__name__])
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(unavailable_reason() is not None, reason=f"no sandbox here: {unavailable_reason()}")]
ASSIGNMENT = "ex01"
SEED = 20240611
MAX = spec.load(ASSIGNMENT).max_score
BIN = Path(sys.executable).parent
SLOW_SECONDS = 8  # the notebook whose worker is killed: long enough to be caught running
# as in the hostile suite: tricks on a blank notebook (none may earn marks), and one that exits mid-way
HOSTILE = {"patched-comparisons": lambda: S.insert_after(S.blank(), "setup", S.PATCH_COMPARISONS),
           "always-equal": lambda: S.insert_after(S.blank(), "setup", S.ALWAYS_EQUAL),
           "fake-output": lambda: S.insert_after(S.blank(), "setup", S.FAKE_OUTPUT),
           "exits": lambda: S.insert_after(S.solution(), "q1_tensors", S.EXIT)}


# --------------------------------------------------------------------------- a cluster of `dask` commands

def dask_env(path: str | None = None) -> dict:
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    if path is not None:
        env["PATH"] = path
    return env


def start_scheduler(folder: Path) -> tuple[subprocess.Popen, str]:
    info = folder / "scheduler.json"
    process = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                "--no-dashboard", "--scheduler-file", str(info)],
                               env=dask_env(), stdout=subprocess.DEVNULL, stderr=open(folder / "scheduler.log", "w"))
    deadline = time.monotonic() + 60
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return process, json.loads(info.read_text())["address"]


def start_worker(address: str, log: Path, path: str | None = None) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "python"), "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                             "--no-dashboard", "--host", "127.0.0.1"],
                            env=dask_env(path), stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask")
    scheduler, address = start_scheduler(folder)
    workers = [start_worker(address, folder / f"worker{i}.log") for i in range(2)]
    yield address
    stop(*workers, scheduler)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("course")
    root = S.copy_course(base / "course")
    db_url = f"sqlite:///{base / 'gb.db'}"
    ensure_alembic_on_path()
    ensure_registered(root, ASSIGNMENT, db_url, generate)
    return root, db_url


def mixed_batch(folder: Path) -> Path:
    S.write(folder, "honest", S.solution())
    S.write(folder, "blank", S.blank())
    for student, make in HOSTILE.items():
        S.write(folder, student, make())
    return folder


def grade_with(executor, subs: Path, out: Path, course) -> dict:
    root, db_url = course
    results = grade(ASSIGNMENT, subs, out, root=root, db_url=db_url, seed=SEED, progress=False, executor=executor,
                    cell_timeout=20, notebook_timeout=150)
    return {r.student: (r.status, r.score, [(i.id, i.score) for i in r.items]) for r in results}


# --------------------------------------------------------------------------- the tests

def test_a_dask_cluster_gives_the_grades_of_the_local_warm_workers(cluster, course, tmp_path):
    subs = mixed_batch(tmp_path / "subs")
    on_dask = grade_with(DaskExecutor(cluster, limits=Limits()), subs, tmp_path / "dask", course)
    local = grade_with(executors.WarmSandboxExecutor(2, Limits()), subs, tmp_path / "local", course)
    assert on_dask == local
    assert on_dask["honest"][1] == MAX and on_dask["blank"][1] == 0
    assert all(on_dask[student][1] < MAX for student in HOSTILE), on_dask


def test_a_worker_killed_mid_notebook_costs_a_second_run_not_the_grade(cluster, course, tmp_path):
    from distributed import Client

    slow = S.edit(S.solution(), lambda nb: nb.cells.insert(0, S.code(f"import time\ntime.sleep({SLOW_SECONDS})")))
    S.write(tmp_path / "subs", "slow", slow)
    S.write(tmp_path / "subs", "honest", S.solution())
    killed = []
    with Client(cluster, timeout="30s") as observer:
        killer = threading.Thread(target=kill_the_worker_running, args=(observer, "notebook-slow-", killed), daemon=True)
        killer.start()
        graded = grade_with(DaskExecutor(cluster, limits=Limits()), tmp_path / "subs", tmp_path / "out", course)
        killer.join(5)
    assert killed, "the slow notebook was never seen running"
    assert graded["slow"][:2] == ("ok", MAX) and graded["honest"][:2] == ("ok", MAX), graded


def kill_the_worker_running(client, key_prefix: str, killed: list, timeout: float = 120) -> None:
    """SIGKILL the worker process that is executing a task whose key starts with ``key_prefix``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not killed:
        for address, keys in client.run(executing_keys).items():
            if any(str(key).startswith(key_prefix) for key in keys):
                time.sleep(1)  # well inside the notebook
                os.kill(client.run(os.getpid, workers=[address])[address], signal.SIGKILL)
                killed.append(address)
                return
        time.sleep(0.2)


def executing_keys(dask_worker) -> list:
    return [ts.key for ts in dask_worker.state.executing]


def kill_myself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_task_that_loses_its_worker_twice_is_an_error_not_a_hang(cluster):
    from distributed import Client

    with Client(cluster, timeout="30s") as client:
        outcome = outcome_of(client.submit(lambda: kill_myself(), pure=False))  # a lambda travels by value
    assert outcome.status == "error" and outcome.detail == LOST_WORKERS


def test_a_worker_that_cannot_sandbox_refuses_and_leaves(tmp_path):
    scheduler, address = start_scheduler(tmp_path)
    worker = start_worker(address, tmp_path / "worker.log", path=str(BIN))  # no bwrap, no setpriv on its PATH
    try:
        executor = DaskExecutor(address, limits=Limits())
        with pytest.raises(SystemExit, match="(?s)no Dask worker can sandbox.*bwrap"):
            executor.wait_until_started()
        executor.close()
        worker.wait(60)  # it left (its nanny too) instead of waiting for work
        assert "cannot sandbox student code" in (tmp_path / "worker.log").read_text()
    finally:
        stop(worker, scheduler)
