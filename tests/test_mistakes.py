"""Every realistic mistake loses its item, and the feedback names at least 90 % of them."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # so that `tests.mistakes` imports

from fairness import grade_variant  # noqa: E402

from tests.mistakes import corpus  # noqa: E402

CORPUS = corpus()
CASES = [(assignment, i) for assignment, mistakes in sorted(CORPUS.items()) for i in range(len(mistakes))]
_graded: dict = {}


def feedback(assignment, index):
    """(item result, everything the student is told about it) for one mistake, graded once."""
    if (assignment, index) not in _graded:
        mistake = CORPUS[assignment][index]
        result = grade_variant(assignment, mistake.replacements, seed=0)[mistake.item]
        _graded[assignment, index] = (result, told(result))
    return _graded[assignment, index]


def told(result):
    """Everything the student reads about the item's failed checks: label, message and hint."""
    return "\n".join(f"{getattr(p, 'label', '')}: {p.message} {p.hint}" for p in result.probes if not p.passed)


def case_id(case):
    assignment, index = case
    mistake = CORPUS[assignment][index]
    return f"{assignment}-{mistake.item}-{mistake.why or index}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_each_mistake_loses_its_item(case):
    result, _ = feedback(*case)
    assert result.score < result.points


def test_the_feedback_names_at_least_90_percent_of_the_mistakes():
    unnamed = []
    for assignment, index in CASES:
        mistake = CORPUS[assignment][index]
        _, told = feedback(assignment, index)
        if mistake.names.lower() not in told.lower():
            unnamed.append(f"{assignment} {mistake.item} ({mistake.why}): expected {mistake.names!r} in: {told.strip()}")
    print(f"named: {len(CASES) - len(unnamed)} of {len(CASES)}", *unnamed, sep="\n")
    assert CASES and len(unnamed) <= 0.1 * len(CASES), "\n".join(unnamed)
