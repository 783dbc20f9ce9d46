"""Specs and notebooks agree: one check cell per item, same points; hidden probes are real."""

import random
from pathlib import Path

import pytest

from autograder import course, spec
from autograder.course import notebook
from autograder.grading import reference

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
                drawn = {tuple(case.expr for case in probe.cases(random.Random(seed))) for seed in range(5)}
                assert len(drawn) > 1, f"{item.id}: {probe.expr} always draws the same input"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_its_hidden_probes_on_many_draws(assignment, seed):
    from fairness import grade_variant

    results = grade_variant(assignment, seed=seed)
    assert all(r.passed for r in results.values()), {k: r.to_dict() for k, r in results.items() if not r.passed}


# A forger answers every check whose expected value is public (visible probes, and hidden ones
# without secret inputs) and nothing else: at most this share of an assignment's points.
FORGEABLE_SHARE = 0.15


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_constant_checks_earn_at_most_15_percent_of_the_assignment(assignment):
    the_spec = spec.load(assignment)
    plan = spec.hidden_plan(the_spec, "any secret")
    forgeable = 0.0
    for item in the_spec.items:
        probes = plan[item.id]
        weights = spec.scoring_weights(probes)
        forgeable += item.points * sum(w for w, p in zip(weights, probes) if not spec.is_secret(p)) / sum(weights)
    assert forgeable <= FORGEABLE_SHARE * the_spec.max_score, (
        f"{assignment}: {forgeable:.2f} of {the_spec.max_score:g} points need no work on secret inputs; give items "
        "whose answer is a public constant fewer points, or add hidden probes on drawn inputs")


def test_public_checks_share_of_an_item_is_capped_where_secret_checks_exist():
    public = [spec.Probe(f"v{i}", spec.Close(1.0)) for i in range(3)]
    hidden = [spec.Probe("f({x})", spec.Reference(), hidden=True, draw=lambda rng: {"x": rng.random()}, weight=2)]
    probes = public + [case for p in hidden for case in p.cases(spec.probe_rng("s", "a", "q", p.expr))]
    weights = spec.scoring_weights(probes)
    # 3 public probes of weight 1 and a secret one of weight 2: the public ones share 5 % of the item.
    assert sum(weights[:3]) / sum(weights) == pytest.approx(0.05)
    assert weights[3] == 2
    assert spec.scoring_weights(public) == [1.0, 1.0, 1.0]  # an item with no secret probe is unchanged


def test_hidden_inputs_depend_on_the_secret_and_the_probe_only():
    item = spec.load("ex01").items[3]
    first = [p.expr for p in spec.item_probes("ex01", item, "secret one")]
    assert first == [p.expr for p in spec.item_probes("ex01", item, "secret one")]
    assert first != [p.expr for p in spec.item_probes("ex01", item, "secret two")]


def test_draw_may_return_several_cases_each_a_probe_with_a_share_of_the_weight():
    probe = spec.Probe("f({x})", spec.Reference(), hidden=True, weight=3, label="typical",
                       draw=lambda rng: [{"x": 1}, {"x": 0, "_label": "zero"}, {"x": -1}])
    cases = probe.cases(spec.probe_rng("s", "a", "q", probe.expr))
    assert [(c.expr, c.weight, c.label) for c in cases] == [("f(1)", 1, "typical"), ("f(0)", 1, "zero"), ("f(-1)", 1, "typical")]
    assert all(spec.is_secret(c) for c in cases)


def test_unlabelled_probes_are_never_shown_as_raw_lambdas():
    assert spec.Probe("x.grad", spec.Close(8.0)).title() == "x.grad"
    assert spec.Probe("derivative_at(lambda t: t**3 - t, 1.7)", spec.Close(7.67)).title() == "a check on your `derivative_at`"
    assert spec.Probe("f({x})", spec.Reference(), hidden=True).title() == ""
