"""One warm sandboxed worker for a test module, as a pool worker serves a batch, and what tests read off it."""

from __future__ import annotations

import os

import nbformat
import pytest

from autograder.grading.execute import Outcome, Task
from autograder.sandbox import executors
from autograder.sandbox.bubblewrap import GIB, Limits, unavailable_reason

LIMITS = Limits(memory=3 * GIB, file_size=64 << 20, processes=128)
needs_sandbox = pytest.mark.skipif(unavailable_reason() is not None, reason=f"no sandbox here: {unavailable_reason()}")


def close_worker() -> None:
    """End this process's warm worker, so the next module starts its own."""
    if executors._server is not None:
        executors._server.close()
        executors._server = None


def run_on_worker(*cells: str, probes: dict | None = None, cell_timeout: int = 10,
                  notebook_timeout: int = 60) -> tuple[Outcome, str]:
    """Run ``cells`` (then a check cell per probed item) on this process's warm worker."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    for grade_id in probes or {}:
        check = nbformat.v4.new_code_cell(f"check({grade_id!r})")
        check.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": 1}
        nb.cells.append(check)
    task = Task("student", "sandbox", "t.ipynb", nbformat.writes(nb), probes or {}, cell_timeout, notebook_timeout)
    outcome = executors.run_warm(task, LIMITS)
    return outcome, outputs_text(outcome.nb_json)


def outputs_text(nb_json: str) -> str:
    cells = nbformat.reads(nb_json, as_version=4).cells if nb_json else []
    return "\n".join(out.get("text", "") or f"{out.get('ename', '')}: {out.get('evalue', '')}"
                     for cell in cells for out in cell.get("outputs", []))


def host_processes_of(uid: int) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                found.append(int(pid))
        except FileNotFoundError:
            pass
    return found
