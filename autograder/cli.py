"""The instructor's commands: ``autograder generate | grade | ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from autograder import course
from autograder.grading.ids import DEFAULT_FOLDER_PATTERN, DEFAULT_ID_PATTERN


def cmd_generate(args) -> int:
    from autograder.course import i18n
    from autograder.course.generate import generate

    root = course.require_root()
    assignments = args.assignments or course.assignments(root)
    for assignment in assignments:
        for path in generate(root, assignment, db_url=args.db_url):
            print(f"generated {path.relative_to(root)}")
    from autograder.grading import reference

    print(f"wrote {reference.write_public_values(root).relative_to(root)}")
    # the translated exercises must carry the new code cells at once; their prose may lag (and is reported)
    regenerated = [f"{course.RELEASE_DIR}/{a}/{a}.ipynb" for a in assignments]
    for language in i18n.languages(root):
        build_translations(root, language, allow_missing=True, only=regenerated)
    return 0


def build_translations(root: Path, language: str, *, allow_missing: bool, only: list[str] | None = None) -> int:
    from autograder.course import i18n

    try:
        written, missing = i18n.build(root, language, allow_missing=allow_missing, only=only)
    except i18n.MissingTranslations as error:
        print("\n".join(map(str, error.problems)), file=sys.stderr)
        print(f"error: {len(error.problems)} cells lack a current translation; nothing written "
              "(fix the catalogs, or pass --allow-missing to keep those cells in English)", file=sys.stderr)
        return 1
    for path in written:
        print(f"built {path.relative_to(root)}")
    for problem in missing:
        print(f"in English: {problem}", file=sys.stderr)
    if missing:
        print(f"note: {len(missing)} {language} cells left in English: `autograder i18n check` lists them", file=sys.stderr)
    return 0


def cmd_i18n(args) -> int:
    from autograder.course import i18n

    if args.action == "messages":  # the catalog of check() and feedback texts, not of notebooks
        from autograder.course import messages

        messages.write_all()
        print("\n".join(messages.stale()) or "updated and compiled autograder/locale/*/LC_MESSAGES/autograder.po")
        return 0
    root = course.require_root()
    known = i18n.languages(root)
    chosen = args.language or known
    unknown = [language for language in chosen if language not in known]
    if unknown:
        raise SystemExit(f"error: no catalogs for {', '.join(unknown)} in {root / i18n.I18N_DIR}; known: {', '.join(known)}")
    status = 0
    for language in chosen:
        if args.action == "update":
            for path, counts in i18n.update(root, language).items():
                print(f"updated {path}: {counts}")
        elif args.action == "check":
            problems = i18n.check(root, language)
            print("\n".join(map(str, problems)) or f"{language}: every cell translated and current")
            status = status or bool(problems)
        else:
            status = status or build_translations(root, language, allow_missing=args.allow_missing)
    return int(status)


def cmd_grade(args) -> int:
    # jsonschema (under nbformat) compiles rfc3987-syntax's URI grammars on import, ~2 s; no notebook schema needs them
    sys.modules.setdefault("rfc3987_syntax", None)
    from autograder.sandbox.executors import make_executor

    root = course.require_root()
    unknown = [a for a in args.assignment if a not in course.assignments(root)]
    if unknown:
        raise SystemExit(f"error: unknown assignment {', '.join(unknown)}; known: {', '.join(course.assignments(root))}")
    notebooks = named_students_notebooks(root, args)
    workers = args.workers or (notebooks and min(os.cpu_count() or 1, notebooks))  # no worker without a notebook
    executor = make_executor(workers, sandbox=not args.no_sandbox, memory=args.memory, scheduler=args.scheduler,
                             few_notebooks=bool(notebooks) and notebooks <= (workers or os.cpu_count() or 1))
    executor.start()  # first: the workers warm up while the grader imports and prepares the gradebook
    from autograder.course.generate import course_directory, ensure_alembic_on_path, generate
    from autograder.grading import report
    from autograder.grading.grade import grade

    ensure_alembic_on_path()
    db_url = args.db_url or course_directory(root).db_url
    for assignment in args.assignment:
        ensure_registered(root, assignment, db_url, generate)
    results = grade(args.assignment, Path(args.submissions), Path(args.out), root=root, db_url=db_url,
                    students=args.student, executor=executor, seed=args.seed, progress=not args.no_progress,
                    cell_timeout=args.cell_timeout, notebook_timeout=args.timeout, resuming=args.resume)
    print(report.summary(results))
    print(f"grades: {Path(args.out) / 'grades.csv'}\nfeedback: {Path(args.out) / 'feedback'}/<student>/<assignment>.html")
    gc.freeze()  # all is done: the interpreter's exit then skips a collection over torch's and nbgrader's objects (~1 s)
    return 0


def named_students_notebooks(root: Path, args) -> int | None:
    """How many notebooks ``--student`` asks for (None: the whole class, or a cluster): a late submission
    needs one worker, and an idle worker's start-up only slows the busy one down."""
    if not args.student or args.scheduler:
        return None
    return len(args.student) * sum(len(course.notebooks(root / course.SOURCE_DIR / a)) for a in args.assignment)


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


