"""Write decided grades into nbgrader's gradebook, idempotently, from the trusted process only."""

from __future__ import annotations

import warnings

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from autograder.decide import ItemResult


def record(db_url: str, assignment: str, student: str, notebook: str, items: list[ItemResult]) -> None:
    """Set the auto scores of ``student``'s submission (created if needed; re-runs overwrite)."""
    with Gradebook(db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission trips SQLAlchemy's autoflush notice
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)
        for item in items:
            grade = gb.find_grade(item.id, notebook, assignment, student)
            grade.auto_score = item.score
            grade.needs_manual_grade = False
        gb.db.commit()


def remove(db_url: str, assignment: str, student: str) -> None:
    """Forget a submission (a missing or unreadable notebook); the student stays listed, so exports show them."""
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
