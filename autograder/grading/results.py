"""Each graded submission's result, kept beside nbgrader's autograded notebook as JSON.

The gradebook holds the scores; this file keeps what nbgrader has no place for (the status and
why, every probe's verdict and hint, the tampering notes), so feedback can be re-rendered and
exports can say why a score is what it is.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.decide import ItemResult, ProbeResult

FILE = "result.json"

STATUS_ORDER = ["ok", "timeout", "error", "crashed", "invalid", "missing"]  # later = worse


@dataclass
class StudentResult:
    student: str
    assignment: str
    status: str = "ok"
    score: float = 0.0
    max_score: float = 0.0
    items: list[ItemResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    detail: str = ""
    seconds: float = 0.0
    review: str = ""  # for the instructor only, never in feedback: integrity.REVIEW and what was seen

    def worsen(self, status: str, detail: str) -> None:
        if STATUS_ORDER.index(status) > STATUS_ORDER.index(self.status):
            self.status = status
        self.detail = "; ".join(d for d in (self.detail, detail) if d)

    def row(self, prefix: str = "") -> dict:
        row = {"student_id": self.student, "assignment": self.assignment, "score": round(self.score, 4),
               "max_score": self.max_score, "status": self.status, "detail": self.detail, "seconds": round(self.seconds, 2),
               "notes": "; ".join(self.notes), "review": self.review}
        row.update({prefix + item.id: item.score for item in self.items})
        return row


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
