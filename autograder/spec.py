"""What a graded item asks, written as data: probes, expectations, points and hints.

A probe is a Python expression the grader evaluates in the student's namespace (see
:mod:`autograder.plain`); an expectation says what its plain result must look like. Each
expectation explains a failure in words a student can act on, and returns ``None`` on success.
Hidden probes are templates filled with fresh random numbers at grading time and compared with
what the reference solution gives for the very same expression.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from autograder.i18n import N_, fixed, message

# ---------------------------------------------------------------------------------------------
# Reading numbers out of plain data


def numeric(value: Any) -> tuple[list[int], list[float]] | None:
    """(shape, flat values) of a number, tensor, array or nested list; None if not numeric."""
    if isinstance(value, bool):
        return [], [float(value)]
    if isinstance(value, (int, float)) or (isinstance(value, str) and value in ("nan", "inf", "-inf")):
        return [], [_float(value)]
    if isinstance(value, dict) and value.get("type") in ("tensor", "ndarray"):
        if value.get("values") is None:
            return None
        return list(value["shape"]), _flatten(value["values"])
    if isinstance(value, (list, tuple)) or (isinstance(value, dict) and value.get("type") in ("list", "tuple")):
        parts = [numeric(v) for v in (value["items"] if isinstance(value, dict) else value)]
        if not parts or any(p is None for p in parts):
            return None
        inner = parts[0][0]
        if any(p[0] != inner for p in parts):
            return None
        return [len(parts)] + inner, [x for p in parts for x in p[1]]
    return None


def _flatten(values: Any) -> list[float]:
    if isinstance(values, list):
        return [x for v in values for x in _flatten(v)]
    return [_float(values)]


def _float(value: Any) -> float:
    """``float(value)``, with integers beyond the float range read as +/-inf instead of raising."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def describe(value: Any) -> str:
    """A short human description of a plain value, for feedback (a Message where it has words)."""
    if isinstance(value, dict):
        kind = value.get("type")
        if kind == "tensor":
            shown = value["values"]
            return f"tensor({shown}, dtype={value['dtype']})" if shown is not None else message(
                "tensor of shape {shape}", shape=str(value["shape"]))
        if kind == "exception":
            return f"{value['class']}({value['message']!r})"
        if kind == "object":
            return message("an object of type {cls}", cls=str(value["class"]))
        if kind == "list":
            return message("a list of {count} items", count=len(value["items"]))
        if kind == "tuple":
            return message("a tuple of {count} items", count=len(value["items"]))
        return kind or fixed("a dict")
    return repr(value)


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= atol + rtol * abs(b)


# ---------------------------------------------------------------------------------------------
# Expectations


class Expectation:
    """Base class: ``explain(observed, reference)`` returns None when satisfied."""

    def explain(self, observed: Any, reference: Any = None, reveal: bool = True) -> str | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Close(Expectation):
    """A number or array equal to ``value`` within tolerance (dtype and container are free)."""

    value: Any
    rtol: float = 1e-4
    atol: float = 1e-5
    scalar_ok: bool = True  # a plain Python float may stand for a 0-d tensor

    def explain(self, observed, reference=None, reveal=True):
        return compare_numbers(observed, self.value, self.rtol, self.atol, self.scalar_ok, reveal)


@dataclass(frozen=True)
class Reference(Expectation):
    """Whatever the reference solution gives for the same probe, within tolerance."""

    rtol: float = 1e-4
    atol: float = 1e-5
    scalar_ok: bool = True

    def explain(self, observed, reference=None, reveal=True):
        if reference is None:
            return fixed("no reference value is available for this check")
        if numeric(reference) is None:
            if observed == reference:
                return None
            if reveal:
                return message("expected {expected}, got {got}", expected=describe(reference), got=describe(observed))
            return message("got {got}, which differs from the reference", got=describe(observed))
        return compare_numbers(observed, reference, self.rtol, self.atol, self.scalar_ok, reveal)


