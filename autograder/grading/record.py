"""Write decided grades into nbgrader's gradebook, idempotently, from the trusted process only.

Any SQLAlchemy URL works (``sqlite:///…``, ``postgresql+psycopg://…``). Each call is one short
transaction, so several grading batches can record into one server gradebook at once; a write that
loses a race (two batches adding the same student, SQLite's "database is locked") is retried whole.
A grade an instructor set by hand in formgrader (nbgrader's ``manual_score``) is never overwritten.
"""

from __future__ import annotations

import logging
import random
import time
import warnings

from nbgrader.api import Gradebook, InvalidEntry, MissingEntry
from sqlalchemy.exc import IntegrityError, OperationalError, SAWarning

from autograder.decide import ItemResult

LOG = logging.getLogger(__name__)
ATTEMPTS = 8
RACES = (IntegrityError, OperationalError, InvalidEntry)


def retried(write):
    """Run ``write()`` again (after a short random pause) when it lost a race with another writer."""
    for attempt in range(ATTEMPTS):
        try:
            return write()
        except RACES as error:
            if attempt == ATTEMPTS - 1:
                raise
            LOG.info("gradebook write retried after %s: %s", type(error).__name__, str(error).splitlines()[0][:200])
            time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))


def record(db_url: str, assignment: str, student: str, notebook: str, items: list[ItemResult]) -> dict[str, float]:
    """Set the auto scores of ``student``'s submission (created if needed; re-runs overwrite).

    Returns {item id: score} of the grades an instructor set by hand, which were left as they are.
    """
    return retried(lambda: _record_once(db_url, assignment, student, notebook, items))


def _record_once(db_url: str, assignment: str, student: str, notebook: str, items: list[ItemResult]) -> dict[str, float]:
    kept = {}
    with Gradebook(db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission trips SQLAlchemy's autoflush notice
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)
        for item in items:
            grade = gb.find_grade(item.id, notebook, assignment, student)
            if grade.manual_score is not None:  # formgrader's hand-set score wins over any re-run
                kept[item.id] = float(grade.manual_score)
                continue
            grade.auto_score = item.score
            grade.needs_manual_grade = False
        gb.db.commit()
    return kept


def remove(db_url: str, assignment: str, student: str) -> dict[str, float]:
    """Forget a submission (a missing or unreadable notebook); the student stays listed, so exports show them.

    A submission holding a grade set by hand is kept whole; returns {item id: score} of those grades.
    """
    return retried(lambda: _remove_once(db_url, assignment, student))


def _remove_once(db_url: str, assignment: str, student: str) -> dict[str, float]:
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        kept = {g.name: float(g.manual_score) for nb in submission.notebooks for g in nb.grades if g.manual_score is not None}
        if not kept:
            gb.remove_submission(assignment, student)
        return kept
