"""Grade a class's submissions: sanitize -> execute (elsewhere) -> decide -> record -> report.

Only plain data crosses from the student's kernel to here; expected values of hidden probes are
computed here from the reference solution, on inputs drawn from the course secret: the same for
every student, so the grade is a function of the code alone.
"""

from __future__ import annotations

import builtins
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import course, spec
from autograder.decide import ItemResult, decide_item
from autograder.grading import inert, integrity, record, reference, report, resume, secret
from autograder.grading import results as results_store
from autograder.grading.execute import Task
from autograder.grading.ids import STUDENT_ID
from autograder.grading.results import StudentResult
from autograder.grading.sanitize import InvalidSubmission, sanitize
from autograder.grading.untrusted import INVALID
from autograder.i18n import N_, fixed, message
from autograder.sandbox.executors import Executor, LocalExecutor

LOG = logging.getLogger(__name__)
def find_students(submissions: Path, only: list[str] | None) -> list[str]:
    if not submissions.is_dir():
        raise SystemExit(f"error: submissions folder {submissions} does not exist")
    found = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    bad = [s for s in found if not STUDENT_ID.match(s)]
    if bad:
        raise SystemExit(f"error: these folder names are not usable student ids: {', '.join(bad)}")
    if only:
        unknown = sorted(set(only) - set(found))
        if unknown:
            print(f"warning: no submission folder for {', '.join(unknown)} (graded as missing)", file=sys.stderr)
        return sorted(set(only))
    return found


def read_submission(path: Path) -> str:
    """The notebook's text; refuses symlinks and anything but a regular file."""
    if path.is_symlink() or not path.is_file():
        raise InvalidSubmission("not a regular file (symlinks are not followed)")
    if path.stat().st_size > 20_000_000:
        raise InvalidSubmission("larger than 20 MB")
    return path.read_text(encoding="utf-8", errors="replace")


def item_notebooks(root: Path, assignment: str, items: tuple[spec.Item, ...]) -> dict[str, list[spec.Item]]:
    """Which released notebook holds each item's check cell."""
    placed: dict[str, list[spec.Item]] = {}
    for path in course.notebooks(root / course.SOURCE_DIR / assignment):
        nb = nbformat.read(path, as_version=4)
        ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells if reference.is_check_cell(c)}
        placed[path.name] = [item for item in items if item.id in ids]
    missing = {i.id for i in items} - {i.id for group in placed.values() for i in group}
    if missing:
        raise SystemExit(f"error: the checks {sorted(missing)} have no check cell in solutions/{assignment}/")
    return placed


@dataclass
class AssignmentRun:
    """One assignment's part of a batch: its spec, its students' results, and the probes each task got."""

    assignment: str
    spec: spec.Assignment
    by_notebook: dict[str, list[spec.Item]]
    results: dict[str, StudentResult]
    plans: dict[tuple[str, str], dict[str, list[spec.Probe]]] = field(default_factory=dict)
    copies: dict[tuple[str, str], dict[str, tuple[int, str] | None]] = field(default_factory=dict)  # integrity
    pending: dict[str, int] = field(default_factory=dict)  # student -> notebooks not decided yet
    fingerprints: dict[str, str] = field(default_factory=dict)  # student -> what is graded (resume.fingerprint)
    resumed: list[str] = field(default_factory=list)  # students whose stored result was recorded before


