"""Everything that comes from a student is untrusted data: probe replies, notebook text, outputs, CSV cells.

Fast unit tests: probe replies of every malformed shape fail one probe each (never the grader);
sanitize's work per notebook is bounded; autograded notebooks keep no active content; CSV cells
cannot become spreadsheet formulas; feedback HTML escapes what the student wrote.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import re
import time
from types import SimpleNamespace

import nbformat
import pytest

from autograder import spec
from autograder.decide import decide_item, decide_probe
from autograder.grading import inert, report
from autograder.grading.execute import Outcome, Task, parse_probe_reply
from autograder.grading.sanitize import BEGIN_HIDDEN, END_HIDDEN, without_hidden_tests
from autograder.grading.untrusted import INVALID, plain_value

# ------------------------------------------------------------------------------------------------
# Probe replies


def reply(results) -> dict:
    """An execute reply as the kernel sends it: the JSON text, repr()'d as IPython shows a str."""
    text = results if isinstance(results, str) else json.dumps(results)
    return {"content": {"user_expressions": {"result": {"status": "ok", "data": {"text/plain": repr(text)}}}}}


def deep_list(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("item, why", [
    ({"ok": True}, "had no value"),
    ({"ok": "yes", "value": 1}, "not a result"),
    ([1, 2], "not a result"),
    ("ok", "not a result"),
    (None, "not a result"),
    ({"ok": False, "error": ["x"]}, "named no error"),
    ({"ok": True, "value": 10 ** 400}, "too large for a float"),
    ({"ok": True, "value": -(10 ** 400)}, "too large for a float"),
    ({"ok": True, "value": {"type": "tensor", "values": [[10 ** 400]]}}, "too large for a float"),
    ({"ok": True, "value": "x" * 20_000}, "longer than"),
    ({"ok": True, "value": {str(i): i for i in range(2_000)}}, "more than 1000 keys"),
    ({"ok": True, "value": [0] * 300_000}, "more than 200000 values"),
])
def test_each_malformed_result_fails_its_own_probe_only(item, why):
    results = parse_probe_reply(reply([{"ok": True, "value": 8.0}, item]), 2)
    assert results[0] == {"ok": True, "value": 8.0}
    assert results[1]["ok"] is False and results[1]["error"] == INVALID and why in results[1]["message"], results[1]


def test_nesting_beyond_the_bound_is_one_probes_failure():
    text = '[{"ok": true, "value": 1}, {"ok": true, "value": ' + deep_list(100) + "}]"
    (first, second) = parse_probe_reply(reply(text), 2)
    assert first["ok"] and not second["ok"] and "nested more than" in second["message"]


@pytest.mark.parametrize("text", [
    '[{"ok": true, "value": ' + deep_list(10_000) + "}]",  # json.loads: RecursionError
    '[{"ok": true, "value": ' + "9" * 5_000 + "}]",  # more digits than int() reads
    "not json",
    '{"ok": true, "value": 1}',  # not a list
    "[]",  # wrong count
])
def test_unreadable_replies_are_no_results_not_exceptions(text):
    assert parse_probe_reply(reply(text), 1) is None


@pytest.mark.parametrize("shape", [None, {}, {"content": None}, {"content": {"user_expressions": {"result": {"status": "ok", "data": {"text/plain": "((((" * 50_000}}}}}])
def test_replies_without_the_expected_structure_are_none(shape):
    assert parse_probe_reply(shape, 1) is None


def test_nan_and_infinity_become_the_strings_plain_data_uses():
    text = '[{"ok": true, "value": [NaN, Infinity, -Infinity, 1.5]}]'
    (result,) = parse_probe_reply(reply(text), 1)
    assert result == {"ok": True, "value": ["nan", "inf", "-inf", 1.5]}
    assert plain_value({"a": [None, True, "nan"]}) == {"a": [None, True, "nan"]}


PROBE = spec.Probe("x.grad", spec.Close(8.0))
TENSOR_PROBE = spec.Probe("v", spec.Tensor(dtype="float", shape=(3,)))


@pytest.mark.parametrize("observed", [
    {"ok": True},
    {"ok": True, "value": {"type": "tensor"}},  # no dtype, no shape
    {"ok": True, "value": {"type": "tensor", "dtype": 3, "shape": "x", "values": [[1], 2]}},
    {"ok": True, "value": {"type": "list", "items": "abc"}},
    {"ok": True, "value": "nan"},
    {"ok": True, "value": "-inf"},
    "junk",
    ["a", "list"],
])
def test_decide_turns_any_shape_into_a_verdict(observed):
    for probe in (PROBE, TENSOR_PROBE):
        result = decide_probe(probe, observed, None)
        assert result.passed is False and result.message


def test_huge_number_read_from_plain_data_is_infinite_not_an_exception():
    assert spec.numeric(10 ** 400) == ([], [float("inf")])
    assert spec.numeric([1, -(10 ** 400)]) == ([2], [1.0, float("-inf")])
    assert decide_probe(PROBE, {"ok": True, "value": 10 ** 400}, None).passed is False


def test_absorb_marks_only_that_notebook_error_and_names_the_student(caplog, monkeypatch, tmp_path):
    from autograder.grading import grade

    item = spec.Item("q3", 2, (PROBE,))
    run = grade.AssignmentRun("ex01", spec.Assignment("ex01", (item,)), {"ex01.ipynb": [item]},
                              {"mallory": grade.StudentResult("mallory", "ex01", max_score=2)},
                              {("mallory", "ex01.ipynb"): {"q3": [PROBE]}})
    task = Task("mallory", "ex01", "ex01.ipynb", "{}", {"q3": ["x.grad"]})

    def broken(*args):
        raise OverflowError("int too large to convert to float")

    monkeypatch.setattr(grade, "decide_item", broken)
    monkeypatch.setattr(grade.reference, "expected_values", lambda *a: [None])
    with caplog.at_level(logging.WARNING, logger="autograder.grading.grade"):
        grade.absorb(run, task, Outcome("ok", {"q3": [{"ok": True, "value": 1.0}]}), tmp_path)
    result = run.results["mallory"]
    assert result.status == "error" and "ex01.ipynb" in result.detail
    assert [(i.id, i.score) for i in result.items] == [("q3", 0.0)]
    (line,) = [r.getMessage() for r in caplog.records]
    assert "mallory" in line and "ex01" in line and "ex01.ipynb" in line


def test_decide_item_gives_credit_for_the_readable_probes():
    item = spec.Item("q", 2, (PROBE, PROBE))
    result = decide_item(item, [PROBE, PROBE], [{"ok": True, "value": 8.0}, {"ok": True}], [None, None])
    assert result.score == 1.0 and [p.passed for p in result.probes] == [True, False]


# ------------------------------------------------------------------------------------------------
# Sanitize: bounded work


def test_hidden_tests_are_removed_line_by_line():
    source = f"check('q1')\n  {BEGIN_HIDDEN}\nsecret()\n{END_HIDDEN} trailing\nafter()\n{BEGIN_HIDDEN}\nunclosed()"
    assert without_hidden_tests(source) == f"check('q1')\nafter()\n{BEGIN_HIDDEN}\nunclosed()"


def test_a_megabyte_of_begin_lines_is_read_in_well_under_a_second():
    # The regular expression this replaces backtracked from every BEGIN line: 0.58 MB took 2 minutes.
    source = 'check("q1_tensors")\n' + f"{BEGIN_HIDDEN}\n" * 45_000
    assert len(source) > 1_000_000
    started = time.perf_counter()
    assert without_hidden_tests(source) == source.strip()
    assert time.perf_counter() - started < 5  # generous: linear work is milliseconds


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    import submissions as S

    from autograder.cli import ensure_registered
    from autograder.course.generate import ensure_alembic_on_path, generate

    base = tmp_path_factory.mktemp("untrusted")
    root = S.copy_course(base / "course")
    db_url = f"sqlite:///{base / 'gb.db'}"
    ensure_alembic_on_path()
    ensure_registered(root, "ex01", db_url, generate)
    return db_url


def test_sanitize_of_a_pathological_check_cell_is_bounded(gradebook):
    import submissions as S

    from autograder.grading.sanitize import sanitize

    nb = S.replace_source(S.solution(), "q1_tensors", 'check("q1_tensors")\n' + f"{BEGIN_HIDDEN}\n" * 45_000)
    started = time.perf_counter()
    repaired, notes = sanitize(nbformat.writes(nb), db_url=gradebook, assignment="ex01", notebook="ex01", student="x")
    assert time.perf_counter() - started < 5
    assert "q1_tensors: locked cell was edited, restored" in notes
    released = S.cell(S.solution(), "q1_tensors").source
    assert S.cell(repaired, "q1_tensors").source == released and released.count(BEGIN_HIDDEN) <= 1


@pytest.mark.parametrize("change, why", [
    (lambda nb: nb.cells.extend(nbformat.v4.new_code_cell("1") for _ in range(2_001)), "more than 2,000 cells"),
    (lambda nb: nb.cells.append(nbformat.v4.new_code_cell("#" * 2_000_001)), "more than 2,000,000 characters"),
])
def test_oversized_notebooks_are_invalid_before_any_cell_work(gradebook, change, why):
    import submissions as S

    from autograder.grading.sanitize import InvalidSubmission, sanitize

    nb = S.edit(S.solution(), change)
    with pytest.raises(InvalidSubmission, match=why):
        sanitize(nbformat.writes(nb), db_url=gradebook, assignment="ex01", notebook="ex01", student="x")


# ------------------------------------------------------------------------------------------------
# Inert outputs

SCRIPT = "<script>window.pwned = 1</script>"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
GRAPH_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="62pt" height="44pt" '
             'viewBox="0 0 62 44"><g id="graph0" class="graph"><title>%3</title><polygon fill="white" points="0,0 62,0 62,44"/>'
             '<text text-anchor="middle" x="31" y="22">x&#45;&gt;y</text></g></svg>')


