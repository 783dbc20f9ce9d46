"""Gather submissions into ``<submissions>/<student_id>/<notebook>.ipynb``, from a folder or an LMS zip.

An LMS download is a flat list of files whose names carry the student id, e.g. Canvas's
``alice_12345_67890_ex01.ipynb``; ``--id-pattern`` says how to read it. Nothing is dropped
silently: files that match no student, or a second file for the same student and notebook,
are listed in the report.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .cli import DEFAULT_ID_PATTERN
from .grade import STUDENT_ID


@dataclass
class CollectReport:
    collected: dict[str, str] = field(default_factory=dict)  # student -> source name
    unknown: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"collected {len(self.collected)} submission(s)"]
        out += [f"unknown file (no student id or not a notebook): {name}" for name in self.unknown]
        out += [f"duplicate: {text}" for text in self.duplicates]
        return out


def entries(source: Path) -> list[tuple[str, bytes]]:
    """(relative name, content) of every file in a folder or zip; directories skipped."""
    if source.is_dir():
        return [(str(p.relative_to(source)), p.read_bytes()) for p in sorted(source.rglob("*"))
                if p.is_file() and not p.is_symlink()]
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            return [(info.filename, archive.read(info)) for info in archive.infolist()
                    if not info.is_dir() and not info.filename.startswith("__MACOSX/")]
    raise SystemExit(f"error: {source} is neither a folder nor a zip file")


def student_of(name: str, pattern: re.Pattern) -> str | None:
    """The student id in ``name``: a ``<student>/...`` folder, or else the id pattern on the file name."""
    parts = PurePosixPath(name).parts
    if len(parts) >= 2 and STUDENT_ID.match(parts[0]):
        return parts[0]
    match = pattern.search(parts[-1])
    student = match.group("student") if match else None
    return student if student and STUDENT_ID.match(student) else None


def collect(assignment: str, source: Path, submissions: Path, notebooks: list[str],
            id_pattern: str = DEFAULT_ID_PATTERN) -> CollectReport:
    """Copy each student's notebook(s) for ``assignment`` into ``submissions``."""
    pattern = re.compile(id_pattern)
    report = CollectReport()
    seen: dict[tuple[str, str], str] = {}
    for name, content in entries(source):
        student = student_of(name, pattern)
        notebook = next((nb for nb in notebooks if name.endswith(nb) or name.endswith(nb.replace(".ipynb", "") + ".ipynb")), None)
        if notebook is None and len(notebooks) == 1 and name.endswith(".ipynb"):
            notebook = notebooks[0]  # LMSs rename files; one notebook per assignment is unambiguous
        if student is None or notebook is None:
            report.unknown.append(name)
            continue
        if (student, notebook) in seen:
            report.duplicates.append(f"{student}/{notebook}: kept {seen[(student, notebook)]}, ignored {name}")
            continue
        seen[(student, notebook)] = name
        target = submissions / student / notebook
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        target.write_bytes(content)
        report.collected[student] = name
    return report