def prepare(assignment: str, submissions: Path, *, root: Path, db_url: str, students: list[str] | None,
            course_secret: str, cell_timeout: int, notebook_timeout: int,
            resuming: bool = False) -> tuple[AssignmentRun, list[Task]]:
    """Read and sanitize every submitted notebook; fill the hidden probes from the secret; make the tasks.

    When ``resuming``, a student whose exact submission was recorded before keeps that stored result
    and gets no task.
    """
    the_spec = spec.load(assignment)
    plan = spec.hidden_plan(the_spec, course_secret)  # one plan for everyone: same code, same grade
    by_notebook = item_notebooks(root, assignment, the_spec.items)
    results = {s: StudentResult(s, assignment, max_score=the_spec.max_score) for s in find_students(submissions, students)}
    run, tasks = AssignmentRun(assignment, the_spec, by_notebook, results), []
    for student, result in results.items():
        run.fingerprints[student] = resume.fingerprint(submissions / student, list(by_notebook), course_secret,
                                                       (cell_timeout, notebook_timeout))
        stored = resume.recorded_result(root, student, assignment, run.fingerprints[student]) if resuming else None
        if stored is not None:
            results[student] = stored
            run.resumed.append(student)
            continue
        if (submissions / student).is_symlink():
            result.worsen("invalid", "the student folder is a symlink (symlinks are not followed)")
            continue
        for nb_name, items in by_notebook.items():
            path = submissions / student / nb_name
            if not path.exists() and not path.is_symlink():
                result.worsen("missing", f"{nb_name} was not submitted")
                continue
            try:
                nb, notes = sanitize(read_submission(path), db_url=db_url, assignment=assignment,
                                     notebook=Path(nb_name).stem, student=student)
            except InvalidSubmission as error:
                result.worsen("invalid", f"{nb_name}: {error}")
                continue
            except Exception as error:  # noqa: BLE001 - one odd file must never stop the batch
                result.worsen("invalid", f"{nb_name}: could not be read: {type(error).__name__}: {str(error)[:200]}")
                continue
            result.notes += notes
            probes = {item.id: plan[item.id] for item in items}
            copies = {gid: integrity.disguised_copy(ps) for gid, ps in probes.items()}  # sent after the item's probes
            run.plans[(student, nb_name)], run.copies[(student, nb_name)] = probes, copies
            expressions = {gid: [p.expr for p in ps] + ([copies[gid][1]] if copies[gid] else []) for gid, ps in probes.items()}
            tasks.append(Task(student, assignment, nb_name, nbformat.writes(nb), expressions, cell_timeout, notebook_timeout))
            run.pending[student] = run.pending.get(student, 0) + 1
    return run, tasks


def absorb(run: AssignmentRun, task: Task, outcome, root: Path) -> list[ItemResult]:
    """Decide the items of one finished notebook, in this (trusted) process; returns them."""
    result = run.results[task.student]
    result.seconds += outcome.seconds
    if outcome.status != "ok":
        result.worsen(outcome.status, f"{task.notebook}: {outcome.detail}")
    review = outcome.review or contradicted_copies(run.copies.get((task.student, task.notebook), {}), outcome.observed)
    if review:  # the scores stand (they come from secret inputs); the instructor should look
        result.review = "; ".join(r for r in (result.review, f"{review} in {task.notebook}") if r)
    try:
        decided = [decide_notebook_item(run, task, item, outcome, root) for item in run.by_notebook[task.notebook]]
    except Exception as error:  # noqa: BLE001 - one notebook's data must never end the batch
        LOG.error("grading %s/%s/%s failed: %s: %s", task.student, run.assignment, task.notebook,
                  type(error).__name__, str(error)[:200])
        result.worsen("error", f"{task.notebook}: the grader could not decide this notebook ({type(error).__name__})")
        decided = [ItemResult(item.id, item.title, item.points, 0.0) for item in run.by_notebook[task.notebook]]
    result.items += decided
    if outcome.nb_json:
        try:
            save_autograded(root / "autograded" / task.student / run.assignment / task.notebook, outcome.nb_json)
        except Exception as error:  # noqa: BLE001 - the grade stands without the executed copy
            LOG.error("saving the autograded notebook of %s/%s/%s failed: %s: %s", task.student, run.assignment,
                      task.notebook, type(error).__name__, str(error)[:200])
    return decided


def decide_notebook_item(run: AssignmentRun, task: Task, item: spec.Item, outcome, root: Path) -> ItemResult:
    probes = run.plans[(task.student, task.notebook)][item.id]
    observed = outcome.observed.get(item.id) or [None] * len(probes)
    for probe, seen in zip(probes, observed):
        if isinstance(seen, dict) and seen.get("error") == INVALID:
            LOG.warning("%s/%s/%s: probe %r: %s", task.student, run.assignment, task.notebook,
                        "hidden" if probe.hidden else probe.expr, seen.get("message"))
    references = reference.expected_values(run.assignment, root, probes)
    return redact_hidden(decide_item(item, probes, observed, references), observed)


