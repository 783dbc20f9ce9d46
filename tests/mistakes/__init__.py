"""A corpus of realistic wrong answers per exercise, written from the question (not from the solution).

Each module ``tests/mistakes/<assignment>.py`` defines ``MISTAKES``, a list of :class:`Mistake`.
``tests/test_mistakes.py`` grades each one and measures how often the feedback names the mistake.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    item: str  # the item that must lose points
    replacements: dict[str, str] = field(hash=False)  # answer cell grade_id -> the wrong code
    names: str  # case-insensitive text the item's feedback (message or hint) must contain
    why: str = ""  # the mistake, in words


def corpus() -> dict[str, list[Mistake]]:
    """assignment name -> its mistakes, for every module in this package."""
    found = {}
    for module in pkgutil.iter_modules(__path__):
        found[module.name] = importlib.import_module(f"{__name__}.{module.name}").MISTAKES
    return found
