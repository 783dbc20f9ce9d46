"""The feedback page: the summary, then the student's executed notebook with each verdict at its
check cell; nothing the student wrote or printed is ever rendered active."""

from __future__ import annotations

import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.decide import ItemResult, ProbeResult
from autograder.grading import report
from autograder.grading.results import StudentResult

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def check_cell(grade_id: str):
    cell = new_code_cell(f'check("{grade_id}")\n### BEGIN HIDDEN TESTS\ncheck("{grade_id}", hidden=True)\n### END HIDDEN TESTS\n')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": 1}
    return cell


def executed_notebook():
    answer = new_code_cell(f"print({HOSTILE!r})")
    answer.outputs = [new_output("stream", name="stdout", text=HOSTILE + "\n"),
                      new_output("display_data", data={"text/plain": "<IPython.core.display.HTML object>", "text/html": HOSTILE}),
                      new_output("error", ename="ValueError", evalue=HOSTILE, traceback=["\x1b[31mValueError\x1b[0m: " + HOSTILE])]
    link = new_markdown_cell(f"## My answer\n[click](javascript:alert(3)) {HOSTILE}")
    return new_notebook(cells=[link, answer, check_cell("q1"), new_code_cell("x = 1"), check_cell("q2")])


def result():
    items = [ItemResult("q1", "First", 2, 0.5, [ProbeResult("f(1)", False, False, "expected 2, got 3", "off by one", label="f at 1"),
                                                ProbeResult("hidden", True, False, "wrong on a hidden input", label="a large input")]),
             ItemResult("q2", "Second", 1, 1, [ProbeResult("x", False, True, label="x")]),
             ItemResult("q3", "Third, in no notebook shown", 1, 0, [ProbeResult("y", False, False, "not answered yet")])]
    return StudentResult("ann", "ex01", score=1.5, max_score=4, items=items)


def page(notebooks=None) -> str:
    return report.feedback_html(result(), notebooks)


def test_the_notebook_follows_the_summary_with_each_verdict_at_its_check_cell():
    html = page([("ex01.ipynb", executed_notebook())])
    summary_end = html.index("Your notebook: ex01.ipynb")
    assert "Score: 1.5 / 4" in html[:summary_end]
    check_q1, check_q2 = html.index('check(&quot;q1&quot;)'), html.index('check(&quot;q2&quot;)')
    assert summary_end < check_q1 < html.index("expected 2, got 3") < html.index("hidden check: a large input") < check_q2
    assert check_q2 < html.index("✔ q2 Second: 1 / 1", check_q2)
    # an item whose check cell is not in the shown notebook keeps its details in the summary
    assert html.index("not answered yet") < summary_end


def test_nothing_from_the_student_is_active():
    html = page([("ex01.ipynb", executed_notebook())])
    assert "<script" not in html
    assert re.findall(r"<img\b[^>]*>", html) == []  # the only tags with attributes are the page's own
    assert "javascript:" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not dropped
    assert "\x1b[" not in html
    assert "HIDDEN TESTS" not in html and "hidden=True" not in html  # nbgrader's hidden test blocks are never shown
    assert "default-src 'none'" in html  # and the browser is told to run no script at all


def test_images_must_be_real_base64():
    nb = new_notebook(cells=[new_code_cell("plot()")])
    good = "iVBORw0KGgo="
    nb.cells[0].outputs = [new_output("display_data", data={"image/png": good, "text/plain": "<Figure>"}),
                           new_output("display_data", data={"image/png": 'x" onload="alert(1)', "text/plain": "<Figure 2>"})]
    html = page([("ex01.ipynb", nb)])
    assert f'src="data:image/png;base64,{good}"' in html
    assert "onload" not in html and "&lt;Figure 2&gt;" in html


def test_without_a_notebook_every_item_is_detailed_in_the_summary():
    html = page()
    assert "Your notebook" not in html
    assert all(text in html for text in ("expected 2, got 3", "hidden check: a large input", "not answered yet"))
    assert re.search(r"<li>hidden check: a large input: wrong on a hidden input</li>", html)


def test_a_notebook_read_back_from_disk_renders(tmp_path):
    path = tmp_path / "ex01.ipynb"
    nbformat.write(executed_notebook(), path)
    assert "Your notebook: ex01.ipynb" in page([("ex01.ipynb", nbformat.read(path, as_version=4))])
