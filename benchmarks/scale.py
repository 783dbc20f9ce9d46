"""Grading throughput at scale, and one late submission end to end.

    .venv/bin/python benchmarks/scale.py [--students 200] [--only local1 local2 localcluster external late]
                                         [--before REV] [--late-runs 3]

One batch of ``--students`` submissions spread over every exercise (solutions, blanks and solutions
with one answer blanked, as in benchmarks/grading.py) is graded, each time as a real ``autograder
grade`` subprocess on a fresh copy of the course, by: 1 and 2 local warm sandboxed workers, a Dask
``LocalCluster`` of 2 workers (``--scheduler local``), and an external scheduler with two workers
started here as ``dask scheduler`` / ``dask worker`` commands (``--scheduler tcp://...``). It prints
notebooks per minute, the parallel efficiency of 2 workers against 1, and the time per notebook that
Dask adds over the local pool of the same size. Every configuration must give the same grades.

``late``: one late student's single notebook graded by ``autograder grade --student`` on a course whose
gradebook already holds the batch, end to end (process start to exit), the median of ``--late-runs``;
with ``--before REV``, the same command from the package as it was at git revision REV, alternated
with the current one so that both see the same machine load.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stock  # noqa: E402
from grading import build_batch  # noqa: E402

ROOT = stock.ROOT
BIN = stock.VENV_BIN
CONFIGS = ("local1", "local2", "localcluster", "external")


def write_batch(subs: Path, batch) -> None:
    for student, _, _, notebooks in batch:
        (subs / student).mkdir(parents=True, exist_ok=True)
        for name, text in notebooks.items():
            (subs / student / name).write_text(text, encoding="utf-8")


def registered_course(work: Path, names: list[str]) -> tuple[Path, str]:
    """A course copy whose gradebook knows every assignment (nbgrader generate: not part of grading)."""
    course = stock.copy_course(work / "course")
    db_url = f"sqlite:///{work / 'gradebook.db'}"
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from autograder.cli import ensure_registered;"
                    " from autograder.course.generate import generate; [ensure_registered(Path(sys.argv[1]), a, sys.argv[2], generate)"
                    " for a in sys.argv[3:]]", str(course), db_url, *names], check=True, env=stock.env(), cwd=course,
                   capture_output=True)
    return course, db_url


def grade_command(names: list[str], subs: Path, out: Path, db_url: str, extra: list[str]) -> list[str]:
    return [str(BIN / "autograder"), "grade", *names, "--submissions", str(subs), "--out", str(out), "--db-url", db_url,
            "--no-progress", "--seed", "7", *extra]


def timed(cmd: list[str], course: Path, env: dict | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=course, env=env or stock.env(AUTOGRADER_COURSE_ROOT=str(course)), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return seconds


def read_grades(out: Path) -> dict:
    with open(out / "grades.csv", encoding="utf-8") as f:
        return {(r["student_id"], r["assignment"]): (r["score"], r["status"]) for r in csv.DictReader(f)}


class ExternalCluster:
    """``dask scheduler`` and two ``dask worker`` processes on loopback, one thread each."""

    def __init__(self, folder: Path, workers: int = 2):
        info = folder / "scheduler.json"
        env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
        self.processes = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                            "--no-dashboard", "--scheduler-file", str(info)], env=env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        while not info.exists():
            time.sleep(0.2)
        self.address = json.loads(info.read_text())["address"]
        for _ in range(workers):
            self.processes.append(subprocess.Popen([str(BIN / "dask"), "worker", self.address, "--nthreads", "1",
                                                    "--no-dashboard", "--host", "127.0.0.1"], env=env,
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            process.wait(60)


def throughput(work: Path, batch, configs: list[str]) -> dict[str, float]:
    names = sorted({b[1] for b in batch})
    seconds, grades = {}, {}
    for config in configs:
        folder = work / config
        course, db_url = registered_course(folder, names)
        write_batch(folder / "subs", batch)
        extra = {"local1": ["--workers", "1"], "local2": ["--workers", "2"],
                 "localcluster": ["--scheduler", "local", "--workers", "2"]}.get(config, [])
        cluster = None
        if config == "external":
            cluster = ExternalCluster(folder)
            extra = ["--scheduler", cluster.address]
        try:
            seconds[config] = timed(grade_command(names, folder / "subs", folder / "out", db_url, extra), course)
        finally:
            if cluster:
                cluster.close()
        grades[config] = read_grades(folder / "out")
        print(f"{config:13s} {seconds[config]:7.1f} s  {60 * len(batch) / seconds[config]:6.1f} notebooks/min"
              f"  (load average now {os.getloadavg()[0]:.1f})", flush=True)
    first = next(iter(grades.values()))
    differ = [c for c, g in grades.items() if g != first]
    print(f"same grades in every configuration: {'yes' if not differ else 'NO: ' + ', '.join(differ)}")
    return seconds


def late_student(work: Path, before: str | None, runs: int) -> None:
    """One student's one notebook, on a course whose gradebook already knows the assignment."""
    batch = build_batch(1, ["ex01"])
    course, db_url = registered_course(work / "late", ["ex01"])
    subs = work / "late" / "subs"
    write_batch(subs, [("late", *batch[0][1:])])
    cmd = grade_command(["ex01"], subs, work / "late" / "out", db_url, ["--student", "late"])
    versions = {"now": stock.env(AUTOGRADER_COURSE_ROOT=str(course))}
    if before:
        old = package_at(before, work / "before")
        versions[before] = dict(versions["now"], PYTHONPATH=str(old))
        cmd_before = [str(BIN / "python"), "-c", RUN_WITH_PATH_IN_SANDBOX.format(folder=str(old)), *cmd[1:]]
    times = {v: [] for v in versions}
    timed(cmd, course)  # once untimed: the gradebook entry and the OS's file cache
    for _ in range(runs):
        for version, env in versions.items():
            times[version].append(timed(cmd if version == "now" else cmd_before, course, env))
            (graded,) = read_grades(work / "late" / "out").values()
            if graded[1] != "ok":  # a run that did not grade would time nothing
                raise RuntimeError(f"{version}: the late student's solution was not graded ok: {graded}")
    for version, values in times.items():
        print(f"late student ({version:>8s}): median {statistics.median(values):5.1f} s of {', '.join(f'{v:.1f}' for v in values)}",
              flush=True)
    if before:
        print(f"late student: {statistics.median(times[before]) / statistics.median(times['now']):.2f}x faster than {before}")


