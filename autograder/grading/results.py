"""Each graded submission's result, kept beside nbgrader's autograded notebook as JSON.

The gradebook holds the scores; this file keeps what nbgrader has no place for (the status and
why, every probe's verdict and hint, the tampering notes), so feedback can be re-rendered and
exports can say why a score is what it is.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from .decide import ItemResult, ProbeResult

FILE = "result.json"


def path(root: Path, student: str, assignment: str) -> Path:
    return root / "autograded" / student / assignment / FILE


def save(root: Path, result) -> None:
    """Written atomically by the trusted process; a student's symlink is replaced, never followed."""
    target = path(root, result.student, result.assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(result), indent=1), encoding="utf-8")
    os.replace(partial, target)


def load(root: Path, student: str, assignment: str):
    from .grade import StudentResult

    data = json.loads(path(root, student, assignment).read_text(encoding="utf-8"))
    items = [ItemResult(**{**item, "probes": [ProbeResult(**p) for p in item["probes"]]}) for item in data.pop("items")]
    return StudentResult(**data, items=items)


def status(root: Path, student: str, assignment: str) -> tuple[str, str]:
    """(status, detail) of the last grading run, or ("missing", ...) if it never ran."""
    try:
        data = json.loads(path(root, student, assignment).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "missing", "not graded (no submission)"
    return data["status"], data["detail"]
