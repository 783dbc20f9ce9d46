"""Put a submitted notebook back into the shape the instructor released, with nbgrader's own parts.

Check cells and locked cells are restored from the gradebook, deleted ones re-added, duplicated
ids removed; what was changed is reported, so an instructor sees tampering instead of a grade
that silently moved.
"""

from __future__ import annotations

import logging

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    OverwriteCells,
    OverwriteKernelspec,
)

PIPELINE = (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata)


class InvalidSubmission(Exception):
    """The file is not a notebook nbgrader can read or repair."""


def locked_cells(nb) -> dict[str, str]:
    """grade_id -> source of every locked or check cell in ``nb``."""
    cells = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") or (meta.get("grade") and not meta.get("solution")):
            cells.setdefault(meta.get("grade_id"), cell.source)
    return cells


def sanitize(nb_text: str, *, db_url: str, assignment: str, notebook: str, student: str):
    """(sanitized notebook, list of tampering notes) or raise InvalidSubmission."""
    try:
        nb = nbformat.reads(nb_text, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the same verdict
        raise InvalidSubmission(f"not a readable notebook: {type(error).__name__}: {str(error)[:200]}") from None
    with Gradebook(db_url) as gb:
        source = gb.find_notebook(notebook, assignment)
        released = {c.name: c.source for c in source.source_cells if c.locked}
        known = {c.name for c in source.source_cells} | {c.name for c in source.grade_cells}
    notes = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and meta.get("grade_id") not in known:
            notes.append(f"removed grading metadata from an unknown cell {meta.get('grade_id')!r}")
            del cell.metadata["nbgrader"]
    submitted = locked_cells(nb)
    ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells]
    for grade_id, text in released.items():
        if grade_id not in submitted:
            notes.append(f"{grade_id}: cell was missing, re-added")
        elif submitted[grade_id] != text:
            notes.append(f"{grade_id}: locked cell was edited, restored")
        if ids.count(grade_id) > 1:
            notes.append(f"{grade_id}: cell was duplicated, extra copies ignored")
    resources = {"nbgrader": {"db_url": db_url, "assignment": assignment, "notebook": notebook, "student": student}}
    quiet = logging.getLogger("sanitize")
    quiet.setLevel(logging.ERROR)
    try:
        for step in PIPELINE:
            preprocessor = step(add_missing_cells=True) if step is OverwriteCells else step()
            preprocessor.log = quiet
            nb, resources = preprocessor.preprocess(nb, resources)
    except Exception as error:  # noqa: BLE001
        raise InvalidSubmission(f"nbgrader could not repair it: {type(error).__name__}: {str(error)[:200]}") from None
    return nb, notes
