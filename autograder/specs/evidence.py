"""Expectations that hints use to recognise the trace a mistake leaves in a probe's value."""

from __future__ import annotations

import math
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
