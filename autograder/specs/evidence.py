"""Expectations that hints use to recognise the trace a mistake leaves in a probe's value."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..spec import Expectation, numeric


@dataclass(frozen=True)
class AllNan(Expectation):
    """Every entry is nan: what the checks' "needs a tensor that requires grad" functions return otherwise."""

    def explain(self, observed, reference=None, reveal=True):
        parsed = numeric(observed)
        if parsed is not None and parsed[1] and all(math.isnan(x) for x in parsed[1]):
            return None
        return "not all nan"


@dataclass(frozen=True)
class Where(Expectation):
    """A value for which ``test`` holds (for hints that recognise a pattern rather than one value)."""

    test: Callable

    def explain(self, observed, reference=None, reveal=True):
        try:
            return None if self.test(observed) else "no"
        except Exception:  # noqa: BLE001 - a value of another form simply does not match
            return "no"


ANY = Where(lambda value: True)  # the hint of a probe whose only failure has one cause


def L(*values):
    """A list of numbers written the way probes report one."""
    return {"type": "list", "items": list(values)}


def nested_list(values):
    """A nested list of numbers in the plain form that Close compares against."""
    if isinstance(values, (list, tuple)):
        return {"type": "list", "items": [nested_list(v) for v in values]}
    return float(values)
