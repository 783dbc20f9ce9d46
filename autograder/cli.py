"""The instructor's commands: ``autograder generate | grade | ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import course


def cmd_generate(args) -> int:
    from .generate import generate

    root = course.require_root()
    for assignment in args.assignments or course.assignments(root):
        for path in generate(root, assignment, db_url=args.db_url):
            print(f"generated {path.relative_to(root)}")
    return 0


def cmd_grade(args) -> int:
    from . import report
    from .executors import LocalExecutor
    from .generate import course_directory, ensure_alembic_on_path, generate
    from .grade import grade

    root = course.require_root()
    if args.assignment not in course.assignments(root):
        raise SystemExit(f"error: unknown assignment {args.assignment!r}; known: {', '.join(course.assignments(root))}")
    ensure_alembic_on_path()
    db_url = args.db_url or course_directory(root).db_url
    ensure_registered(root, args.assignment, db_url, generate)
    results = grade(args.assignment, Path(args.submissions), Path(args.out), root=root, db_url=db_url,
                    students=args.student, executor=LocalExecutor(args.workers), seed=args.seed,
                    progress=not args.no_progress, cell_timeout=args.cell_timeout, notebook_timeout=args.timeout)
    print(report.summary(results))
    print(f"grades: {Path(args.out) / 'grades.csv'}\nfeedback: {Path(args.out) / 'feedback'}/<student>/{args.assignment}.html")
    return 0


def ensure_registered(root: Path, assignment: str, db_url: str, generate) -> None:
    """The gradebook must know the assignment's released cells before anything is graded."""
    import tempfile

    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    with tempfile.TemporaryDirectory() as scratch:  # only the gradebook entry is wanted here
        generate(root, assignment, db_url=db_url, release_dir=scratch)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Generate, grade and report on the course's exercises.")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="regenerate exercises/ from solutions/ with nbgrader")
    gen.add_argument("assignments", nargs="*", help="assignments to generate (default: all)")
    gen.add_argument("--db-url", help="gradebook URL (default: the course's nbgrader config)")
    gen.set_defaults(func=cmd_generate)

    gr = sub.add_parser("grade", help="grade submissions of one assignment",
                        description="Grade DIR/<student_id>/<notebook>.ipynb; write OUT/grades.csv and OUT/feedback/. "
                                    "Exits 0 when the batch completed, whatever the scores.")
    gr.add_argument("assignment")
    gr.add_argument("--submissions", required=True, metavar="DIR", help="folder of <student_id>/<notebook>.ipynb")
    gr.add_argument("--out", required=True, metavar="OUT", help="folder for grades.csv and feedback/")
    gr.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    gr.add_argument("--workers", type=int, default=None, help="parallel notebooks (default: CPU count)")
    gr.add_argument("--db-url", help="gradebook URL (default: the course's nbgrader config)")
    gr.add_argument("--seed", type=int, default=None, help="seed for hidden-check inputs (default: fresh each run)")
    gr.add_argument("--cell-timeout", type=int, default=30, help="seconds per cell (default 30)")
    gr.add_argument("--timeout", type=int, default=300, help="seconds per notebook (default 300)")
    gr.add_argument("--no-progress", action="store_true", help="no progress bar")
    gr.set_defaults(func=cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