def compare_numbers(observed, expected, rtol, atol, scalar_ok, reveal=True) -> str | None:
    if observed is None:
        return NONE_MESSAGE
    if isinstance(observed, dict) and observed.get("type") == "tensor" and not observed["dtype"].startswith(
        ("float", "double", "half", "bfloat", "complex")
    ) and _has_fraction(expected):
        return message("the tensor has integer dtype {dtype}; use a floating-point tensor", dtype=str(observed["dtype"]))
    got, want = numeric(observed), numeric(expected)
    if got is None:
        return message("expected a number or tensor, got {got}", got=describe(observed))
    if not scalar_ok and isinstance(expected, dict) and not isinstance(observed, dict):
        return message("expected a tensor, got a plain {kind}", kind=type(observed).__name__)
    if _squeeze(got[0]) != _squeeze(want[0]) or len(got[1]) != len(want[1]):
        return message("expected shape {expected}, got shape {got}", expected=str(tuple(want[0])), got=str(tuple(got[0])))
    if all(_close(a, b, rtol, atol) for a, b in zip(got[1], want[1])):
        return None
    dtype_note = _dtype_note(observed, expected, rtol)
    if not reveal:
        return message("got {got}, which differs from the reference solution on this input{note}",
                       got=_show(got[1], got[0]), note=dtype_note)
    digits = _digits_to_tell_apart(got[1], want[1])
    return message("expected {expected}, got {got}{note}", expected=_show(want[1], want[0], digits),
                   got=_show(got[1], got[0], digits), note=dtype_note)


# A None where a number belongs says only that no value is there; for a .grad it is where no backward() arrived.
NONE_MESSAGE = N_("the value is None (a .grad stays None until a backward() reaches that tensor: backward() was not "
                "called, or it ran on a graph that does not contain this tensor)")
_LOW_PRECISION = {"float32": 1e-7, "float16": 1e-3, "bfloat16": 1e-2, "half": 1e-3}


def _dtype_note(observed, expected, rtol) -> str:
    """Say so when the dtype is what makes the numbers differ, so that equal-looking values make sense."""
    got_dtype = observed.get("dtype") if isinstance(observed, dict) and observed.get("type") == "tensor" else None
    want_dtype = expected.get("dtype") if isinstance(expected, dict) and expected.get("type") == "tensor" else None
    if got_dtype and want_dtype and got_dtype != want_dtype:
        return message(" (your result has dtype {got}, the expected one {expected})", got=got_dtype, expected=want_dtype)
    if got_dtype in _LOW_PRECISION and rtol < 10 * _LOW_PRECISION[got_dtype]:
        return message(" (your result has dtype {got}, which keeps too few digits for this check: "
                       "compute in the dtype of the input, or in float64)", got=got_dtype)
    return ""


def _digits_to_tell_apart(got: list[float], want: list[float]) -> int:
    """The fewest significant digits (6 or more) at which the two lists print differently."""
    for digits in (6, 9, 12, 17):
        if _show(got, [], digits) != _show(want, [], digits):
            return digits
    return 17


def generic_hint(expect: Expectation, observed: Any, reference: Any, expr: str = "") -> str:
    """The hint for a failed numeric comparison that no item-specific hint explains.

    ``expr`` is the probe's expression: only a probe that reads a ``.grad`` is evidence that
    a wrong multiple comes from gradients that accumulated.
    """
    if isinstance(expect, Close):
        want, rtol, atol = numeric(expect.value), expect.rtol, expect.atol
    elif isinstance(expect, Reference):
        want, rtol, atol = numeric(reference), expect.rtol, expect.atol
    else:
        return ""
    got = numeric(observed)
    if got is None or want is None or len(got[1]) != len(want[1]):
        return ""
    return diagnose(got[1], want[1], rtol, atol, reads_grad(expr)) or ""