def hostile_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell("show()", metadata={"trusted": True, "nbgrader": {"grade_id": "q1_answer"}})
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": SCRIPT, "text/plain": "<IPython.HTML>"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "window.pwned = 1"}),
        nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"},
                                                     "text/markdown": "[x](javascript:alert(1))", "text/latex": "$x$"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": GRAPH_SVG}),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                               metadata={"image/png": {"width": 10, "isolated": True}, "trusted": True}),
        nbformat.v4.new_output("stream", name="stdout", text="plain <b>text</b>\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "8.0"}, execution_count=1),
    ]
    markdown = nbformat.v4.new_markdown_cell(
        "<img src=x onerror=alert(1)> [a](JaVaScRiPt:alert(1)) [b](java\tscript:x) [c](jav&#x61;script:x) "
        "[d](data:text/html,x) [ok](https://example.org) ![pic](attachment:p.png)")
    markdown.attachments = {"p.png": {"image/png": PNG}, "page.html": {"text/html": SCRIPT}, "v.svg": {"image/svg+xml": SCRIPT}}
    raw = nbformat.v4.new_raw_cell(SCRIPT, metadata={"format": "text/html", "raw_mimetype": "text/html"})
    nb.cells = [cell, markdown, raw]
    return nb


def test_active_outputs_are_dropped_and_plain_ones_kept():
    nb = inert.inert_notebook(hostile_notebook())
    outputs = nb.cells[0].outputs
    assert [sorted(o.get("data", {})) for o in outputs] == [
        ["text/plain"], ["text/plain"], ["text/plain"], ["text/plain"], ["image/svg+xml"], ["image/png", "text/plain"], [], ["text/plain"]]
    assert outputs[0].data["text/plain"] == "<IPython.HTML>"  # the object's own text form stays
    assert "application/javascript removed" in outputs[1].data["text/plain"]
    assert outputs[5].data["image/png"] == PNG and outputs[5].metadata == {"image/png": {"width": 10}}
    assert outputs[6].text == "plain <b>text</b>\n" and outputs[7].data["text/plain"] == "8.0"
    svg = outputs[4].data["image/svg+xml"]
    assert "<polygon" in svg and "x-&gt;y" in svg and 'id="' not in svg


