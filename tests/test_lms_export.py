"""`autograder export --format canvas|moodle`: the layouts those LMSs import, from a real nbgrader gradebook."""

from __future__ import annotations

import csv

import pytest
from test_hostile import ASSIGNMENT, course_copy

from autograder import cli
from autograder.decide import ItemResult
from autograder.grading import record


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """ex01 graded for two students (one with a name that is a formula), a third enrolled with nothing graded."""
    from nbgrader.api import Gradebook

    base = tmp_path_factory.mktemp("lms")
    root, db_url = course_copy(base)
    record.record(db_url, ASSIGNMENT, "ann", "ex01", [ItemResult("q1_tensors", "", 0.25, 0.25),
                                                      ItemResult("q4_derivative_at", "", 7.5, 7.5)])
    record.record(db_url, ASSIGNMENT, "bob", "ex01", [ItemResult("q4_derivative_at", "", 7.5, 3.0)])
    with Gradebook(db_url) as gb:
        gb.update_or_create_student("ann", first_name="Ann", last_name="Lee")
        gb.update_or_create_student("bob", first_name="=HYPERLINK(\"http://x\")", last_name="")
        gb.update_or_create_student("cy")
    return root, db_url


def export(gradebook, monkeypatch, tmp_path, *args) -> tuple[list[str], list[dict]]:
    root, db_url = gradebook
    monkeypatch.chdir(root)
    out = tmp_path / "lms.csv"
    assert cli.main(["export", "--db-url", db_url, "--out", str(out), *args]) == 0
    with open(out, encoding="utf-8") as f:
        header = next(csv.reader(f))
    return header, list(csv.DictReader(open(out, encoding="utf-8")))


def test_canvas_layout(gradebook, monkeypatch, tmp_path):
    header, rows = export(gradebook, monkeypatch, tmp_path, "--format", "canvas", "--lms-id", "ex01=4711")
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == ["ex01 (4711)"]  # each assignment in the gradebook, headed with its Canvas id
    by_login = {r["SIS Login ID"]: r for r in rows}
    assert set(by_login) == {"ann", "bob", "cy"}
    assert (by_login["ann"]["Student"], float(by_login["ann"]["ex01 (4711)"])) == ("Lee, Ann", 7.75)
    assert float(by_login["bob"]["ex01 (4711)"]) == 3.0
    assert by_login["cy"]["ex01 (4711)"] == ""  # nothing graded: left unchanged by the import
    assert by_login["bob"]["Student"] == "'=HYPERLINK(\"http://x\")"  # never a formula in a spreadsheet


def test_canvas_can_match_on_the_sis_user_id(gradebook, monkeypatch, tmp_path):
    _, rows = export(gradebook, monkeypatch, tmp_path, "--format", "canvas", "--id-column", "SIS User ID")
    assert {r["SIS User ID"] for r in rows} == {"ann", "bob", "cy"} and {r["SIS Login ID"] for r in rows} == {""}


def test_moodle_layout(gradebook, monkeypatch, tmp_path):
    header, rows = export(gradebook, monkeypatch, tmp_path, "--format", "moodle", "--id-column", "Email address")
    assert header[0] == "Email address" and "ex01" in header
    scores = {r["Email address"]: r["ex01"] for r in rows}
    assert (float(scores["ann"]), float(scores["bob"]), scores["cy"]) == (7.75, 3.0, "")


def test_an_id_column_the_lms_cannot_match_is_refused(gradebook, monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="Moodle maps one of"):
        export(gradebook, monkeypatch, tmp_path, "--format", "moodle", "--id-column", "Student")
