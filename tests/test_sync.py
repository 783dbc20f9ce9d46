"""exercises/ is exactly what nbgrader generates from solutions/; notebooks are stored canonically."""

from pathlib import Path

import pytest

from autograder import course
from autograder.course import notebook
from autograder.course.generate import generate

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = course.assignments(ROOT)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_a_fresh_generation_of_solutions(assignment, tmp_path):
    written = generate(ROOT, assignment, db_url=f"sqlite:///{tmp_path}/gb.db", release_dir=str(tmp_path / "release"))
    assert written, f"nothing generated for {assignment}"
    committed = sorted(p.name for p in course.notebooks(ROOT / "exercises" / assignment))
    assert committed == sorted(p.name for p in written)
    for path in written:
        assert path.read_bytes() == (ROOT / "exercises" / assignment / path.name).read_bytes(), (
            f"exercises/{assignment}/{path.name} is stale: run `autograder generate {assignment}`")


@pytest.mark.parametrize("path", sorted(ROOT.glob("solutions/*/*.ipynb")), ids=lambda p: p.parent.name)
def test_solutions_are_canonical_and_without_outputs(path):
    nb = notebook.read(path)
    assert path.read_text(encoding="utf-8") == notebook.dumps(notebook.normalize(nb, keep_outputs=False))


def test_every_lecture_has_an_exercise_and_every_exercise_a_spec():
    from autograder import spec

    lectures = sorted(p.name[:2] for p in (ROOT / "course").glob("[0-9][0-9]_*.ipynb"))
    assert [f"ex{n}" for n in lectures] == ASSIGNMENTS
    for assignment in ASSIGNMENTS:
        assert spec.load(assignment).name == assignment
