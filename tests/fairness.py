"""Grade variants of a solution notebook in-process, through the grader's own decision path.

A variant replaces the code of some answer cells (by nbgrader grade_id). Cells run in order in
a fresh namespace; at each check cell the item's probes (visible and hidden, hidden ones filled
from ``seed`` exactly as the grader fills them from the course secret) are evaluated there, turned into plain data and decided exactly as the grader does.
The kernel transport is covered by the end-to-end tests; this keeps hundreds of variants fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path

import nbformat

from autograder import plain, spec
from autograder.decide import ItemResult, decide_item
from autograder.grading import execute, reference, secret

ROOT = Path(__file__).resolve().parents[1]
HARNESS = "_autograder_inprocess"  # the probe harness's name in the namespace, as in the kernel


def grade_variant(assignment: str, replacements: dict[str, str] | None = None, seed: int = 0,
                  prelude: str = "", blank: bool = False) -> dict[str, ItemResult]:
    """``prelude`` runs before the notebook's first cell; ``blank`` starts from the released
    (student) notebook instead of the solution."""
    replacements = dict(replacements or {})
    the_spec = spec.load(assignment)
    plan = spec.hidden_plan(the_spec, secret.for_seed(seed))
    ns: dict = {"__name__": "__main__", HARNESS: {}}
    exec(execute.HARNESS_SOURCE, ns[HARNESS])  # noqa: S102 - as the grader defines it in the kernel, before any cell
    with plain.FixedDefaults():  # whatever the variant changes globally is undone for the next one
        return _grade_cells(assignment, the_spec, plan, replacements, prelude, blank, ns)


def _grade_cells(assignment, the_spec, plan, replacements, prelude, blank, ns) -> dict[str, ItemResult]:
    results: dict[str, ItemResult] = {}
    if prelude:
        run_cell(prelude, "<prelude>", ns)
    for path in sorted((ROOT / ("exercises" if blank else "solutions") / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if reference.is_check_cell(cell):
                item = the_spec.item(grade_id)
                probes = plan[item.id]
                observed = json.loads(eval(f"{HARNESS}['probe']({[p.expr for p in probes]!r}, globals())", ns))  # noqa: S307
                refs = reference.expected_values(assignment, ROOT, probes)
                results[item.id] = decide_item(item, probes, observed, refs)
                continue
            run_cell(replacements.pop(grade_id, cell.source), f"<{grade_id or 'cell'}>", ns)
    assert not replacements, f"unknown answer cells: {sorted(replacements)}"
    return results


def run_cell(source: str, name: str, ns: dict) -> None:
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(compile(source, name, "exec"), ns)  # noqa: S102
        except Exception:  # noqa: BLE001 - a broken answer is graded, not fatal
            pass


def messages(result: ItemResult) -> str:
    """Everything the student is told about an item, for asserting on hints."""
    return "\n".join(f"{p.message} {p.hint}" for p in result.probes if not p.passed)


def corpus_tests(assignment: str, correct: dict, wrong: dict, seed: int):
    """The two tests every exercise's corpus gets.

    ``correct``: name -> replacements that must keep full marks; ``wrong``: name ->
    (replacements, item id, text its feedback must contain) for answers that must lose the item.
    """
    import pytest

    @pytest.mark.parametrize("name", correct)
    def test_alternative_correct_answers_keep_full_marks(name):
        results = grade_variant(assignment, correct[name], seed=seed)
        assert {k: r.score for k, r in results.items()} == {k: r.points for k, r in results.items()}

    @pytest.mark.parametrize("name", wrong)
    def test_wrong_answers_lose_the_item_with_a_named_hint(name):
        replacements, item, hint = wrong[name]
        result = grade_variant(assignment, replacements, seed=seed)[item]
        assert result.score < result.points
        assert hint in messages(result)

    return test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint
