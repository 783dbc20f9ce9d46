"""Which submissions a killed batch already recorded, so ``autograder grade --resume`` skips them.

A student's assignment counts as recorded once its grades are in the gradebook and its result is
stored; only then is a marker written beside the stored result, holding a fingerprint of what
was graded: the submitted files' bytes, the course secret and the time limits. A resubmission, a
new secret or other limits change the fingerprint, so a stale result is never reused.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from autograder.grading import results as results_store

MARKER = "recorded"


def fingerprint(folder: Path, notebooks: list[str], course_secret: str, limits: tuple) -> str:
    digest = hashlib.sha256()
    digest.update(repr((hashlib.sha256(course_secret.encode()).hexdigest(), limits)).encode())
    for name in sorted(notebooks):
        digest.update(name.encode() + b"\0" + _file_state(folder / name) + b"\0")
    return digest.hexdigest()


def _file_state(path: Path) -> bytes:
    if path.is_symlink() or folder_is_symlink(path):
        return b"symlink"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest().encode()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return b"absent"


def folder_is_symlink(path: Path) -> bool:
    return path.parent.is_symlink()


def marker_path(root: Path, student: str, assignment: str) -> Path:
    return results_store.path(root, student, assignment).with_name(MARKER)


def mark_recorded(root: Path, student: str, assignment: str, print_: str) -> None:
    """Written last, atomically, after the gradebook and the stored result (a student's symlink is replaced)."""
    target = marker_path(root, student, assignment)
    partial = target.with_name(MARKER + ".partial")
    partial.write_text(print_, encoding="utf-8")
    os.replace(partial, target)


def recorded_result(root: Path, student: str, assignment: str, print_: str):
    """The stored result if this exact submission was recorded before, else None."""
    marker = marker_path(root, student, assignment)
    if marker.is_symlink() or not marker.is_file() or marker.read_text(encoding="utf-8") != print_:
        return None
    try:
        return results_store.load(root, student, assignment)
    except (OSError, ValueError, TypeError, KeyError):  # unreadable: grade it again
        return None