def test_no_active_text_survives_anywhere_in_the_written_notebook():
    text = inert.inert_notebook_json(nbformat.writes(hostile_notebook()))
    nb = nbformat.reads(text, as_version=4)
    assert nb.cells[2].source == SCRIPT  # a raw cell's text stays, shown as text: it has no format any more
    text = text.replace(json.dumps(SCRIPT), "")
    text = text.replace(json.dumps(nb.cells[1].source), "")  # the markdown is rendered below
    keys = ("text/html", "application/javascript", "application/vnd.jupyter.widget-view+json", "widgets", "trusted",
            "isolated", "text/markdown", "text/latex")  # as keys of a dict, not as words in a note
    for active in ("<script", "onerror", "onload", "<img", "javascript:", *(f'"{key}":' for key in keys)):
        assert active.lower() not in text.lower(), active
    assert nb.metadata == {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    assert nb.cells[0].metadata == {"nbgrader": {"grade_id": "q1_answer"}}
    assert "[ok](https://example.org)" in nb.cells[1].source and list(nb.cells[1].attachments) == ["p.png"]
    assert "format" not in nb.cells[2].metadata and "raw_mimetype" not in nb.cells[2].metadata


@pytest.mark.parametrize("svg", [
    '<svg xmlns="http://www.w3.org/2000/svg"><title><![CDATA[ ><script>alert(1)</script> ]]></title></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>',
    '<!DOCTYPE svg [<!ENTITY x "<script>">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
    '<svg><rect/></svg>',  # not in the SVG namespace: an HTML parser would not read it as one
])
def test_svg_with_anything_but_shapes_is_dropped_or_rebuilt_inert(svg):
    rebuilt = inert.inert_svg(svg)
    assert rebuilt is None or ("<script" not in rebuilt and "CDATA" not in rebuilt), rebuilt


@pytest.mark.parametrize("markdown", [
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "[a](JaVaScRiPt:alert(1))", "[b](java\tscript:x)",
    "[c](jav&#x61;script:x)", "[c](jav&amp;#x61;script:x)", "[c](&#106;&#97;vascript:x)", "[c](java&Tab;script:x)",
    "[d](data:text/html,x)", "<javascript:alert(1)>", "[e]: vbscript:x\n\n[e]", "&lt;script&gt;x&lt;/script&gt;",
])
def test_markdown_renders_without_tags_or_active_links(markdown):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune  # what nbconvert, and so formgrader, uses

    page = markdown2html_mistune(inert.inert_markdown(markdown)).lower()
    assert "<img" not in page and "<script" not in page
    for href in re.findall(r'href="([^"]*)"', page):
        assert not re.match(r"[\s\x00-\x20]*(javascript|vbscript|data)[\s\x00-\x20]*:", html.unescape(href)), href


def test_markdown_escapes_cannot_be_rebuilt_into_a_scheme():
    assert inert.inert_markdown("[x](javascript:alert(1))") == "[x](javascript-alert(1))"
    assert inert.inert_markdown("<b>&lt;</b> &amp;amp;#106;") == "&lt;b>&lt;&lt;/b> j"


# ------------------------------------------------------------------------------------------------
# CSV and feedback


def test_csv_cells_that_would_be_formulas_are_quoted_and_numbers_stay(tmp_path):
    rows = [{"student_id": "alice", "assignment": "ex01", "score": -1.5, "max_score": 10, "status": "ok",
             "detail": '=HYPERLINK("http://evil","x")', "seconds": 1.0, "notes": "+cmd|' /C calc'!A0", "q1": "-2"},
            {"student_id": "bob", "assignment": "ex01", "score": 3, "max_score": 10, "status": "ok",
             "detail": "@SUM(1)", "seconds": 1.0, "notes": "\t=1+1", "q1": "\r=2"}]
    report.write_csv(tmp_path / "grades.csv", rows, ["q1"])
    got = {r["student_id"]: r for r in csv.DictReader(open(tmp_path / "grades.csv", newline="", encoding="utf-8"))}
    assert got["alice"]["detail"] == "'=HYPERLINK(\"http://evil\",\"x\")" and got["alice"]["notes"] == "'+cmd|' /C calc'!A0"
    assert (got["alice"]["score"], got["alice"]["q1"]) == ("-1.5", "-2")
    assert (got["bob"]["detail"], got["bob"]["notes"], got["bob"]["q1"]) == ("'@SUM(1)", "'\t=1+1", "'\r=2")


def test_feedback_html_escapes_everything_from_the_student():
    probe = SimpleNamespace(hidden=False, expr="<script>e()</script>", passed=False, message="<img src=x onerror=m()>",
                            hint="<svg onload=h()>")
    item = SimpleNamespace(passed=False, id="q1", title="<b>t</b>", score=0, points=1, probes=[probe])
    result = SimpleNamespace(assignment="ex01", student="alice", score=0, max_score=1, status="ok",
                             detail="<iframe src=javascript:d()>", notes=["<script>n()</script>"], items=[item])
    page = report.feedback_html(result)
    for raw in ("<script", "<img", "<svg", "<iframe", "<b>t"):
        assert raw not in page, raw
    assert "&lt;script&gt;n()&lt;/script&gt;" in page and "&lt;img src=x onerror=m()&gt;" in page


def test_export_rows_of_text_keep_numbers_and_quote_formulas():
    # `autograder export` reads nbgrader's CSV back as text: "-1.5" is still a number there.
    row = {"student_id": "alice", "score": "-1.5", "max_score": "10.0", "detail": "-cmd", "status": "=1+1", "empty": ""}
    assert report.spreadsheet_safe(row) == {"student_id": "alice", "score": "-1.5", "max_score": "10.0",
                                            "detail": "'-cmd", "status": "'=1+1", "empty": ""}
