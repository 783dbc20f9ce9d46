"""Decide what each item is worth, from plain data, in the grader's own process."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from autograder import i18n
from autograder.grading.untrusted import INVALID
from autograder.i18n import N_, as_message, fixed, message
from autograder.spec import Item, Probe, generic_hint, scoring_weights


@dataclass
class ProbeResult:
    """One probe's verdict. ``message``, ``hint`` and ``label`` are English (what the CSV, the gradebook
    and stored results hold); ``texts`` keeps, for each of them that was built from values, its
    template and values (:meth:`autograder.i18n.Message.to_plain`), so that feedback can render it in
    the student's language (:meth:`shown`). Fixed texts need nothing there: they are their own msgid."""

    expr: str
    hidden: bool
    passed: bool
    message: str = ""  # what is wrong, never the expected value of a hidden probe
    hint: str = ""
    label: str = ""  # what feedback calls the probe (never a hidden probe's input)
    texts: dict = field(default_factory=dict)

    def __post_init__(self):
        self.keep_templates()

    def keep_templates(self) -> None:
        """Record the templates of message/hint/label (Messages) and store them as plain strings."""
        for name in ("message", "hint", "label"):
            value = getattr(self, name)
            if isinstance(value, i18n.Message):
                parts = i18n.parts(value)
                if parts:
                    self.texts[name] = parts
                else:
                    self.texts.pop(name, None)
                setattr(self, name, str(value))

    def set_text(self, name: str, value: str) -> None:
        """Replace message, hint or label (a Message keeps its template for translation)."""
        self.texts.pop(name, None)
        setattr(self, name, value)
        self.keep_templates()

    def shown(self, name: str, language: str | None) -> str:
        """``message``, ``hint`` or ``label`` in ``language``."""
        return i18n.render(getattr(self, name), self.texts.get(name), language)


@dataclass
class ItemResult:
    id: str
    title: str
    points: float
    score: float
    probes: list[ProbeResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.score >= self.points

    def to_dict(self) -> dict:
        return asdict(self)


def decide_probe(probe: Probe, observed: dict | None, reference: dict | None) -> ProbeResult:
    """Compare one probe's result (``{"ok": ..., "value" | "error": ...}``) with its expectation."""
    if observed is None:
        return ProbeResult(probe.expr, probe.hidden, False, NOT_REACHED)
    if not isinstance(observed, dict) or not observed.get("ok") or "value" not in observed:
        return ProbeResult(probe.expr, probe.hidden, False, _error_message(observed))
    ref_value = None
    if reference is not None:
        if not reference.get("ok"):
            raise RuntimeError(f"the reference solution fails on {probe.expr!r}: {reference}")
        ref_value = reference["value"]
    try:
        return _compare(probe, observed["value"], ref_value)
    except Exception:  # noqa: BLE001 - a value of a shape no expectation foresaw fails this probe only
        return ProbeResult(probe.expr, probe.hidden, False, UNREADABLE)


NOT_REACHED = N_("this check could not be evaluated (the notebook did not get this far)")
UNREADABLE = N_("the value has a form this check cannot read")


def _compare(probe: Probe, value, ref_value) -> ProbeResult:
    # Reference values of hidden probes stay secret; the shape of the mistake does not.
    explained = probe.expect.explain(value, ref_value, reveal=not probe.hidden)
    if explained is None:
        return ProbeResult(probe.expr, probe.hidden, True)
    hint = next((h.message for h in probe.hints if h.when.explain(value, ref_value) is None), "")
    hint = hint or generic_hint(probe.expect, value, ref_value, probe.expr)
    return ProbeResult(probe.expr, probe.hidden, False, as_message(explained), hint)


def _error_message(observed) -> str:
    if not isinstance(observed, dict):
        return fixed("the kernel's reply for this check was not a result")
    if observed.get("ok"):
        return fixed("the kernel's reply for this check had no value")
    name, text = str(observed.get("error", "Error")), str(observed.get("message", ""))
    if name == INVALID:
        return text
    if name == "NotImplementedError":
        return fixed(NOT_ANSWERED)
    if name == "NameError":
        return message("{error}: write your answer and run its cell (if you did, check the spelling){note}",
                       error=text, note=_except_as_note(text))
    return message("evaluating it raised {name}: {error}{advice}", name=name, error=text, advice=_known_error_advice(text))


NOT_ANSWERED = N_("not answered yet (the answer cell still raises NotImplementedError)")


def _except_as_note(text: str) -> str:
    """A name meant to hold a caught exception is undefined: ``except E as name`` deletes ``name``."""
    match = re.search(r"name '(\w+)' is not defined", text)
    if not match or not re.search(r"err|exc", match.group(1), re.IGNORECASE):
        return ""
    return message(". If you wrote `except ... as {name}:`, Python deletes {name} when the except block ends: "
                   "catch it as another name and assign it inside the block (`except RuntimeError as e: {name} = e`)",
                   name=match.group(1))


# Error texts of torch that point at one autograd mistake each, and what to do about it.
ADVICE = (
    ("does not require grad and does not have a grad_fn",
     "backward() or autograd.grad reached a result that is not connected to any tensor requiring grad: create the "
     "input with requires_grad=True and do not cut the graph (.detach(), .item(), torch.no_grad()). To differentiate "
     "a gradient again, the first backward()/autograd.grad needs create_graph=True (retain_graph=True only keeps "
     "the graph, it does not record the gradient's own computation)"),
    ("backward through the graph a second time",
     "the graph's saved values are freed by the first backward(); pass retain_graph=True to the first call to "
     "go through it again (or recompute the forward pass)"),
    ("grad can be implicitly created only for scalar outputs",
     "backward() without an argument needs a one-element result: reduce it to a scalar (e.g. .sum()), or pass "
     "backward(gradient=v) with v of the result's shape"),
    ("leaf Variable that requires grad is being used in an in-place operation",
     "update a leaf that requires grad in place only inside `with torch.no_grad():`"),
    ("appears to not have been used in the graph",
     "the output does not depend on that input; pass allow_unused=True to torch.autograd.grad and treat None as zero"),
    ("'Tensor' object is not callable", "a tensor was called like a function: .grad is an attribute (x.grad), not a method"),
    ("Can't call numpy() on Tensor that requires grad", "call .detach() before .numpy()"),
    ("step must be greater than zero", "tensors do not support negative slice steps: reverse with torch.flip(x, dims=(dim,))"),
    ("modified by an inplace operation",
     "a value that backward() needs was changed in place after it was used: compute on a copy instead"),
)


def _known_error_advice(text: str) -> str:
    return next((message(". {advice}", advice=fixed(advice)) for marker, advice in ADVICE if marker.lower() in text.lower()), "")


def decide_item(item: Item, probes: list[Probe], observed: list, references: list) -> ItemResult:
    """Score ``item`` from the results of its (instantiated) ``probes``; weights give partial credit."""
    results = [decide_probe(p, o, r) for p, o, r in zip(probes, observed, references)]
    for probe, result in zip(probes, results):
        result.set_text("label", probe.title())
    weights = scoring_weights(probes)  # public-constant probes earn little where secret ones exist
    total = sum(weights) or 1.0
    earned = sum(w for w, r in zip(weights, results) if r.passed)
    return ItemResult(item.id, item.title, item.points, round(item.points * earned / total, 4), results)
