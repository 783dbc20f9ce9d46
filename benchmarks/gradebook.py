"""Recording grades into SQLite vs PostgreSQL, with many writers at once.

    .venv/bin/python benchmarks/gradebook.py [WRITERS] [WRITES]

In one run, side by side, for a SQLite file and a throwaway PostgreSQL server (tests/pg.py):
1. one writer: milliseconds per recorded notebook (record.record: one gradebook open and commit);
2. WRITERS processes recording WRITES notebooks at once (each a new student's submission): how many
   attempts lost a race and were retried ("database is locked", a duplicate key), how many writes were lost
   even after record.record's retries, and whether the gradebook holds exactly the rows written.
"""

import logging
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pg  # noqa: E402

from autograder.cli import ensure_registered  # noqa: E402
from autograder.course.generate import ensure_alembic_on_path, generate  # noqa: E402
from autograder.decide import ItemResult  # noqa: E402
from autograder.grading import record  # noqa: E402

ITEMS = [ItemResult("q1_tensors", "", 0.25, 0.25), ItemResult("q4_derivative_at", "", 7.5, 3.0)]


class Retries(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, rec):
        self.count += rec.getMessage().startswith("gradebook write retried")


def write_many(db_url: str, students: list[str]) -> tuple[int, int]:
    """(writes lost after retries, attempts retried after losing a race) in this process."""
    retries, lost = Retries(), 0
    logger = logging.getLogger("autograder.grading.record")
    logger.setLevel(logging.INFO)
    logger.addHandler(retries)
    for student in students:
        try:
            record.record(db_url, "ex01", student, "ex01", ITEMS)
        except Exception:  # noqa: BLE001 - counted: this is what is measured
            lost += 1
    return lost, retries.count


def one_writer_ms(db_url: str, n: int = 20) -> float:
    started = time.perf_counter()
    write_many(db_url, [f"solo{i:03d}" for i in range(n)])
    return 1000 * (time.perf_counter() - started) / n


def many_writers(db_url: str, writers: int, writes: int) -> tuple[int, int, float]:
    students = [f"w{i:04d}" for i in range(writes)]
    started = time.perf_counter()
    with ProcessPoolExecutor(writers, mp_context=get_context("fork")) as pool:
        done = list(pool.map(write_many, [db_url] * writers, [students[w::writers] for w in range(writers)]))
    return sum(d[0] for d in done), sum(d[1] for d in done), time.perf_counter() - started


def submissions_in(db_url: str) -> int:
    from nbgrader.api import Gradebook, SubmittedAssignment

    with Gradebook(db_url) as gb:
        return gb.db.query(SubmittedAssignment).filter(SubmittedAssignment.student_id.like("w%")).count()


def measure(name: str, db_url: str, writers: int, writes: int) -> None:
    ensure_registered(ROOT, "ex01", db_url, generate)
    per_record = one_writer_ms(db_url)
    lost, raced, seconds = many_writers(db_url, writers, writes)
    rows = submissions_in(db_url)
    print(f"{name:<11} {per_record:>8.0f} ms {raced:>12} {lost:>12} {rows:>10} of {writes - lost:<5} {seconds:>8.1f} s")


def main() -> None:
    writers = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    writes = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    ensure_alembic_on_path()
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL)  # nbgrader logs each lost race with a traceback
    print(f"{writers} writers, {writes} notebooks recorded at once (one new submission each)")
    print(f"{'gradebook':<11} {'1 writer':>11} {'retries':>12} {'lost':>12} {'rows':>10}       {'wall':>8}")
    scratch = Path(tempfile.mkdtemp(prefix="gradebook-bench-"))
    try:
        measure("SQLite", f"sqlite:///{scratch / 'gradebook.db'}", writers, writes)
        why = pg.skip_reason()
        if why:
            print(f"PostgreSQL  not measured: {why}")
            return
        with pg.server() as new_database:
            measure("PostgreSQL", new_database("bench"), writers, writes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