def contradicted_copies(copies: dict, observed: dict) -> str:
    """integrity.REVIEW if a probe's disguised copy found no answer where the probe itself found one."""
    for grade_id, copy in copies.items():
        seen = observed.get(grade_id)
        if copy and isinstance(seen, list) and len(seen) > copy[0] + 1 and integrity.copy_contradicts(seen[copy[0]], seen[-1]):
            return f"{integrity.REVIEW} (a check answered at {grade_id} had no answer when asked again in other words)"
    return ""


def record_notebook(run: AssignmentRun, student: str, notebook: str, decided: list[ItemResult], db_url: str) -> None:
    """Into the gradebook now, not at the end of the batch; a grade set by hand in formgrader stays."""
    if decided:
        keep_hand_set(run.results[student], decided, record.record(db_url, run.assignment, student, Path(notebook).stem, decided))


def keep_hand_set(result: StudentResult, items: list[ItemResult], hand_set: dict[str, float]) -> None:
    """The grades file and feedback show the grade that stands: the instructor's, with a note saying so."""
    for item in items:
        if item.id in hand_set:
            LOG.warning("%s/%s: %s keeps the score %g set by hand in formgrader (the autograder gave %g; not recorded)",
                        result.student, result.assignment, item.id, hand_set[item.id], item.score)
            result.detail = "; ".join(d for d in (result.detail, f"{item.id}: kept the score {hand_set[item.id]:g} "
                                                  f"set by hand (the autograder gave {item.score:g})") if d)
            item.score = hand_set[item.id]


def notebook_done(run: AssignmentRun, student: str, out: Path, *, root: Path, db_url: str) -> None:
    """Count down the student's notebooks; the last one finishes the student."""
    run.pending[student] -= 1
    if run.pending[student] == 0:
        finish_student(run, student, out, root=root, db_url=db_url)


def finish_student(run: AssignmentRun, student: str, out: Path, *, root: Path, db_url: str) -> None:
    """Total the student's score, write feedback and the stored result, then mark it recorded (for --resume)."""
    result = run.results[student]
    order = [item.id for item in run.spec.items]
    result.items.sort(key=lambda i: order.index(i.id))
    result.score = round(sum(i.score for i in result.items), 4)
    if not result.items:  # nothing was run (missing, invalid): no stale grades from an earlier run
        kept = record.remove(db_url, run.assignment, student)
        if kept:
            LOG.warning("%s/%s: the submission keeps its grades set by hand in formgrader (%s)", student, run.assignment,
                        ", ".join(f"{k} {v:g}" for k, v in kept.items()))
            result.detail = "; ".join(d for d in (result.detail, "the gradebook keeps the grades set by hand") if d)
    shown = autograded_notebooks(root, student, run.assignment) if result.items else []  # never a stale copy
    write_feedback(out / "feedback" / student / f"{run.assignment}.html", result, shown)
    results_store.save(root, result)
    resume.mark_recorded(root, student, run.assignment, run.fingerprints[student])


def finish_unrun(run: AssignmentRun, out: Path, *, root: Path, db_url: str) -> None:
    """Students with nothing to run are decided already; resumed ones only get their feedback again."""
    for student, result in run.results.items():
        if student in run.resumed:
            shown = autograded_notebooks(root, student, run.assignment) if result.items else []
            write_feedback(out / "feedback" / student / f"{run.assignment}.html", result, shown)
        elif not run.pending.get(student):
            finish_student(run, student, out, root=root, db_url=db_url)


