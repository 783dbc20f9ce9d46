"""The in-notebook check(): instant feedback from the same decision code the grader uses."""

import json

import pytest
import torch

from autograder import plain
from autograder.checks import Checker, CheckFailed


def test_check_passes_on_a_correct_namespace():
    x = torch.tensor(2.0, requires_grad=True)
    y = x**2 + 4 * x + 3
    y.backward()
    assert Checker("ex01")("q3_backward", namespace={"x": x, "y": y}) is None  # a check cell shows feedback only
    result = Checker("ex01").run("q3_backward", {"x": x, "y": y})
    assert result.passed and result.score == result.points


def test_check_fails_with_a_readable_hint_and_no_traceback():
    x = torch.tensor(2.0, requires_grad=True)
    y = x**2 + 4 * x + 3
    y.backward(retain_graph=True)
    y.backward()
    with pytest.raises(CheckFailed) as caught:
        Checker("ex01")("q3_backward", namespace={"x": x, "y": y})
    text = "\n".join(caught.value._render_traceback_())
    assert "backward() ran twice" in text and "Traceback" not in text
    assert isinstance(caught.value, AssertionError)  # stock nbgrader scores it as failed


def test_unknown_item_and_assignment_are_clear_errors():
    with pytest.raises(KeyError, match="has no item"):
        Checker("ex01")("q99", namespace={})
    with pytest.raises(LookupError, match="no checks are defined"):
        Checker("ex99")


def test_plain_never_keeps_objects_or_trusts_their_methods():
    class Liar:
        def __eq__(self, other):
            return True

        def __float__(self):
            return 8.0

    assert plain.to_plain(Liar()) == {"type": "object", "class": "Liar"}
    assert plain.to_plain(torch.tensor([1.5, float("nan")]))["values"] == [1.5, "nan"]
    assert plain.to_plain(True) is True and plain.to_plain(3) == 3


def test_probe_reports_errors_as_data():
    import json

    results = json.loads(plain.probe(["1/0", "undefined_name", "2**10"], {}))
    assert results[0] == {"ok": False, "error": "ZeroDivisionError", "message": "division by zero"}
    assert results[1]["error"] == "NameError"
    assert results[2] == {"ok": True, "value": 1024}


@pytest.mark.parametrize("assignment", ["ex01", "ex09"])
def test_hidden_checks_in_the_notebook_pass_for_the_solution(assignment):
    # What stock nbgrader runs in a solution's check cells: hidden probes on fresh inputs, against the reference.
    from pathlib import Path

    from autograder import spec
    from autograder.grading import reference

    solution = reference.namespace(assignment, str(Path(__file__).resolve().parents[1]))
    checker = Checker(assignment)
    for item in spec.load(assignment).items:
        result = checker.run(item.id, dict(solution), hidden=True)
        assert result.passed, (item.id, [p.message for p in result.probes if not p.passed])


@pytest.mark.parametrize("assignment", ["ex07", "ex08", "ex09", "ex10"])
def test_visible_checks_need_no_solutions_folder(assignment, monkeypatch):
    # A notebook opened alone (Colab): visible checks compared with the reference read its stored values.
    from pathlib import Path

    from autograder import course, spec
    from autograder.grading import reference

    solution = reference.namespace(assignment, str(Path(__file__).resolve().parents[1]))
    monkeypatch.setattr(course, "find_root", lambda *a, **k: None)
    monkeypatch.setattr(reference, "namespace", lambda *a, **k: pytest.fail("check() ran the solution"))
    checker = Checker(assignment)
    for item in spec.load(assignment).items:
        result = checker.run(item.id, dict(solution))
        assert result.passed, (item.id, [p.message for p in result.probes if not p.passed])


def test_stored_public_values_are_what_the_solution_gives():
    from pathlib import Path

    from autograder import spec
    from autograder.grading import reference

    stored = json.loads(reference.PUBLIC_VALUES.read_text(encoding="utf-8"))
    fresh = reference.compute_public_values(Path(__file__).resolve().parents[1])
    assert stored.keys() == fresh.keys(), "run `autograder generate` to refresh autograder/specs/public_values.json"
    for assignment, values in fresh.items():
        assert stored[assignment].keys() == values.keys(), assignment
        for probe in reference.public_probes(spec.load(assignment)):
            # within the probe's own tolerance: the last digits may differ between CPUs
            assert probe.expect.explain(stored[assignment][probe.expr]["value"], values[probe.expr]["value"]) is None, probe.expr