def diagnose(got: list[float], want: list[float], rtol: float, atol: float, grad: bool = False) -> str | None:
    """Describe a wrong result whose numbers have a recognisable relation to the expected ones.

    A cause is named only when the evidence shows it: a ``.grad`` that is an exact multiple of the
    right gradient is what accumulation leaves behind (``grad``); any other multiple is only described.
    """
    if not any(abs(b) > atol for b in want):
        return None
    for factor in (2.0, 3.0, 0.5):
        if all(_close(a, factor * b, rtol, atol) for a, b in zip(got, want)):
            if grad and factor > 1:
                return message(".grad is {factor:g}x the expected gradient: gradients accumulate in .grad, so backward() "
                               "probably ran {factor:g} times without zeroing it in between (x.grad = None, or zero_grad())",
                               factor=factor)
            if factor < 1:
                return message("the result is {factor:g}x the expected value in every entry: a constant factor is "
                               "missing somewhere in your computation", factor=factor)
            return message("the result is {factor:g}x the expected value in every entry: a constant factor is "
                           "extra somewhere in your computation", factor=factor)
    if all(_close(a, -b, rtol, atol) for a, b in zip(got, want)):
        return fixed("the result has the wrong sign: it is the expected value negated in every entry")
    if all(abs(a) <= atol for a in got):
        if grad:
            return fixed(".grad is zero: no gradient arrived (was the graph cut with .detach(), .item() or torch.no_grad(), "
                         "or .grad zeroed after backward()?)")
        return fixed("the result is zero in every entry, where the expected value is not")
    return None


def reads_grad(expr: str) -> bool:
    """Whether a probe expression reads a tensor's .grad (not .grad_fn)."""
    return re.search(r"\.grad\b(?!_)", expr or "") is not None


def _squeeze(shape):
    return [n for n in shape if n != 1]


def _has_fraction(expected) -> bool:
    parsed = numeric(expected)
    return parsed is not None and any(x != int(x) for x in parsed[1] if math.isfinite(x))


def _show(values, shape, digits=6):
    text = ", ".join(f"{v:.{digits}g}" for v in values[:8]) + (", ..." if len(values) > 8 else "")
    return text if not shape else message("[{values}] (shape {shape})", values=text, shape=str(tuple(shape)))


@dataclass(frozen=True)
class Tensor(Expectation):
    """A tensor with the given properties; ``dtype`` 'float' accepts any floating dtype."""

    dtype: str | None = None
    shape: tuple[int, ...] | None = None
    requires_grad: bool | None = None
    is_leaf: bool | None = None
    device: str | None = None

    def explain(self, observed, reference=None, reveal=True):
        if not (isinstance(observed, dict) and observed.get("type") == "tensor"):
            return message("expected a torch tensor, got {got}", got=describe(observed))
        if self.dtype == "float" and not observed["dtype"].startswith(("float", "double", "half", "bfloat")):
            return message("expected a floating-point tensor, got dtype {got}", got=str(observed["dtype"]))
        if self.dtype not in (None, "float") and observed["dtype"] != self.dtype:
            return message("expected dtype {expected}, got {got}", expected=self.dtype, got=str(observed["dtype"]))
        if self.shape is not None and tuple(observed["shape"]) != tuple(self.shape):
            return message("expected shape {expected}, got {got}", expected=str(tuple(self.shape)),
                           got=str(tuple(observed["shape"])))
        if self.requires_grad is not None and observed["requires_grad"] != self.requires_grad:
            if self.requires_grad:
                return fixed("the tensor should require grad (requires_grad=True)")
            return fixed("the tensor should not require grad")
        if self.is_leaf is not None and observed["is_leaf"] != self.is_leaf:
            if self.is_leaf:
                return fixed("expected a leaf tensor (created directly, not computed)")
            return fixed("expected a computed tensor, not a leaf")
        if self.device is not None and observed["device"] != self.device:
            return message("expected the tensor on {expected}, got {got}", expected=self.device, got=str(observed["device"]))
        return None


