"""Feedback names a cause only when the evidence shows it, and says what differs in words a student can act on."""

import pathlib
import sys

import pytest

from autograder import spec
from autograder.decide import decide_probe
from autograder.spec import Close, Probe

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # so that `tests.mistakes` imports

from tests.mistakes import corpus  # noqa: E402

MINE = ["ex01", "ex02", "ex03", "ex04", "ex05"]


def told(probe, value):
    result = decide_probe(probe, {"ok": True, "value": value}, None)
    assert not result.passed
    return f"{result.message} {result.hint}"


def tensor(value, dtype):
    return {"type": "tensor", "dtype": dtype, "shape": [], "device": "cpu", "requires_grad": False, "is_leaf": True,
            "grad_fn": None, "values": value}


def test_a_doubled_gradient_names_accumulation():
    assert "accumulate" in told(Probe("x.grad", Close(8.0)), 16.0)


@pytest.mark.parametrize("expr", ["central_difference(f, x, 0.1)", "loss.item()", "y.grad_fn is None"])
def test_a_doubled_value_that_is_no_grad_does_not_blame_backward(expr):
    # A missing 1/N, a factor 2 or a division by h instead of 2h leave the same trace as accumulation.
    text = told(Probe(expr, Close(8.0)), 16.0)
    assert "2x" in text
    assert "accumulat" not in text and "backward" not in text


def test_a_tripled_gradient_says_how_often_backward_probably_ran():
    assert "3 times" in told(Probe("w.grad", Close(1.5)), 4.5)


def test_a_none_does_not_claim_that_backward_was_never_called():
    text = told(Probe("x.grad", Close(8.0)), None)
    assert "None" in text and "never called" not in text


def test_numbers_that_differ_only_in_late_digits_are_printed_apart_and_the_dtype_is_named():
    # float32's nearest value to 6.1 prints as 6.1 with 6 digits: "expected 6.1, got 6.1" explains nothing.
    text = told(Probe("forward_difference(f, x, 0.1)", Close(6.1, rtol=1e-9, atol=1e-9)), tensor(6.099999904632568, "float32"))
    expected, got = text.split("expected ", 1)[1].split(", got ", 1)
    assert expected.split()[0] != got.split()[0]
    assert "float32" in text


def test_a_different_dtype_from_the_reference_is_named():
    probe = Probe("f(x)", spec.Reference(rtol=1e-9, atol=0), hidden=True)
    result = decide_probe(probe, {"ok": True, "value": tensor(0.30000001192092896, "float32")},
                          {"ok": True, "value": tensor(0.3, "float64")})
    assert "float32" in result.message and "float64" in result.message


def error(name, message):
    probe = Probe("answer", Close(1.0))
    return decide_probe(probe, {"ok": False, "error": name, "message": message}, None).message


def test_an_exception_name_deleted_by_except_as_is_explained():
    assert "deletes int_error" in error("NameError", "name 'int_error' is not defined")
    assert "deletes" not in error("NameError", "name 'Vt' is not defined")


def test_differentiating_twice_without_create_graph_mentions_create_graph():
    text = error("RuntimeError", "element 0 of tensors does not require grad and does not have a grad_fn")
    assert "create_graph=True" in text and "retain_graph" in text


def test_a_second_backward_mentions_retain_graph():
    assert "retain_graph=True" in error("RuntimeError", "Trying to backward through the graph a second time (or directly access saved tensors ...)")


@pytest.mark.parametrize("assignment", MINE)
def test_every_probe_has_a_human_label(assignment):
    the_spec = spec.load(assignment)
    for item in the_spec.items:
        for probe in spec.item_probes(assignment, item, "a secret"):
            assert probe.label and "lambda" not in probe.label, f"{item.id}: {probe.expr}"


@pytest.mark.parametrize("assignment", MINE)
def test_every_item_has_named_mistakes_in_the_corpus(assignment):
    mistakes = corpus()[assignment]
    assert len(mistakes) >= 8
    assert {m.item for m in mistakes} == {item.id for item in spec.load(assignment).items}
