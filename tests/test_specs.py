"""Specs and notebooks agree: one check cell per item, same points; hidden probes are real."""

import random
from pathlib import Path

import pytest

from autograder import course, notebook, reference, spec

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = course.assignments(ROOT)


def check_cells(assignment):
    cells = {}
    for path in course.notebooks(ROOT / "solutions" / assignment):
        for cell in notebook.read(path).cells:
            if reference.is_check_cell(cell):
                meta = cell.metadata["nbgrader"]
                cells[meta["grade_id"]] = (meta["points"], cell.source, cell.metadata)
    return cells


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_item_has_one_locked_check_cell_with_its_points(assignment):
    the_spec = spec.load(assignment)
    cells = check_cells(assignment)
    assert sorted(cells) == sorted(item.id for item in the_spec.items)
    for item in the_spec.items:
        points, source, metadata = cells[item.id]
        assert points == item.points
        assert f'check("{item.id}")' in source
        assert metadata["nbgrader"]["locked"] and metadata.get("editable") is False


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_items_have_points_and_probes(assignment):
    the_spec = spec.load(assignment)
    assert len(the_spec.items) >= (4 if assignment == "ex01" else 5)
    for item in the_spec.items:
        assert item.points > 0 and item.probes
        assert any(not p.hidden for p in item.probes), f"{item.id} gives no instant feedback"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_probes_draw_fresh_inputs_and_compare_with_the_reference(assignment):
    for item in spec.load(assignment).items:
        for probe in (p for p in item.probes if p.hidden):
            # Strong although public: fresh inputs, or a value only the reference solution knows.
            assert probe.draw is not None or isinstance(probe.expect, spec.Reference), f"{item.id}: {probe.expr} is guessable"
            if probe.draw is not None:
                drawn = {probe.instantiate(random.Random(seed)).expr for seed in range(5)}
                assert len(drawn) > 1, f"{item.id}: {probe.expr} always draws the same input"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_its_hidden_probes_on_many_draws(assignment, seed):
    from fairness import grade_variant

    results = grade_variant(assignment, seed=seed)
    assert all(r.passed for r in results.values()), {k: r.to_dict() for k, r in results.items() if not r.passed}