# The old package must be the one imported inside the sandbox too, whose environment is cleared.
RUN_WITH_PATH_IN_SANDBOX = """\
import sys
from autograder.sandbox import bubblewrap
plain_env = bubblewrap.sandbox_env
bubblewrap.sandbox_env = lambda: {{**plain_env(), "PYTHONPATH": {folder!r}}}
from autograder.cli import main
sys.exit(main(sys.argv[1:]))
"""


def package_at(rev: str, folder: Path) -> Path:
    """The autograder package as it was at ``rev``, unpacked into ``folder`` (put first on PYTHONPATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "autograder"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200, help="submissions in the batch (default 200)")
    parser.add_argument("--only", nargs="+", choices=[*CONFIGS, "late"], default=[*CONFIGS, "late"])
    parser.add_argument("--before", metavar="REV", help="also time the late student with the package at this git revision")
    parser.add_argument("--late-runs", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    try:
        if "late" in args.only:
            late_student(work, args.before, args.late_runs)
        configs = [c for c in CONFIGS if c in args.only]
        if configs:
            batch = build_batch(args.students)
            print(f"batch: {len(batch)} notebooks over {len({b[1] for b in batch})} exercises", flush=True)
            seconds = throughput(work, batch, configs)
            report(seconds, len(batch))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(seconds: dict[str, float], notebooks: int) -> None:
    if "local1" in seconds and "local2" in seconds:
        print(f"parallel efficiency, 2 local workers against 1: {seconds['local1'] / (2 * seconds['local2']):.0%}")
    for config in ("localcluster", "external"):
        if config in seconds and "local2" in seconds:
            extra = (seconds[config] - seconds["local2"]) / notebooks
            print(f"Dask ({config}) adds {extra:+.2f} s per notebook over 2 local workers (start-up included)")


if __name__ == "__main__":
    sys.exit(main())
