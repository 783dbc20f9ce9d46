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


BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# Bounds checked before any per-cell work: a submission is one student's notebook, not a data dump.
MAX_NOTEBOOK_CHARS = 20_000_000
MAX_CELLS = 2_000
MAX_CELL_CHARS = 2_000_000


def without_hidden_tests(source: str) -> str:
    """A check cell's source as released: the gradebook keeps the hidden tests, students never see them.

    Read line by line, in one pass: each ``### BEGIN HIDDEN TESTS`` line up to the next ``### END
    HIDDEN TESTS`` line goes; a BEGIN with no END after it removes nothing. (A regular expression
    did the same by backtracking from every BEGIN line: quadratic in a cell of many such lines.)
    """
    kept, block = [], None
    for line in source.split("\n"):
        marker = line.lstrip(" \t")
        if block is None and marker.startswith(BEGIN_HIDDEN):
            block = [line]
        elif block is not None:
            block.append(line)
            if marker.startswith(END_HIDDEN):
                block = None
        else:
            kept.append(line)
    kept += block or []
    return "\n".join(kept).strip()


def check_size(nb_text: str, nb) -> None:
    """Raise InvalidSubmission for a notebook too large to be a student's work."""
    if len(nb_text) > MAX_NOTEBOOK_CHARS:
        raise InvalidSubmission(f"larger than {MAX_NOTEBOOK_CHARS:,} characters")
    if len(nb.cells) > MAX_CELLS:
        raise InvalidSubmission(f"more than {MAX_CELLS:,} cells")
    for index, cell in enumerate(nb.cells):
        source = cell.get("source", "")
        size = len(source) if isinstance(source, str) else sum(len(s) for s in source if isinstance(s, str))
        if size > MAX_CELL_CHARS:
            raise InvalidSubmission(f"cell {index} holds more than {MAX_CELL_CHARS:,} characters")


def locked_cells(nb) -> dict[str, str]:
    """grade_id -> source of every locked or check cell in ``nb``."""
    cells = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") or (meta.get("grade") and not meta.get("solution")):
            cells.setdefault(meta.get("grade_id"), cell.source)
    return cells


def released_metadata(gb, notebook: str, assignment: str) -> dict[str, dict]:
    """grade_id -> the cell type and nbgrader flags the instructor released, from the gradebook."""
    source = gb.find_notebook(notebook, assignment)
    grade = {c.name: c.max_score for c in source.grade_cells}
    solution = {c.name for c in source.solution_cells}
    task = {c.name for c in source.task_cells}
    released = {}
    for cell in source.source_cells:
        meta = {"grade": cell.name in grade, "grade_id": cell.name, "locked": bool(cell.locked),
                "schema_version": 3, "solution": cell.name in solution, "task": cell.name in task}
        if cell.name in grade:
            meta["points"] = float(grade[cell.name])
        released[cell.name] = {"cell_type": cell.cell_type, "nbgrader": meta, "source": cell.source}
    return released


FLAGS = ("grade", "solution", "locked", "task", "points")


def restore_metadata(nb, released: dict[str, dict]) -> list[str]:
    """Put back the released cell type and nbgrader flags of every known cell; what changed, in words.

    nbgrader's OverwriteCells restores points and the locked flag but not a removed grade or an added
    solution flag (its checksum test then rejects the whole notebook), so the flags are reset here first.
    """
    notes = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta or meta.get("grade_id") not in released:
            continue
        want = released[meta["grade_id"]]
        changed = [k for k in FLAGS if _flag(meta, k) != _flag(want["nbgrader"], k)]
        if cell.cell_type != want["cell_type"]:
            changed.append("cell type")
            cell.cell_type = want["cell_type"]
            if want["cell_type"] == "code":
                cell.setdefault("outputs", [])
                cell.setdefault("execution_count", None)
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
        if changed:
            notes.append(f"{meta['grade_id']}: grading metadata was changed ({', '.join(changed)}), restored")
        kept = {k: v for k, v in meta.items() if k not in FLAGS}
        cell.metadata["nbgrader"] = {**kept, **want["nbgrader"]}
    return notes


def _flag(meta: dict, key: str):
    value = meta.get(key, 0 if key == "points" else False)
    if key == "points":
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return bool(value)


def drop_duplicates(nb) -> None:
    """Keep the last cell of each grade_id, as nbgrader's DeduplicateIds does, but remove the others'
    metadata entirely: DeduplicateIds leaves an empty ``nbgrader`` dict that OverwriteCells then fails on."""
    seen = set()
    for cell in reversed(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta:
            continue
        if meta.get("grade_id") in seen:
            del cell.metadata["nbgrader"]
        else:
            seen.add(meta.get("grade_id"))


def sanitize(nb_text: str, *, db_url: str, assignment: str, notebook: str, student: str):
    """(sanitized notebook, list of tampering notes) or raise InvalidSubmission."""
    if len(nb_text) > MAX_NOTEBOOK_CHARS:  # before parsing: nothing unbounded reaches nbformat
        raise InvalidSubmission(f"larger than {MAX_NOTEBOOK_CHARS:,} characters")
    try:
        nb = nbformat.reads(nb_text, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the same verdict
        raise InvalidSubmission(f"not a readable notebook: {type(error).__name__}: {str(error)[:200]}") from None
    if not isinstance(nb.get("cells"), list) or not all(isinstance(c, dict) for c in nb.cells):
        raise InvalidSubmission("not a readable notebook: no list of cells")
    check_size(nb_text, nb)
    with Gradebook(db_url) as gb:
        released_cells = released_metadata(gb, notebook, assignment)
        source = gb.find_notebook(notebook, assignment)
        released = {c.name: c.source for c in source.source_cells if c.locked}
        known = {c.name for c in source.source_cells} | {c.name for c in source.grade_cells}
    notes = []
    for cell in nb.cells:
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = nbformat.NotebookNode()
        if "nbgrader" not in cell.metadata:
            continue
        meta = cell.metadata["nbgrader"]
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(grade_id, str) or grade_id not in known:
            notes.append(f"removed grading metadata from an unknown cell {str(grade_id)[:40]!r}")
            del cell.metadata["nbgrader"]
    notes += restore_metadata(nb, released_cells)
    submitted = locked_cells(nb)
    ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells]
    for grade_id, text in released.items():
        if grade_id not in submitted:
            notes.append(f"{grade_id}: cell was missing, re-added")
        elif without_hidden_tests(submitted[grade_id]) != without_hidden_tests(text):
            notes.append(f"{grade_id}: locked cell was edited, restored")
        if ids.count(grade_id) > 1:
            notes.append(f"{grade_id}: cell was duplicated, extra copies ignored")
    drop_duplicates(nb)
    order = [gid for gid in released_cells if gid in ids]  # the gradebook lists source cells in notebook order
    seen = list(dict.fromkeys(gid for gid in reversed(ids) if gid in released_cells))[::-1]  # the copies nbgrader keeps
    if seen != order:
        notes.append("cells were moved out of the released order; each check was graded where it stands")
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
    for index, cell in enumerate(nb.cells):  # cells nbgrader re-added come without an id
        if not cell.get("id"):
            cell["id"] = f"restored-{index}"
    return nbformat.from_dict(nb), notes  # re-added cells are plain dicts: make them NotebookNodes too
