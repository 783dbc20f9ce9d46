"""Every lecture executes top to bottom, and shows exactly what is stored in it."""

from pathlib import Path

import pytest

from autograder import colab, notebook

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "course").glob("*.ipynb"))


def test_there_are_lectures():
    assert len(LECTURES) >= 10


@pytest.mark.slow
@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_executes_and_matches_stored_outputs(path):
    stored = notebook.read(path)
    fresh = notebook.execute(stored, path.parent)
    assert notebook.output_differences(stored, fresh) == []


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_is_stored_executed_and_normalized(path):
    nb = notebook.read(path)
    text = path.read_text(encoding="utf-8")
    assert text == notebook.dumps(notebook.normalize(nb, keep_outputs=True))
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "commit lectures executed"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_has_badge_goals_summary_and_exercise_link(path):
    nb = notebook.read(path)
    first = nb.cells[0].source
    assert colab.badge_markdown(f"course/{path.name}") in first
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "You will be able to" in markdown or "you will be able to" in markdown
    assert "## Summary" in markdown
    assert "../exercises/" in markdown
