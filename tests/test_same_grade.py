"""Same code, same grade: hidden inputs come from the course secret, not from the student or the batch.

Identical partly-wrong notebooks get identical item scores under different student ids, in two
batches and with one or two workers; global settings a student may change (default dtype, the
random seed, print options) change no grade.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import submissions as S
from fairness import grade_variant

from autograder import course
from autograder.grading import secret

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = course.assignments(ROOT)

# Exercise 09 with a log_softmax that overflows on large logits and a gradient not divided by N:
# right on some hidden inputs, wrong on others, so its item scores are fractions.
PARTLY_WRONG = {
    "q1_answer": ("loss_nll = nn.NLLLoss()(F.log_softmax(Z_demo, dim=1), t_demo)\nloss_ce = F.cross_entropy(Z_demo, t_demo)\n"
                  "def log_softmax_stable(z):\n    return z - z.exp().sum(dim=-1, keepdim=True).log()\n"),
    "q2_answer": ("def cross_entropy_by_hand(logits, targets):\n"
                  "    return -log_softmax_stable(logits)[torch.arange(len(targets)), targets].mean()\n"
                  "def ce_grad(logits, targets):\n    return torch.softmax(logits, 1) - F.one_hot(targets, logits.shape[1])"),
}
SETTINGS = {
    "float64 default dtype": "import torch\ntorch.set_default_dtype(torch.float64)",
    "a seeded generator": "import torch\ntorch.manual_seed(123)",
    "print options and other generators": ("import random, numpy, torch\ntorch.set_printoptions(precision=2, sci_mode=True)\n"
                                           "numpy.random.seed(5)\nrandom.seed(3)\ntorch.rand(7)"),
}


def partly_wrong_notebook():
    nb = S.solution("ex09")
    for grade_id, source in PARTLY_WRONG.items():
        nb = S.replace_source(nb, grade_id, source)
    return nb


def with_first_cell(nb, source: str):
    nb = S.edit(nb, lambda n: n.cells.insert(0, S.code(source)))
    return nb


# ------------------------------------------------------------------------------------------------
# In process (fast): the grader's own decision path


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_changed_global_setting_keeps_full_marks(assignment, setting):
    results = grade_variant(assignment, prelude=SETTINGS[setting], seed=2)
    assert {k: r.score for k, r in results.items()} == {k: r.points for k, r in results.items()}, {
        k: [(p.label or p.expr, p.message) for p in r.probes if not p.passed] for k, r in results.items() if not r.passed}


def test_a_probe_sees_the_library_defaults_and_the_students_settings_come_back():
    import json

    import torch

    from autograder import plain

    expected_draw = torch.rand(1, generator=torch.Generator().manual_seed(plain.PROBE_SEED)).item()
    torch.set_default_dtype(torch.float64)
    torch.set_default_device("meta")
    torch.manual_seed(123)
    state = torch.get_rng_state()
    try:
        seen = json.loads(plain.probe(["str(torch.tensor(1.5).dtype)", "torch.zeros(1).device.type", "torch.rand(1).item()"],
                                      {"torch": torch}))
        after = (torch.get_default_dtype(), torch.get_default_device().type, torch.equal(torch.get_rng_state(), state))
    finally:
        torch.set_default_device(None)
        torch.set_default_dtype(torch.float32)
    assert [r["value"] for r in seen] == ["torch.float32", "cpu", expected_draw]
    assert after == (torch.float64, "meta", True)


def test_the_partly_wrong_answer_is_partly_wrong():
    results = grade_variant("ex09", PARTLY_WRONG, seed=2)
    assert 0 < results["q2_cross_entropy"].score < results["q2_cross_entropy"].points


def test_the_course_secret_is_created_once_and_readable_by_its_owner_only(tmp_path):
    first = secret.course_secret(tmp_path)
    assert secret.course_secret(tmp_path) == first and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / secret.FILE).st_mode) == 0o600
    other = tmp_path / "other"
    other.mkdir()
    assert secret.course_secret(other) != first  # another course, another secret


def test_the_course_secret_is_ignored_by_git():
    assert secret.FILE in (ROOT / ".gitignore").read_text().split()


# ------------------------------------------------------------------------------------------------
# End to end, in the sandbox: one batch with three copies, a second batch, one and two workers


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    from test_hostile import course_copy

    from autograder.cli import ensure_registered
    from autograder.course.generate import generate
    from autograder.grading.grade import grade
    from autograder.sandbox import executors

    base = tmp_path_factory.mktemp("same")
    root, db_url = course_copy(base)
    ensure_registered(root, "ex09", db_url, generate)
    subs = base / "subs"
    for student in ("ann", "ben", "cy"):
        S.write(subs, student, partly_wrong_notebook(), "ex09.ipynb")
    S.write(subs, "f64", with_first_cell(S.solution("ex09"), SETTINGS["float64 default dtype"] + "\ntorch.manual_seed(123)"),
            "ex09.ipynb")

    def run(workers: int, out: str):
        try:
            pool = executors.make_executor(workers)
        except SystemExit:
            pool = executors.LocalExecutor(workers)
        results = grade("ex09", subs, base / out, root=root, db_url=db_url, progress=False, executor=pool)
        return {r.student: {i.id: i.score for i in r.items} for r in results}, {r.student: r for r in results}

    return root, base, run(2, "out1"), run(1, "out2")


@pytest.mark.slow
def test_identical_notebooks_get_identical_item_scores_in_a_batch_across_batches_and_workers(batches):
    _, _, (first, results), (second, _) = batches
    assert first["ann"] == first["ben"] == first["cy"]  # one batch, different students
    assert first["ann"] == second["ann"] == second["ben"] == second["cy"]  # another batch, one worker instead of two
    q2 = next(i for i in results["ann"].items if i.id == "q2_cross_entropy")
    assert 0 < q2.score < q2.points  # partly wrong, so the hidden inputs matter


@pytest.mark.slow
def test_float64_and_a_seed_in_the_notebook_keep_full_marks_end_to_end(batches):
    _, _, (_, results), _ = batches
    assert results["f64"].score == results["f64"].max_score


@pytest.mark.slow
def test_the_secret_lives_in_the_course_and_never_reaches_feedback(batches):
    root, base, _, _ = batches
    course_secret = (root / secret.FILE).read_text().strip()
    assert stat.S_IMODE(os.stat(root / secret.FILE).st_mode) == 0o600
    for page in (base / "out1" / "feedback").rglob("*.html"):
        assert course_secret not in page.read_text(encoding="utf-8")