def grade(assignments: str | list[str], submissions: Path, out: Path, *, root: Path, db_url: str,
          students: list[str] | None = None, executor: Executor | None = None,
          seed: int | None = None, progress: bool = True, cell_timeout: int = 30,
          notebook_timeout: int = 300, resuming: bool = False) -> list[StudentResult]:
    """Grade ``submissions/<student>/<notebook>.ipynb`` for one or more assignments in one batch.

    All notebooks of all the assignments go to the executor together, so its workers start once.
    Each student's grades are recorded as soon as they are decided; ``resuming`` skips the
    submissions an earlier (killed) run recorded, and reports them from their stored results.
    """
    names = [assignments] if isinstance(assignments, str) else list(assignments)
    executor = executor or LocalExecutor()
    executor.start()  # workers warm up while the submissions are read and sanitized
    course_secret = secret.resolve(root, seed)
    runs, tasks = {}, []
    for name in names:
        runs[name], new_tasks = prepare(name, submissions, root=root, db_url=db_url, students=students,
                                        course_secret=course_secret, cell_timeout=cell_timeout,
                                        notebook_timeout=notebook_timeout, resuming=resuming)
        tasks += new_tasks
        finish_unrun(runs[name], out, root=root, db_url=db_url)
    if resuming:
        skipped = sum(len(r.resumed) for r in runs.values())
        print(f"resuming: {skipped} submission(s) already recorded, {len(tasks)} notebook(s) to grade", file=sys.stderr)
    for name in {task.assignment for task in tasks}:
        reference.prefetch(name, root)  # ready when the first notebook comes back, not computed after it
    finished = executor.map(tasks)
    if progress:
        from tqdm import tqdm

        finished = tqdm(finished, total=len(tasks), desc=f"grading {' '.join(names)}", unit="notebook", file=sys.stderr)
    for task, outcome in finished:
        decided = absorb(runs[task.assignment], task, outcome, root)
        record_notebook(runs[task.assignment], task.student, task.notebook, decided, db_url)
        notebook_done(runs[task.assignment], task.student, out, root=root, db_url=db_url)
    results = [r for run in runs.values() for r in run.results.values()]
    if len(names) == 1:
        items = [item.id for item in runs[names[0]].spec.items]
    else:  # item ids repeat across assignments: name the columns assignment:item
        items = [f"{n}:{item.id}" for n in names for item in runs[n].spec.items]
    rows = [r.row(prefix=f"{r.assignment}:" if len(names) > 1 else "") for r in results]
    report.write_csv(out / "grades.csv", rows, items)
    return results


# Failure messages of hidden probes that cannot carry the student's own values (or inputs derived from them).
FIXED_MESSAGES = ("this check could not be evaluated", "not answered yet", "the value is None", "the result is ",
                  "the result has the wrong sign", "no reference value")
HIDDEN_FAILED = N_("wrong on a hidden input drawn at grading time (the reference solution gives a different result)")


def redact_hidden(result: ItemResult, observed: list) -> ItemResult:
    """Hidden probes keep their verdict and fixed diagnoses; nothing that could echo their inputs.

    A hidden probe's expression holds numbers drawn for this student, and a student's code can turn
    those into an exception message, a value, a shape or a class name: none of that reaches the
    feedback. The probe's expression is dropped too.
    """
    for probe, seen in zip(result.probes, observed):
        if not probe.hidden:
            continue
        probe.expr = "hidden"
        if probe.passed or probe.message.startswith(FIXED_MESSAGES):
            continue
        if isinstance(seen, dict) and not seen.get("ok"):
            name = seen.get("error")
            shown = name if isinstance(name, str) and isinstance(getattr(builtins, name, None), type) else fixed("an exception")
            probe.set_text("message", message("evaluating it on a hidden input raised {name}", name=shown))
        else:
            probe.set_text("message", fixed(HIDDEN_FAILED))
    return result


def save_autograded(path: Path, nb_json: str) -> None:
    """Written by this (trusted) process into a folder the student never had access to, with every
    output the student's code made inert (formgrader shows this notebook in the instructor's browser)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()
    path.write_text(inert.inert_notebook_json(nb_json), encoding="utf-8")


def write_feedback(path: Path, result: StudentResult, notebooks: list | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.feedback_html(result, notebooks), encoding="utf-8")


def autograded_notebooks(root: Path, student: str, assignment: str) -> list:
    """(name, notebook) of each executed notebook kept in autograded/, for the feedback page."""
    found = []
    for path in sorted((root / "autograded" / student / assignment).glob("*.ipynb")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            found.append((path.name, nbformat.read(path, as_version=4)))
        except Exception:  # noqa: BLE001 - the summary is still worth writing
            continue
    return found
