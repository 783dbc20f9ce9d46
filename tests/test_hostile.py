"""Hostile submissions through the real grading pipeline (sanitize -> kernel -> decide -> gradebook -> CSV).

One batch of hostile students is graded once per module; the tests read its results. Each
hostile notebook is a small edit of the committed ex01 solution or exercise (tests/submissions.py).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import submissions as S

from autograder import spec
from autograder.cli import ensure_registered
from autograder.course.generate import ensure_alembic_on_path, generate
from autograder.grading import reference, secret
from autograder.grading.grade import grade

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::nbformat.warnings.DuplicateCellId")]

ASSIGNMENT = "ex01"
SEED = 20240611
CELL_TIMEOUT = 20  # generous: import torch on a loaded 2-core machine takes several seconds
NOTEBOOK_TIMEOUT = 150  # above the cells' timeouts added up: the per-cell path is tested in the batch
MAX = spec.load(ASSIGNMENT).max_score
POINTS = {item.id: item.points for item in spec.load(ASSIGNMENT).items}
VENV_BIN = Path(sys.executable).parent


def _set(grade_id, **changes):
    def change(nb):
        S.cell(nb, grade_id).metadata.nbgrader.update(changes)
    return change


def _delete(grade_id):
    def change(nb):
        del nb.cells[S.index_of(nb, grade_id)]
    return change


def _move_to_end(grade_id):
    def change(nb):
        nb.cells.append(nb.cells.pop(S.index_of(nb, grade_id)))
    return change


def _duplicate(grade_id):
    def change(nb):
        original = nb.cells[S.index_of(nb, grade_id)]
        nb.cells.insert(S.index_of(nb, "q1_answer"), nbformat.from_dict(original))  # a copy before any answer
        nb.cells.append(nbformat.from_dict(original))  # and one after everything (same cell ids, as a copy-paste gives)
    return change


def _forge(nb):
    forged = S.code('print("q5_bonus passed")')
    forged.metadata["nbgrader"] = {"grade": True, "grade_id": "q5_bonus", "locked": True, "points": 100,
                                   "schema_version": 3, "solution": False, "task": False}
    nb.cells.append(forged)


def _strip_check_metadata(grade_id):
    def change(nb):
        del S.cell(nb, grade_id).metadata["nbgrader"]
    return change


def _all_tampering(nb):
    for change in (_set("q1_tensors", points=100), _set("q2_integer_error", grade=False), _forge, _delete("q4_derivative_at")):
        change(nb)
    S.cell(nb, "q3_backward").source = "print('q3_backward: all tests passed')"


# A plain answer that no float can hold: it used to end the whole batch with an OverflowError.
HUGE_NUMBER = "def derivative_at(f, x0):\n    return 10 ** 400"
# Outputs that would run in the instructor's browser if formgrader rendered them as they are.
ACTIVE_OUTPUT = """\
from IPython.display import HTML, Javascript, SVG, Markdown, display
display(HTML("<script>document.title = 'pwned'</script><img src=x onerror=\\"document.title = 'pwned'\\">"))
display(Javascript("document.title = 'pwned'"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'))
display(Markdown("[click](javascript:alert(1))"))
print("plain text stays")
"""
ACTIVE_MARKDOWN = "<script>document.title = 'pwned'</script> [click](javascript:alert(1))"


# Attacks on the students graded after this one on the same warm worker, and on the worker itself.
PLANT_STARTUP = """\
import os
# IPython runs every file in its profile's startup folder: make later kernels turn each cell into `pass`,
# and make the folders read-only so that a reset running as this uid cannot delete them.
folder = "/tmp/.ipython/profile_default/startup"
os.makedirs(folder, exist_ok=True)
with open(folder + "/00-later-students.py", "w") as f:
    f.write("get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\\n")
for path in (folder, "/tmp/.ipython/profile_default", "/tmp/.ipython"):
    os.chmod(path, 0o555)
for home_file in (".bashrc", ".pythonrc", "sitecustomize.py"):
    with open(os.path.join(os.path.expanduser("~"), home_file), "w") as f:
        f.write("raise SystemExit('planted')\\n")
"""
BUSY_PROCESSES = """\
import subprocess, sys
# Busy processes in their own sessions, left running when the notebook ends.
for _ in range(24):
    subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
"""
BIG_PRINT = "print('x' * 200_000_000)"
LINK_FLOOD = """\
import glob, os
for folder in glob.glob("/run/autograder/*") + glob.glob("/run/autograder"):
    try:
        with open(os.path.join(folder, "flood"), "wb") as f:
            for _ in range(256):
                f.write(b"x" * (1 << 20))
    except OSError:
        pass
"""
HIDDEN_MARKER_BOMB = "### BEGIN HIDDEN TESTS\n" * 30_000
HONEST_COPIES = [f"honest_{n}" for n in range(2, 6)]  # graded among the attacks, on the same workers


def _with_markdown(nb, source):
    nb.cells.append(nbformat.v4.new_markdown_cell(source))
    return nb


def hostile_notebooks() -> dict:
    """student id -> notebook (or a str marker for file-level tricks)."""
    sol, blank = S.solution(), S.blank()
    return {
        "honest": sol,
        **{student: S.solution() for student in HONEST_COPIES},
        "plants_startup": S.insert_after(blank, "setup", PLANT_STARTUP),
        "busy_processes": S.insert_after(S.blank(), "setup", BUSY_PROCESSES),
        "big_print": S.insert_after(S.solution(), "setup", BIG_PRINT),
        "link_flood": S.insert_after(S.blank(), "setup", LINK_FLOOD),
        "marker_bomb": S.replace_source(S.solution(), "q3_backward", HIDDEN_MARKER_BOMB),
        "blank": blank,
        "interceptor": S.insert_after(blank, "setup", S.INTERCEPTOR),
        "interceptor_late": S.insert_after(sol, "q3_backward", S.INTERCEPTOR),
        "patched_compare": S.insert_after(blank, "setup", S.PATCH_COMPARISONS),
        "always_equal": S.insert_after(blank, "setup", S.ALWAYS_EQUAL),
        "fake_output": S.insert_after(blank, "setup", S.FAKE_OUTPUT),
        "path_tricks": S.insert_after(blank, "setup", S.PATH_TRICKS),
        "search_gradebook": S.insert_after(blank, "setup", S.SEARCH_GRADEBOOK),
        "exits": S.insert_after(sol, "q1_tensors", S.EXIT),
        "swallows_interrupt": S.insert_after(sol, "q1_tensors", S.SWALLOW_INTERRUPT),
        "noisy": S.insert_after(sol, "setup", S.NOISY),
        "huge_number": S.replace_source(sol, "q4_answer", HUGE_NUMBER),
        "active_output": _with_markdown(S.insert_after(sol, "setup", ACTIVE_OUTPUT), ACTIVE_MARKDOWN),
        "leak_error": S.replace_source(sol, "q4_answer", S.LEAK_BY_ERROR),
        "leak_value": S.replace_source(sol, "q4_answer", S.LEAK_BY_VALUE),
        "check_pass": S.replace_source(sol, "q1_tensors", "pass"),
        "check_prints": S.replace_source(sol, "q3_backward", "print('q3_backward: all tests passed, 2/2')"),
        "check_deleted": S.edit(sol, _delete("q4_derivative_at")),
        "check_reordered": S.edit(sol, _move_to_end("q1_tensors")),
        "check_duplicated": S.edit(sol, _duplicate("q3_backward")),
        "check_forged": S.edit(sol, _forge),
        "check_points": S.edit(sol, _set("q1_tensors", points=100)),
        "check_unflagged": S.edit(sol, _set("q2_integer_error", grade=False)),
        "check_no_metadata": S.edit(sol, _strip_check_metadata("q3_backward")),
        "check_all_blank": S.edit(blank, _all_tampering),
        "symlinked": "symlink",
        "bad_json": "bad-json",
        "absent": "missing",
    }


TAMPERED = ["check_pass", "check_prints", "check_deleted", "check_reordered", "check_duplicated", "check_forged",
            "check_points", "check_unflagged", "check_no_metadata"]


def build(folder: Path, notebooks: dict, outside: Path) -> None:
    for student, nb in notebooks.items():
        if nb == "symlink":
            target = outside / "symlink-target.ipynb"
            nbformat.write(S.solution(), target)
            (folder / student).mkdir(parents=True)
            (folder / student / "ex01.ipynb").symlink_to(target)
        elif nb == "bad-json":
            (folder / student).mkdir(parents=True)
            (folder / student / "ex01.ipynb").write_text('{"cells": [ {"cell_type": "code", "source": "1+', encoding="utf-8")
        elif nb == "missing":
            (folder / student).mkdir(parents=True)
            (folder / student / "notes.txt").write_text("forgot to upload", encoding="utf-8")
        else:
            S.write(folder, student, nb)


def executor():
    """What ``autograder grade`` uses (the sandboxed warm pool); unsandboxed only where that cannot run."""
    from autograder.sandbox import executors

    try:
        return executors.make_executor(None), True
    except (SystemExit, AttributeError):
        return executors.LocalExecutor(), False


def course_copy(base: Path) -> tuple[Path, str]:
    root = S.copy_course(base / "course")
    db_url = f"sqlite:///{base / 'gb.db'}"
    ensure_alembic_on_path()
    ensure_registered(root, ASSIGNMENT, db_url, generate)
    return root, db_url


@pytest.fixture(scope="module")
def spare_course(tmp_path_factory):
    """A second registered course copy for the small one-off gradings below."""
    return course_copy(tmp_path_factory.mktemp("spare"))


class LogLines(logging.Handler):
    """The grader's log lines, kept for the tests to read."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    root, db_url = course_copy(base)
    subs, out = base / "submitted", base / "out"
    notebooks = hostile_notebooks()
    build(subs, notebooks, base)
    target_before = (base / "symlink-target.ipynb").read_bytes()
    started = time.perf_counter()
    pool, sandboxed = executor()
    log = LogLines()
    logging.getLogger("autograder").addHandler(log)
    try:
        results = grade(ASSIGNMENT, subs, out, root=root, db_url=db_url, seed=SEED, progress=False, executor=pool,
                        cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT)
    finally:
        logging.getLogger("autograder").removeHandler(log)
    seconds = time.perf_counter() - started
    return {"base": base, "root": root, "db_url": db_url, "subs": subs, "out": out, "seconds": seconds, "sandboxed": sandboxed,
            "results": {r.student: r for r in results}, "target_before": target_before, "log": log.lines,
            "csv": {row["student_id"]: row for row in csv.DictReader(open(out / "grades.csv", encoding="utf-8"))}}


def result(batch, student):
    return batch["results"][student]


def score(batch, student):
    return result(batch, student).score


def feedback(batch, student) -> str:
    return (batch["out"] / "feedback" / student / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")


def autograded_outputs(batch, student) -> str:
    path = batch["root"] / "autograded" / student / ASSIGNMENT / "ex01.ipynb"
    nb = nbformat.read(path, as_version=4)
    return "\n".join(str(o.get("text", "")) + str(o.get("data", "")) for c in nb.cells for o in c.get("outputs", []))


# ------------------------------------------------------------------------------------------------
# The batch itself


def test_every_student_has_a_row_and_the_batch_completed(batch):
    assert set(batch["csv"]) == set(hostile_notebooks())
    for row in batch["csv"].values():
        assert float(row["max_score"]) == MAX, row


def test_honest_student_gets_full_marks(batch):
    r = result(batch, "honest")
    assert (r.status, r.score, r.notes) == ("ok", MAX, [])


def test_honest_students_keep_full_marks_whatever_ran_before_them(batch):
    # Planted start-up files, busy processes, a flooded link folder and a huge print ran in the same batch,
    # on the same warm workers: none of it reaches the honest copies graded around them.
    for student in ["honest", *HONEST_COPIES]:
        r = result(batch, student)
        assert (r.status, r.score, r.notes) == ("ok", MAX, []), (student, r.detail)


def test_a_huge_print_keeps_its_answers(batch):
    r = result(batch, "big_print")
    assert (r.status, r.score) == ("ok", MAX), r.detail


def test_attackers_of_the_worker_gain_nothing(batch):
    for student in ["plants_startup", "busy_processes", "link_flood"]:
        assert result(batch, student).score == 0.0, student


def test_hidden_marker_bomb_is_repaired_quickly_and_reported(batch):
    r = result(batch, "marker_bomb")
    assert r.score == MAX and r.notes, (r.status, r.detail)


def test_blank_student_gets_zero(batch):
    r = result(batch, "blank")
    assert (r.status, r.score, r.notes) == ("ok", 0.0, [])  # a released notebook as is: nothing to report


# ------------------------------------------------------------------------------------------------
# In-kernel tricks: nothing the kernel does can raise its own score


@pytest.mark.parametrize("student", ["interceptor", "patched_compare", "always_equal", "fake_output", "path_tricks"])
def test_no_work_plus_a_trick_scores_zero(batch, student):
    assert score(batch, student) == 0.0, result(batch, student).items


def test_late_interceptor_keeps_only_earlier_answers(batch):
    # Answers before the interceptor count; the answer it turned into `pass` does not, and no check passes by itself.
    r = result(batch, "interceptor_late")
    by_id = {i.id: i.score for i in r.items}
    ids = [item.id for item in spec.load(ASSIGNMENT).items]
    after = ids[ids.index("q3_backward") + 1:]  # every answer below the interceptor
    assert [by_id[i] for i in after] == [0.0] * len(after)
    assert r.score == pytest.approx(sum(POINTS[i] for i in ids if i not in after))


def test_printed_grader_output_is_not_read(batch):
    assert "passed" in autograded_outputs(batch, "fake_output")  # it did print
    assert score(batch, "fake_output") == 0.0


def test_relative_paths_do_not_reach_the_gradebook(batch):
    text = autograded_outputs(batch, "path_tricks")
    assert "READ" not in text and "WROTE" not in text, text


def test_gradebook_not_readable_by_absolute_path(batch):
    text = autograded_outputs(batch, "search_gradebook")
    assert "searched" in text  # the search ran
    # Only the (read-only, public) files of the Python environment may be found, wherever it lives.
    read = [line.split(" ", 1)[1] for line in text.splitlines() if line.startswith("READ ")]
    outside = [path for path in read if not path.startswith((sys.prefix + "/", sys.base_prefix + "/"))]
    if outside and not batch["sandboxed"]:
        pytest.xfail(f"no filesystem sandbox here: a kernel can read any gradebook by absolute path ({outside[:3]})")
    assert outside == []


def test_gradebook_was_not_modified_by_students(batch):
    from nbgrader.api import Gradebook

    with Gradebook(batch["db_url"]) as gb:
        cells = gb.find_notebook("ex01", ASSIGNMENT).grade_cells
        assert sum(c.max_score for c in cells) == MAX
        assert gb.find_submission_notebook("ex01", ASSIGNMENT, "blank").score == 0.0


def test_os_exit_is_a_crash_and_says_so(batch):
    r = result(batch, "exits")
    assert r.status == "crashed" and "kernel died" in r.detail
    by_id = {i.id: i.score for i in r.items}
    assert by_id["q1_tensors"] == POINTS["q1_tensors"]  # answered before the exit
    assert by_id["q4_derivative_at"] == 0.0


def test_swallowed_interrupt_is_a_timeout(batch):
    r = result(batch, "swallows_interrupt")
    assert r.status == "timeout", (r.status, r.detail)
    assert {i.id: i.score for i in r.items}["q1_tensors"] == POINTS["q1_tensors"]


def test_notebook_timeout_is_a_timeout_not_a_crash(spare_course, tmp_path):
    root, db_url = spare_course
    S.write(tmp_path / "subs", "stuck", S.insert_after(S.solution(), "q1_tensors", S.SWALLOW_INTERRUPT))
    (r,) = grade(ASSIGNMENT, tmp_path / "subs", tmp_path / "out", root=root, db_url=db_url, seed=SEED, progress=False,
                 cell_timeout=60, notebook_timeout=20, executor=executor()[0])
    # (A notebook deadline used to show as "crashed": asyncio.wait_for cancelled nbclient's execute_cell,
    # which turns any CancelledError into DeadKernelError.)
    assert r.status == "timeout" and "longer than 20 s" in r.detail, (r.status, r.detail)
    assert {i.id: i.score for i in r.items}["q1_tensors"] == POINTS["q1_tensors"]


def test_warnings_and_anomaly_mode_do_not_cost_points(batch):
    r = result(batch, "noisy")
    assert (r.status, r.score) == ("ok", MAX), r.items


# ------------------------------------------------------------------------------------------------
# Tampering with check cells: repaired, reported, graded on the answers only


@pytest.mark.parametrize("student", TAMPERED)
def test_tampered_check_cells_are_repaired_and_reported(batch, student):
    r = result(batch, student)
    assert r.status == "ok", (r.status, r.detail)
    assert r.score == MAX, [(i.id, i.score) for i in r.items]
    assert r.max_score == MAX and float(batch["csv"][student]["max_score"]) == MAX
    assert r.notes, "tampering must be reported"
    html = feedback(batch, student)
    assert all(note.replace("'", "&#x27;") in html for note in r.notes)
    assert batch["csv"][student]["notes"], "tampering must show in the grade file too"


def test_tampering_on_a_blank_notebook_gains_nothing(batch):
    r = result(batch, "check_all_blank")
    assert (r.score, r.max_score) == (0.0, MAX)
    assert len(r.notes) >= 4


def test_gradebook_keeps_the_released_points(batch):
    from nbgrader.api import Gradebook

    with Gradebook(batch["db_url"]) as gb:
        for student in TAMPERED + ["check_all_blank"]:
            nb = gb.find_submission_notebook("ex01", ASSIGNMENT, student)
            assert nb.max_score == MAX, student
            assert {g.name for g in nb.grades} == {i.id for i in spec.load(ASSIGNMENT).items}, student
            assert nb.score == score(batch, student)


# ------------------------------------------------------------------------------------------------
# File-level tricks


def test_symlinked_notebook_is_invalid_and_nothing_is_written_through_it(batch):
    r = result(batch, "symlinked")
    assert r.status == "invalid" and "symlink" in r.detail
    assert (batch["base"] / "symlink-target.ipynb").read_bytes() == batch["target_before"]
    assert not list((batch["root"] / "autograded" / "symlinked").glob("**/*.ipynb"))


def test_invalid_json_is_invalid(batch):
    r = result(batch, "bad_json")
    assert r.status == "invalid" and "not a readable notebook" in r.detail


def test_missing_notebook_is_missing(batch):
    r = result(batch, "absent")
    assert r.status == "missing" and "ex01.ipynb" in r.detail


def test_a_number_no_float_holds_fails_its_probes_only_and_names_the_student(batch):
    r = result(batch, "huge_number")
    assert r.status == "ok", (r.status, r.detail)
    by_id = {i.id: i.score for i in r.items}
    assert by_id["q4_derivative_at"] < spec.load(ASSIGNMENT).item("q4_derivative_at").points
    assert r.score == pytest.approx(MAX - spec.load(ASSIGNMENT).item("q4_derivative_at").points + by_id["q4_derivative_at"])
    assert batch["csv"]["huge_number"]["status"] == "ok"
    assert any("huge_number/ex01/ex01.ipynb" in line and "too large for a float" in line for line in batch["log"]), batch["log"]


def test_active_outputs_reach_autograded_inert_and_the_grade_is_kept(batch):
    r = result(batch, "active_output")
    assert (r.status, r.score) == ("ok", MAX), r.items
    path = batch["root"] / "autograded" / "active_output" / ASSIGNMENT / "ex01.ipynb"
    nb = nbformat.read(path, as_version=4)
    mimes = {m for c in nb.cells for o in c.get("outputs", []) for m in o.get("data", {})}
    assert mimes <= {"text/plain", "image/png", "image/jpeg", "image/gif", "image/svg+xml"}, mimes
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    for active in ("<script", "onerror", "onload", "javascript:"):
        assert active not in outputs, active
    from nbconvert.filters.markdown_mistune import markdown2html_mistune  # what formgrader's pages use

    page = markdown2html_mistune(nb.cells[-1].source)
    assert "<script" not in page and 'href="javascript:' not in page, page
    assert "plain text stays" in autograded_outputs(batch, "active_output")


def test_a_failed_notebook_never_shows_a_silent_zero(batch):
    for student, row in batch["csv"].items():
        if row["status"] != "ok":
            assert row["detail"], f"{student}: status {row['status']} without a reason"
    statuses = Counter(row["status"] for row in batch["csv"].values())
    assert {"crashed", "timeout", "invalid", "missing"} <= set(statuses), statuses


def test_symlinked_student_folder_is_graded_as_invalid(spare_course, tmp_path):
    root, db_url = spare_course
    elsewhere = tmp_path / "elsewhere"
    S.write(elsewhere, "real", S.solution())
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "linked").symlink_to(elsewhere / "real")
    (r,) = grade(ASSIGNMENT, subs, tmp_path / "out", root=root, db_url=db_url, seed=SEED, progress=False)
    assert (r.student, r.status) == ("linked", "invalid") and "symlink" in r.detail


# ------------------------------------------------------------------------------------------------
# Feedback never shows hidden checks


def drawn_inputs(student: str) -> list[str]:
    texts = []
    for item in spec.load(ASSIGNMENT).items:
        for probe in item.probes:
            if probe.draw is None:
                continue
            drawn = probe.draw(spec.probe_rng(secret.for_seed(SEED), ASSIGNMENT, item.id, probe.expr))
            for values in drawn if isinstance(drawn, list) else [drawn]:
                values = {k: v for k, v in values.items() if k != "_label"}
                texts.append(probe.expr.format(**values))
                texts += [repr(v) for v in values.values() if isinstance(v, float)]
                (expected,) = reference.evaluate(ASSIGNMENT, S.ROOT, [probe.expr.format(**values)])
                texts += [f"{expected['value']:.6g}", f"{expected['value']:.4f}"]  # the reference's answer, as feedback would show it
    return texts


def hidden_templates() -> list[str]:
    """The distinctive pieces of each hidden probe's template (not shared with a visible probe)."""
    probes = [p for item in spec.load(ASSIGNMENT).items for p in item.probes]
    visible = " ".join(p.expr for p in probes if not p.hidden)
    return [part for p in probes if p.hidden for part in re.split(r"\{\w+\}", p.expr)
            if len(part.strip()) >= 4 and part not in visible]


@pytest.mark.parametrize("student", ["honest", "blank", "leak_error", "leak_value", "always_equal", "check_all_blank"])
def test_feedback_shows_no_hidden_probe_or_input(batch, student):
    html = feedback(batch, student)
    assert "hidden check" in html
    for text in hidden_templates() + drawn_inputs(student):
        assert text not in html, (student, text)


def test_leaking_students_do_not_pass_hidden_checks(batch):
    for student in ("leak_error", "leak_value"):
        q4 = {i.id: i for i in result(batch, student).items}["q4_derivative_at"]
        assert not any(p.passed for p in q4.probes if p.hidden)


# ------------------------------------------------------------------------------------------------
# Isolation and the gradebook


def test_hostile_batch_does_not_change_an_honest_grade(batch, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'gb.db'}"
    ensure_registered(batch["root"], ASSIGNMENT, db_url, generate)
    alone = grade(ASSIGNMENT, batch["subs"], tmp_path / "out", root=batch["root"], db_url=db_url,
                  students=["honest", "blank"], seed=SEED, progress=False, cell_timeout=CELL_TIMEOUT, executor=executor()[0],
                  notebook_timeout=NOTEBOOK_TIMEOUT)
    for r in alone:
        in_batch = result(batch, r.student)
        assert (r.status, r.score) == (in_batch.status, in_batch.score)
        assert [(i.id, i.score) for i in r.items] == [(i.id, i.score) for i in in_batch.items]


def gradebook_state(db_url: str) -> dict:
    """student -> (score, max_score) from nbgrader's tables; asserts there are no duplicate rows."""
    from nbgrader.api import Grade, Gradebook, SubmittedAssignment, SubmittedNotebook

    with Gradebook(db_url) as gb:
        db = gb.db
        assignments = Counter((s.student_id, s.assignment.name) for s in db.query(SubmittedAssignment))
        notebooks = Counter((n.assignment.student_id, n.name) for n in db.query(SubmittedNotebook))
        grades = Counter((g.notebook.assignment.student_id, g.notebook.name, g.name) for g in db.query(Grade))
        for counter in (assignments, notebooks, grades):
            assert max(counter.values(), default=1) == 1, [k for k, n in counter.items() if n > 1]
        return {s.student_id: (s.score, s.max_score) for s in db.query(SubmittedAssignment)}


def test_gradebook_has_no_duplicates_and_matches_the_csv(batch):
    state = gradebook_state(batch["db_url"])
    for student, row in batch["csv"].items():
        if row["status"] in ("missing", "invalid"):  # nothing ran: no (stale) grades in the gradebook
            assert student not in state
            continue
        assert state[student] == (pytest.approx(float(row["score"])), MAX), student


def run_cli(subs: Path, out: Path, root: Path, db_url: str, **popen):
    env = {**os.environ, "AUTOGRADER_COURSE_ROOT": str(root), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    cmd = [str(VENV_BIN / "autograder"), "grade", ASSIGNMENT, "--submissions", str(subs), "--out", str(out),
           "--db-url", db_url, "--seed", str(SEED), "--no-progress", "--workers", "1",
           "--cell-timeout", str(CELL_TIMEOUT), "--timeout", str(NOTEBOOK_TIMEOUT)]
    return subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **popen)


def test_killed_and_rerun_gives_the_same_grades_without_duplicates(tmp_path):
    root, db_url = course_copy(tmp_path)
    subs = tmp_path / "subs"
    sol, blank = S.solution(), S.blank()
    for student, nb in {"a_honest": sol, "b_blank": blank, "c_tampered": S.edit(sol, _forge),
                        "d_partial": S.replace_source(sol, "q4_answer", "def derivative_at(f, x0):\n    return 1.0")}.items():
        S.write(subs, student, nb)
    out = tmp_path / "out"

    first = run_cli(subs, out, root, db_url)
    deadline = time.monotonic() + 180
    while not any((root / "autograded").glob("*/ex01/ex01.ipynb")) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.poll() is None, "the first run ended before it could be killed: " + first.stdout.read()
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()

    runs = []
    for _ in range(2):
        proc = run_cli(subs, out, root, db_url)
        log, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, log
        rows = {r["student_id"]: (r["status"], float(r["score"])) for r in csv.DictReader(open(out / "grades.csv"))}
        runs.append((rows, gradebook_state(db_url)))
    assert runs[0] == runs[1]
    rows, state = runs[1]
    assert (rows["a_honest"], rows["b_blank"], rows["c_tampered"]) == (("ok", MAX), ("ok", 0.0), ("ok", MAX))
    assert rows["d_partial"][0] == "ok" and 0 < rows["d_partial"][1] < MAX
    assert {s: v[0] for s, v in state.items()} == {s: v[1] for s, v in rows.items()}


@pytest.mark.parametrize("metadata", ["oops", ["x"], {"grade_id": ["a", "list"]}, None, {"grade_id": "q1_tensors"}])
def test_malformed_grading_metadata_is_repaired_not_fatal(spare_course, metadata):
    from autograder.grading.sanitize import sanitize

    _, db_url = spare_course
    nb = S.edit(S.solution(), lambda nb: S.cell(nb, "q1_tensors").metadata.__setitem__("nbgrader", metadata))
    repaired, notes = sanitize(nbformat.writes(nb), db_url=db_url, assignment=ASSIGNMENT, notebook="ex01", student="x")
    assert notes
    checks = [c.metadata["nbgrader"]["grade_id"] for c in repaired.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks == [i.id for i in spec.load(ASSIGNMENT).items]


@pytest.mark.parametrize("text", ["[]", "null", '{"nbformat": 4}', '{"cells": [1, 2], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'])
def test_json_that_is_not_a_notebook_is_invalid(spare_course, tmp_path, text):
    root, db_url = spare_course
    (tmp_path / "subs" / "odd").mkdir(parents=True)
    (tmp_path / "subs" / "odd" / "ex01.ipynb").write_text(text, encoding="utf-8")
    (r,) = grade(ASSIGNMENT, tmp_path / "subs", tmp_path / "out", root=root, db_url=db_url, seed=SEED, progress=False)
    assert r.status == "invalid" and r.detail