@dataclass(frozen=True)
class Raised(Expectation):
    """A kept exception object of class ``cls`` whose message contains ``contains``."""

    cls: str
    contains: str = ""

    def explain(self, observed, reference=None, reveal=True):
        if not (isinstance(observed, dict) and observed.get("type") == "exception"):
            return message("expected the {cls} you caught, got {got}", cls=self.cls, got=describe(observed))
        if observed["class"] != self.cls:
            return message("expected a {cls}, got a {got}: {text}", cls=self.cls, got=str(observed["class"]),
                           text=str(observed["message"]))
        if self.contains.lower() not in observed["message"].lower():
            return message("that {cls} is not the one this item asks for: {text}", cls=self.cls, text=str(observed["message"]))
        return None


@dataclass(frozen=True)
class Equal(Expectation):
    """Exactly this plain value (strings, booleans, lists of names)."""

    value: Any

    def explain(self, observed, reference=None, reveal=True):
        want = self.value
        if isinstance(observed, dict) and observed.get("type") in ("list", "tuple") and isinstance(want, (list, tuple)):
            observed = [v for v in observed["items"]]
            want = list(want)
        if observed == want:
            return None
        if reveal:
            return message("expected {expected}, got {got}", expected=repr(want), got=describe(observed))
        return message("got {got}, which is not right", got=describe(observed))


@dataclass(frozen=True)
class AllOf(Expectation):
    parts: tuple[Expectation, ...]

    def explain(self, observed, reference=None, reveal=True):
        for part in self.parts:
            message = part.explain(observed, reference, reveal)
            if message:
                return message
        return None


# ---------------------------------------------------------------------------------------------
# Items


@dataclass(frozen=True)
class Hint:
    """Shown when a failing probe's value satisfies ``when``: names a recognisable mistake."""

    when: Expectation
    message: str


@dataclass(frozen=True)
class Probe:
    """One check of an item: an expression, what its value must be, and how much it counts.

    ``label`` is a short human name shown in feedback instead of the expression (for a hidden
    probe it names the kind of input, e.g. "an input where a class is absent", never the input).

    A hidden probe's ``expr`` is a template whose ``{fields}`` ``draw(rng)`` fills. ``rng`` is
    seeded from the course secret, the assignment, the item and the template only (see
    :func:`hidden_plan`), so every student gets the same inputs and the same code the same grade,
    while nobody can derive the inputs from the public repository. ``draw`` returns either one
    dict of fields or a list of cases: several dicts, each becoming its own probe with an equal
    share of ``weight``. A case may carry ``"_label"``, shown in feedback for that case. Cases
    are how a spec covers the edge cases its lecture names on every run, not on some seeds::

        def _logits(rng):
            return [{"z": random_matrix(rng), "_label": "typical logits"},
                    {"z": f"torch.tensor([[{rng.uniform(500, 900):.3f}, 0.0]])", "_label": "a very large logit"},
                    {"z": "torch.zeros(1, 3)", "_label": "logits that are exactly 0"}]

    Draw the numbers of an edge case from ``rng`` too where the case allows it, and build tensors
    with an explicit dtype (``torch.tensor(..., dtype=torch.float32)``): the harness evaluates
    every probe under float32 default dtype, cpu device and a fixed random seed anyway.
    """

    expr: str
    expect: Expectation
    hidden: bool = False
    draw: Callable[[random.Random], dict | list[dict]] | None = None  # fills ``expr``'s {fields}
    weight: float = 1.0
    hints: tuple[Hint, ...] = ()
    label: str = ""
    drawn: bool = False  # filled from a template by ``cases``

    def cases(self, rng: random.Random) -> list[Probe]:
        """This probe with its template filled by each case ``draw`` gives (itself if no template)."""
        if self.draw is None:
            return [self]
        drawn = self.draw(rng)
        drawn = drawn if isinstance(drawn, list) else [drawn]
        share = self.weight / len(drawn)
        return [replace(self, expr=self.expr.format(**{k: v for k, v in case.items() if k != "_label"}), draw=None, drawn=True,
                        weight=share, label=case.get("_label", self.label)) for case in drawn]

    def instantiate(self, rng: random.Random) -> Probe:
        """This probe's first case (kept for callers that want a single probe)."""
        return self.cases(rng)[0]

    def title(self) -> str:
        """What feedback calls this probe: its label, or a readable stand-in (nothing for an unlabelled hidden one)."""
        if self.label:
            return self.label
        if self.hidden:
            return ""  # feedback says "hidden check"; never the expression, which holds the input
        if len(self.expr) <= 60 and "lambda" not in self.expr and "{" not in self.expr:
            return self.expr
        return message("a check on your {name}", name=_first_name(self.expr))


