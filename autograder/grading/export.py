"""The gradebook as the CSV files that Canvas and Moodle import: one row per student, one column per assignment.

Canvas (Instructor Guide, "How do I import grades in the Gradebook?",
https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):
the columns Student, ID, SIS User ID, SIS Login ID and Section come first and identify the student
(Canvas matches on one of the id columns); each assignment is a column headed "<name> (<Canvas
assignment id>)", and a header without an id makes Canvas create a new assignment.

Moodle (Grades > Import > CSV file; moodle/moodle grade/import/csv/classes/load_data.php,
map_user_data_with_value): the instructor maps one column to a user field (user id, username,
ID number or email address) and each other column to a grade item, so the headers are free text:
an identifier column ("ID number" by default) and one column per assignment.

Every text goes through report.spreadsheet_safe (a name such as "=cmd|..." never runs as a formula).
A submission with no grade yet is an empty cell, which both LMSs leave unchanged.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.grading.report import spreadsheet_safe

CANVAS_ID_COLUMNS = ("ID", "SIS User ID", "SIS Login ID")
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_ID_COLUMNS = ("ID number", "Email address", "Username", "User ID")


def gradebook_scores(db_url: str) -> tuple[list[str], list[dict]]:
    """(assignment names, one dict per student: id, name, and {assignment: score or None})."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        assignments = sorted(a.name for a in gb.assignments)
        students = []
        for student in sorted(gb.students, key=lambda s: s.id):
            scores = {}
            for name in assignments:
                try:
                    scores[name] = round(gb.find_submission(name, student.id).score, 4)
                except MissingEntry:
                    scores[name] = None
            students.append({"id": student.id, "name": display_name(student), "scores": scores})
    return assignments, students


def display_name(student) -> str:
    """'Last, First' as Canvas shows it, or the id where the gradebook has no name."""
    names = [n for n in (student.last_name, student.first_name) if n]
    return ", ".join(names) or student.id


def canvas_header(assignment: str, lms_ids: dict[str, str]) -> str:
    return f"{assignment} ({lms_ids[assignment]})" if assignment in lms_ids else assignment


def canvas_rows(assignments: list[str], students: list[dict], id_column: str = "SIS Login ID",
                lms_ids: dict[str, str] | None = None) -> tuple[list[str], list[dict]]:
    if id_column not in CANVAS_ID_COLUMNS:
        raise ValueError(f"Canvas matches students on one of {', '.join(CANVAS_ID_COLUMNS)}, not {id_column!r}")
    headers = {a: canvas_header(a, lms_ids or {}) for a in assignments}
    rows = []
    for student in students:
        row = dict.fromkeys(CANVAS_STUDENT_COLUMNS, "")
        row.update({"Student": student["name"], id_column: student["id"]})
        row.update({headers[a]: cell(student["scores"][a]) for a in assignments})
        rows.append(row)
    return CANVAS_STUDENT_COLUMNS + list(headers.values()), rows


def moodle_rows(assignments: list[str], students: list[dict], id_column: str = "ID number") -> tuple[list[str], list[dict]]:
    if id_column not in MOODLE_ID_COLUMNS:
        raise ValueError(f"Moodle maps one of {', '.join(MOODLE_ID_COLUMNS)} to its users, not {id_column!r}")
    rows = [{id_column: s["id"], **{a: cell(s["scores"][a]) for a in assignments}} for s in students]
    return [id_column, *assignments], rows


def cell(score: float | None):
    return "" if score is None else score


def write(path: Path, fields: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(spreadsheet_safe(row) for row in rows)


def export_lms(db_url: str, out: Path, lms: str, id_column: str | None = None,
               lms_ids: dict[str, str] | None = None) -> int:
    """Write ``out`` in the layout ``lms`` ("canvas" or "moodle") imports; returns the number of students."""
    assignments, students = gradebook_scores(db_url)
    if lms == "canvas":
        fields, rows = canvas_rows(assignments, students, id_column or "SIS Login ID", lms_ids)
    else:
        fields, rows = moodle_rows(assignments, students, id_column or "ID number")
    write(out, fields, rows)
    return len(rows)
