"""Grade one batch with stock ``nbgrader autograde`` and with ``autograder grade``; compare time and grades.

    .venv/bin/python benchmarks/grading.py [--students 40] [--workers N] [--assignments ex01 ...] [--keep DIR]

The batch spreads ``--students`` submissions over every exercise that has a solution notebook:
honest ones (copies of the solution), blank ones (copies of the released exercise) and edited
ones (the solution with one answer cell put back to its blank form). Both graders get the same
notebooks on throwaway copies of the course, each with its own gradebook; both run as
subprocesses, so their start-up costs count. The honest submissions must get full marks from both.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stock  # noqa: E402

ROOT = stock.ROOT


def released_answer_cells(assignment: str) -> dict[str, dict[str, str]]:
    """notebook name -> {grade_id of an answer cell: its released (blank) source}."""
    out = {}
    for path in sorted((ROOT / "exercises" / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        out[path.name] = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
                          if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    return out


def build_batch(n: int, only: list[str] | None = None) -> list[tuple[str, str, str, dict[str, str]]]:
    """[(student, assignment, kind, {notebook name: JSON text})]: every student submits every exercise,
    and enough students to make at least ``n`` submissions."""
    names = [a for a in stock.assignments() if (ROOT / "autograder" / "specs" / f"{a}.py").is_file()]
    names = [a for a in names if a in only] if only else names
    if not names:
        raise SystemExit("no exercises with solutions/ notebooks")
    batch = []
    for s in range(-(-n // len(names))):
        for j, assignment in enumerate(names):
            kind = ("honest", "honest", "blank", "edited")[(s + j) % 4]
            batch.append((f"s{s:03d}", assignment, kind, submission(assignment, kind, s + j)))
    return batch


def submission(assignment: str, kind: str, variant: int) -> dict[str, str]:
    """{notebook name: JSON text}: the solution, the blank exercise, or the solution with one answer blanked."""
    blanks = released_answer_cells(assignment)
    notebooks = {}
    for path in sorted((ROOT / "solutions" / assignment).glob("*.ipynb")):
        if kind == "blank":
            nb = nbformat.read(ROOT / "exercises" / assignment / path.name, as_version=4)
        else:
            nb = nbformat.read(path, as_version=4)
            if kind == "edited" and blanks.get(path.name):
                answers = sorted(blanks[path.name])
                target = answers[variant % len(answers)]  # a different answer cell left blank for different students
                for cell in nb.cells:
                    if cell.metadata.get("nbgrader", {}).get("grade_id") == target:
                        cell.source = blanks[path.name][target]
        notebooks[path.name] = nbformat.writes(nb)
    return notebooks


def run_stock(work: Path, batch) -> tuple[float, dict]:
    course = stock.copy_course(work / "stock-course")
    for student, assignment, _, notebooks in batch:
        stock.submit(course, assignment, student, notebooks)
    names = sorted({a for _, a, _, _ in batch})
    for assignment in names:
        stock.generate(course, assignment)  # registers the assignment in the gradebook (not timed as grading)
    seconds = stock.autograde(course, "*")  # one run over every assignment, as ours does
    grades = {}
    for assignment in names:
        grades.update({(s, assignment): v for s, v in stock.scores(course, assignment).items()})
    return seconds, grades


def run_ours(work: Path, batch, workers: int | None) -> tuple[float, dict, list[str]]:
    course = stock.copy_course(work / "our-course")
    db_url = f"sqlite:///{work / 'ours.db'}"
    names = sorted({a for _, a, _, _ in batch})
    subs = work / "our-submissions"
    for student, _, _, notebooks in batch:
        (subs / student).mkdir(parents=True, exist_ok=True)
        for name, text in notebooks.items():
            (subs / student / name).write_text(text, encoding="utf-8")
    # Register first (nbgrader generate_assignment, as the stock run does untimed).
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from autograder.cli import ensure_registered;"
                    " from autograder.course.generate import generate; [ensure_registered(Path(sys.argv[1]), a, sys.argv[2], generate)"
                    " for a in sys.argv[3:]]", str(course), db_url, *names], check=True, env=stock.env(), cwd=course)
    out = work / "our-out"
    cmd = [str(stock.VENV_BIN / "autograder"), "grade", *names, "--submissions", str(subs), "--out", str(out),
           "--db-url", db_url, "--no-progress"] + (["--workers", str(workers)] if workers else [])
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=course, env=stock.env(AUTOGRADER_COURSE_ROOT=str(course)), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"autograder grade failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    grades = {}
    with open(out / "grades.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            grades[(row["student_id"], row["assignment"])] = (float(row["score"]), float(row["max_score"]), row["status"],
                                                              row.get("notes", ""))
    return seconds, grades, [proc.stdout]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="submissions in the batch (default 40)")
    parser.add_argument("--workers", type=int, default=None, help="autograder grade --workers (default: its own default)")
    parser.add_argument("--assignments", nargs="+", metavar="EX", help="only these exercises (default: all that exist)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    parser.add_argument("--only", choices=["both", "ours", "stock"], default="both", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    work = Path(args.keep or tempfile.mkdtemp(prefix="grading-bench-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    batch = build_batch(args.students, args.assignments)
    kinds = {k: sum(1 for b in batch if b[2] == k) for k in ("honest", "blank", "edited")}
    names = sorted({b[1] for b in batch})
    print(f"batch: {len(batch)} submissions over {', '.join(names)} ({kinds}); work folder {work}", flush=True)
    try:
        ours_s, ours, logs = run_ours(work, batch, args.workers) if args.only != "stock" else (0.0, {}, [])
        if args.only != "stock":
            print(f"autograder grade:    {ours_s:7.1f} s  ({ours_s / len(batch):.2f} s per submission)", flush=True)
            for log in logs:
                print("  " + log.strip().replace("\n", "\n  "))
        stock_s, theirs = run_stock(work, batch) if args.only != "ours" else (0.0, {})
        if args.only != "ours":
            print(f"nbgrader autograde:  {stock_s:7.1f} s  ({stock_s / len(batch):.2f} s per submission)", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    problems = []
    for student, assignment, kind, _ in batch:
        key = (student, assignment)
        mine = ours.get(key)
        stocks = theirs.get(key)
        if mine is not None and mine[3]:  # nothing in this batch touches a locked cell
            problems.append(f"{student}/{assignment} ({kind}): autograder reported tampering: {mine[3]}")
        if kind == "honest":
            if mine is not None and (mine[0] != mine[1] or mine[2] != "ok"):
                problems.append(f"{student}/{assignment}: autograder gave {mine[:3]}")
            if stocks is not None and stocks[0] != stocks[1]:
                problems.append(f"{student}/{assignment}: nbgrader gave {stocks[0]} / {stocks[1]}")
    if ours and theirs:
        disagree = [(k, ours[k][0], theirs[k][0]) for k in ours if k in theirs and abs(ours[k][0] - theirs[k][0]) > 1e-6]
        print(f"grades that differ (expected for blank/edited ones: stock scores a cell by 'did it raise'): {len(disagree)}")
        for (student, assignment), a, b in disagree[:10]:
            print(f"  {student}/{assignment}: autograder {a:g}, nbgrader {b:g}")
        print(f"ratio stock / ours: {stock_s / ours_s:.2f}x")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
        return 1
    print(f"honest submissions: full marks from both ({kinds['honest']} of them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