def _first_name(expr: str) -> str:
    """The first name an expression calls or reads (``derivative_at(lambda ...)`` -> ``derivative_at``)."""
    match = re.search(r"[A-Za-z_][A-Za-z0-9_]*", expr)
    return f"`{match.group(0)}`" if match else fixed("answer")


def probe_rng(secret: str, assignment: str, item_id: str, template: str) -> random.Random:
    """The generator a hidden probe draws from: a function of the secret and the probe only."""
    key = hmac.new(secret.encode(), f"{assignment}\0{item_id}\0{template}".encode(), hashlib.sha256).hexdigest()
    return random.Random(key)


def item_probes(assignment: str, item: Item, secret: str) -> list[Probe]:
    """``item``'s probes with every hidden template filled (one probe per case)."""
    return [case for probe in item.probes for case in probe.cases(probe_rng(secret, assignment, item.id, probe.expr))]


def hidden_plan(the_spec: Assignment, secret: str) -> dict[str, list[Probe]]:
    """Every item's filled probes: the same for every student, notebook, batch and worker."""
    return {item.id: item_probes(the_spec.name, item, secret) for item in the_spec.items}


# Public-constant probes (visible ones, and hidden ones without secret inputs) earn together at
# most this share of an item that has secret probes: their answers are published, so a forger
# knows them. Items made only of public-constant probes must carry few points (tests/test_specs.py).
PUBLIC_SHARE = 0.05


def is_secret(probe: Probe) -> bool:
    """Is the expected value unknowable in advance (a hidden input compared with the reference)?"""
    return probe.hidden and isinstance(probe.expect, Reference) and (probe.draw is not None or probe.drawn)


def scoring_weights(probes: list[Probe]) -> list[float]:
    """Each probe's weight after capping the share the public-constant probes can earn."""
    secret = [is_secret(p) for p in probes]
    public_total = sum(p.weight for p, s in zip(probes, secret) if not s)
    secret_total = sum(p.weight for p, s in zip(probes, secret) if s)
    if not secret_total or not public_total:
        return [p.weight for p in probes]
    # public_total * scale / (public_total * scale + secret_total) <= PUBLIC_SHARE
    scale = min(1.0, PUBLIC_SHARE * secret_total / ((1 - PUBLIC_SHARE) * public_total))
    return [p.weight if s else p.weight * scale for p, s in zip(probes, secret)]


@dataclass(frozen=True)
class Item:
    id: str  # the nbgrader grade_id of the item's check cell
    points: float
    probes: tuple[Probe, ...]
    title: str = ""


@dataclass(frozen=True)
class Assignment:
    name: str
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.items)
        raise KeyError(f"{self.name} has no item {item_id!r} (its items: {known})")

    @property
    def max_score(self) -> float:
        return sum(item.points for item in self.items)


def load(assignment: str) -> Assignment:
    """The spec of ``assignment`` from ``autograder.specs.<assignment>``."""
    if not assignment.isidentifier():
        raise ValueError(f"not an assignment name: {assignment!r}")
    try:
        module = importlib.import_module(f"autograder.specs.{assignment}")
    except ModuleNotFoundError as error:
        raise LookupError(f"no checks are defined for assignment {assignment!r}") from error
    return module.SPEC
