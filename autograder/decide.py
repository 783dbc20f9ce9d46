"""Decide what each item is worth, from plain data, in the grader's own process."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .spec import Item, Probe, generic_hint, scoring_weights


@dataclass
class ProbeResult:
    expr: str
    hidden: bool
    passed: bool
    message: str = ""  # what is wrong, never the expected value of a hidden probe
    hint: str = ""
    label: str = ""  # what feedback calls the probe (never a hidden probe's input)


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
        return ProbeResult(probe.expr, probe.hidden, False, "this check could not be evaluated (the notebook did not get this far)")
    if not observed.get("ok"):
        return ProbeResult(probe.expr, probe.hidden, False, _error_message(observed))
    ref_value = None
    if reference is not None:
        if not reference.get("ok"):
            raise RuntimeError(f"the reference solution fails on {probe.expr!r}: {reference}")
        ref_value = reference["value"]
    # Reference values of hidden probes stay secret; the shape of the mistake does not.
    message = probe.expect.explain(observed["value"], ref_value, reveal=not probe.hidden)
    if message is None:
        return ProbeResult(probe.expr, probe.hidden, True)
    hint = next((h.message for h in probe.hints if h.when.explain(observed["value"], ref_value) is None), "")
    hint = hint or generic_hint(probe.expect, observed["value"], ref_value)
    return ProbeResult(probe.expr, probe.hidden, False, message, hint)


def _error_message(observed: dict) -> str:
    name, text = observed.get("error", "Error"), observed.get("message", "")
    if name == "NotImplementedError":
        return "not answered yet (the answer cell still raises NotImplementedError)"
    if name == "NameError":
        return f"{text}: write your answer and run its cell (if you did, check the spelling)"
    return f"evaluating it raised {name}: {text}"


def decide_item(item: Item, probes: list[Probe], observed: list, references: list) -> ItemResult:
    """Score ``item`` from the results of its (instantiated) ``probes``; weights give partial credit."""
    results = [decide_probe(p, o, r) for p, o, r in zip(probes, observed, references)]
    for probe, result in zip(probes, results):
        result.label = probe.title()
    weights = scoring_weights(probes)  # public-constant probes earn little where secret ones exist
    total = sum(weights) or 1.0
    earned = sum(w for w, r in zip(weights, results) if r.passed)
    return ItemResult(item.id, item.title, item.points, round(item.points * earned / total, 4), results)