def cmd_collect(args) -> int:
    from autograder.grading.collect import collect

    root = course.require_root()
    notebooks = [p.name for p in course.notebooks(root / course.SOURCE_DIR / args.assignment)]
    if not notebooks:
        raise SystemExit(f"error: unknown assignment {args.assignment!r}")
    report = collect(args.assignment, Path(args.source), Path(args.submissions), notebooks, args.id_pattern,
                     args.folder_pattern)
    print("\n".join(report.lines()))
    return 0


def cmd_feedback(args) -> int:
    from autograder.grading import report, results
    from autograder.grading.grade import autograded_notebooks

    root = course.require_root()
    graded = root / "autograded"
    students = args.student
    if not students:
        students = sorted(p.name for p in graded.glob("*") if (p / args.assignment / results.FILE).is_file())
    if not students:
        raise SystemExit(f"error: nothing graded yet for {args.assignment}; run `autograder grade` first")
    for student in students:
        target = Path(args.out) / "feedback" / student / f"{args.assignment}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        shown = autograded_notebooks(root, student, args.assignment)
        target.write_text(report.feedback_html(results.load(root, student, args.assignment), shown), encoding="utf-8")
        print(f"wrote {target}")
    return 0


def cmd_export(args) -> int:
    """nbgrader's own CSV export, with the status column nbgrader does not have; or an LMS's import layout."""
    import csv
    import tempfile

    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    from autograder.course.generate import course_directory
    from autograder.grading import report, results

    root = course.require_root()
    db_url = args.db_url or course_directory(root).db_url
    if args.format != "nbgrader":
        return export_for_lms(args, db_url)
    with tempfile.TemporaryDirectory() as scratch, Gradebook(db_url) as gb:
        plugin = CsvExportPlugin()
        plugin.to = str(Path(scratch) / "grades.csv")
        plugin.export(gb)
        with open(plugin.to, newline="") as f:
            rows = list(csv.DictReader(f))
    for row in rows:
        row["status"], row["detail"] = results.status(root, row["student_id"], row["assignment"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["student_id", "assignment", "score", "status"])
        writer.writeheader()
        writer.writerows(report.spreadsheet_safe(row) for row in rows)
    print(f"exported {len(rows)} rows to {out}")
    return 0


def export_for_lms(args, db_url: str) -> int:
    from autograder.grading.export import export_lms

    lms_ids = dict(pair.split("=", 1) for pair in args.lms_id or [] if "=" in pair)
    try:
        count = export_lms(db_url, Path(args.out), args.format, args.id_column, lms_ids)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    print(f"exported {count} students to {args.out} ({args.format} gradebook import layout)")
    return 0


DB_URL_HELP = ("gradebook URL, any SQLAlchemy URL: sqlite:///gradebook.db, or a PostgreSQL server "
               "postgresql+psycopg://USER:PASSWORD@HOST:5432/DB (pip install 'autograd-course[postgres]') "
               "(default: the course's nbgrader config)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Generate, grade and report on the course's exercises.")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="regenerate exercises/ from solutions/ with nbgrader")
    gen.add_argument("assignments", nargs="*", help="assignments to generate (default: all)")
    gen.add_argument("--db-url", help="gradebook URL (default: the course's nbgrader config)")
    gen.set_defaults(func=cmd_generate)

    tr = sub.add_parser("i18n", help="translations: merge the English into the PO catalogs, list what to translate, build",
                        description="update: merge every English notebook into i18n/<lang>/**.po (new cells get empty "
                                    "entries, changed ones turn fuzzy, removed ones obsolete). check: list every entry "
                                    "to translate or revise, with file and cell id (exit 1 if any). build: write "
                                    "<lang>/course/*.ipynb and <lang>/exercises/<a>/<a>.ipynb from the English notebooks "
                                    "and the catalogs. messages: merge every message check() and the feedback page "
                                    "show (the code's templates, the specs' titles, labels and hints) into "
                                    "autograder/locale/<lang>/LC_MESSAGES/autograder.po and compile its .mo.")
    tr.add_argument("action", choices=["update", "check", "build", "messages"])
    tr.add_argument("--language", action="append", metavar="LANG", help="only this language (repeatable; default: all in i18n/)")
    tr.add_argument("--allow-missing", action="store_true",
                    help="build: keep a cell in English when its translation is missing, fuzzy or stale (default: error)")
    tr.set_defaults(func=cmd_i18n)

    gr = sub.add_parser("grade", help="grade the submissions of one or more assignments",
                        description="Grade DIR/<student_id>/<notebook>.ipynb for each ASSIGNMENT; write OUT/grades.csv "
                                    "(one row per student and assignment) and OUT/feedback/. "
                                    "Exits 0 when the batch completed, whatever the scores.")
    gr.add_argument("assignment", nargs="+", help="one or more assignments, graded in one batch")
    gr.add_argument("--submissions", required=True, metavar="DIR", help="folder of <student_id>/<notebook>.ipynb")
    gr.add_argument("--out", required=True, metavar="OUT", help="folder for grades.csv and feedback/")
    gr.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    gr.add_argument("--workers", type=int, default=None, help="parallel notebooks (default: CPU count)")
    gr.add_argument("--db-url", help=DB_URL_HELP)
    gr.add_argument("--resume", action="store_true",
                    help="after an interrupted run: grade only the submissions not recorded yet (an unchanged "
                         "submission keeps its stored result; a changed one is graded again)")
    gr.add_argument("--seed", type=int, default=None, help="draw hidden-check inputs from this seed instead of the course secret (for tests and demos)")
    gr.add_argument("--cell-timeout", type=int, default=30, help="seconds per cell (default 30)")
    gr.add_argument("--timeout", type=int, default=300, help="seconds per notebook (default 300)")
    gr.add_argument("--no-progress", action="store_true", help="no progress bar")
    gr.add_argument("--memory", default=None, metavar="SIZE", help="address-space limit per kernel, e.g. 4G (default 4G)")
    gr.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run the notebooks on a Dask cluster: tcp://HOST:PORT of its scheduler, or 'local' for a "
                         "LocalCluster here (needs the cluster extra; see the README)")
    gr.add_argument("--no-sandbox", action="store_true",
                    help="run student code unsandboxed, one fresh kernel per notebook (where bubblewrap is missing)")
    gr.set_defaults(func=cmd_grade)
    col = sub.add_parser("collect", help="gather submissions from a folder or an LMS zip into <student>/<notebook>.ipynb")
    col.add_argument("assignment")
    col.add_argument("source", help="a folder or a zip file downloaded from the LMS")
    col.add_argument("--submissions", required=True, metavar="DIR", help="where to put <student_id>/<notebook>.ipynb")
    col.add_argument("--id-pattern", default=DEFAULT_ID_PATTERN,
                     help="regex with a (?P<student>...) group, applied to the names of files at the top level only "
                          "(default: the text before the first _, as Canvas names files)")
    col.add_argument("--folder-pattern", default=DEFAULT_FOLDER_PATTERN,
                     help="regex with a (?P<student>...) group, applied to the names of per-student folders; a file inside "
                          "a folder takes its id from the folder, never from its own name (default: Moodle's "
                          "'Full Name_12345_assignsubmission_file_', id 12345; otherwise the folder's name)")
    col.set_defaults(func=cmd_collect)

    fb = sub.add_parser("feedback", help="write each graded student's feedback HTML (no hidden checks or answers)")
    fb.add_argument("assignment")
    fb.add_argument("--out", required=True, metavar="OUT", help="writes OUT/feedback/<student>/<assignment>.html")
    fb.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    fb.set_defaults(func=cmd_feedback)

    ex = sub.add_parser("export", help="export every grade in the gradebook to CSV, with a status column, "
                                       "or in the layout Canvas or Moodle imports")
    ex.add_argument("--out", required=True, metavar="FILE")
    ex.add_argument("--db-url", help=DB_URL_HELP)
    ex.add_argument("--format", choices=["nbgrader", "canvas", "moodle"], default="nbgrader",
                    help="nbgrader: one row per student and assignment, with status (default); canvas / moodle: "
                         "one row per student, one column per assignment, as their gradebook import reads it")
    ex.add_argument("--id-column", metavar="NAME",
                    help="the column that holds the student id: for canvas one of ID, SIS User ID, SIS Login ID "
                         "(default SIS Login ID); for moodle one of ID number, Email address, Username, User ID "
                         "(default ID number)")
    ex.add_argument("--lms-id", action="append", metavar="ASSIGNMENT=ID",
                    help="canvas: the Canvas id of an assignment, so its column is 'ASSIGNMENT (ID)' (repeatable); "
                         "without it Canvas creates a new assignment")
    ex.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
