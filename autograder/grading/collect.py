"""Gather submissions into ``<submissions>/<student_id>/<notebook>.ipynb``, from a folder or an LMS zip.

Who a file belongs to comes from what the LMS controls, never from a name the student chose:

- a folder per student, as Moodle makes it (``Full Name_12345_assignsubmission_file_/any.ipynb``):
  the id is the participant number in the folder's name (``--folder-pattern``); in a plain
  ``<student_id>/...`` folder, the folder's name. A file name inside a folder is never read for an id.
- a flat list of files, as Canvas makes it (``alice_12345_67890_ex01.ipynb``): the id pattern on
  the file name's LMS-made prefix (``--id-pattern``).

Zips are streamed entry by entry, with caps on each entry's size, the total and the count;
absolute paths, ``..``, links and other special entries are refused. Nothing is dropped
silently: refused entries, unknown files and every file of a conflict are listed in the report.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from autograder.grading.ids import DEFAULT_FOLDER_PATTERN, DEFAULT_ID_PATTERN, STUDENT_ID

MAX_ENTRY_BYTES = 20_000_000  # what `grade` accepts for one notebook
MAX_TOTAL_BYTES = 2_000_000_000
MAX_ENTRIES = 20_000
CHUNK = 1 << 20


@dataclass
class CollectReport:
    collected: dict[str, str] = field(default_factory=dict)  # student -> source name
    unknown: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "name: why"

    def lines(self) -> list[str]:
        out = [f"collected {len(self.collected)} submission(s)"]
        out += [f"refused: {text}" for text in self.refused]
        out += [f"unknown file (no student id or not a notebook): {name}" for name in self.unknown]
        out += [f"duplicate: {text}" for text in self.duplicates]
        return out


class Refused(Exception):
    """An entry that is not copied, and why."""


@dataclass
class Entry:
    """One file in the source: its name there and a way to stream it (never read whole)."""

    name: str
    size: int
    open: Callable[[], BinaryIO]


def refusal(name: str) -> str | None:
    """Why ``name`` (a path inside a zip) cannot be a submission's path, or None if it can."""
    if "\\" in name or "\x00" in name:
        return "backslash or NUL in the name"
    path = PurePosixPath(name)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if ".." in path.parts:
        return "path goes up with '..'"
    return None


def declared_entries(source: Path) -> int | None:
    """How many entries the zip's end record declares, read before its directory is loaded whole."""
    with open(source, "rb") as f:
        end = zipfile._EndRecData(f)  # the standard library's own reader of that record
    return end[zipfile._ECD_ENTRIES_TOTAL] if end else None


def zip_entries(source: Path, report: CollectReport) -> Iterator[Entry]:
    count = declared_entries(source)
    if count is not None and count > MAX_ENTRIES:
        report.refused.append(f"{source.name}: declares {count:,} entries, over the cap of {MAX_ENTRIES:,}; nothing was read")
        return
    with zipfile.ZipFile(source) as archive:
        total = 0
        for info in archive.infolist()[:MAX_ENTRIES]:
            if info.is_dir() or info.filename.startswith("__MACOSX/"):
                continue
            mode = info.external_attr >> 16
            why = refusal(info.filename)
            if why is None and stat.S_ISLNK(mode):
                why = "a symbolic link"
            elif why is None and mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                why = "not a regular file"
            elif why is None and info.file_size > MAX_ENTRY_BYTES:
                why = f"declares {info.file_size:,} bytes, over the {MAX_ENTRY_BYTES:,}-byte cap"
            elif why is None and total + info.file_size > MAX_TOTAL_BYTES:
                why = f"the zip's entries add up to more than {MAX_TOTAL_BYTES:,} bytes"
            if why:
                report.refused.append(f"{info.filename}: {why}")
                continue
            total += info.file_size
            yield Entry(info.filename, info.file_size, lambda info=info: archive.open(info))


def folder_entries(source: Path, report: CollectReport) -> Iterator[Entry]:
    for path in sorted(source.rglob("*")):
        name = str(path.relative_to(source))
        if path.is_symlink():
            report.refused.append(f"{name}: a symbolic link")
        elif path.is_file():
            yield Entry(name, path.stat().st_size, lambda path=path: open(path, "rb"))
        elif not path.is_dir():
            report.refused.append(f"{name}: not a regular file")


@contextmanager
def entries(source: Path, report: CollectReport) -> Iterator[Iterator[Entry]]:
    """Every file in a folder or zip that may be read, in order; refusals go to ``report``."""
    if source.is_dir():
        yield folder_entries(source, report)
    elif zipfile.is_zipfile(source):
        yield zip_entries(source, report)
    else:
        raise SystemExit(f"error: {source} is neither a folder nor a zip file")


def student_of(name: str, id_pattern: re.Pattern, folder_pattern: re.Pattern) -> str | None:
    """The student id of the file ``name``, from the LMS's per-student folder or, for a file at the
    top level only, from the LMS's prefix of its name."""
    parts = PurePosixPath(name).parts
    folders = parts[:-1]
    for folder in folders:  # a course-wide top folder may come first
        match = folder_pattern.search(folder)
        if match:
            return _valid(match.group("student"))
    if folders:
        return _valid(folders[0])
    match = id_pattern.search(parts[-1])
    return _valid(match.group("student")) if match else None


def _valid(student: str | None) -> str | None:
    return student if student and STUDENT_ID.match(student) else None


def notebook_of(name: str, notebooks: list[str]) -> str | None:
    """Which of the assignment's notebooks the file ``name`` is."""
    if not name.endswith(".ipynb"):
        return None
    base = PurePosixPath(name).name
    found = next((nb for nb in notebooks if base.endswith(nb)), None)
    if found is None and len(notebooks) == 1:
        found = notebooks[0]  # LMSs rename files; one notebook per assignment is unambiguous
    return found


def copy_capped(source: BinaryIO, target: Path) -> None:
    """Stream ``source`` into ``target`` (replacing a symlink, never following it), at most
    MAX_ENTRY_BYTES: a zip entry whose data outgrows its declared size is refused too."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".collect-")
    try:
        written = 0
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > MAX_ENTRY_BYTES:
                    raise Refused(f"more than {MAX_ENTRY_BYTES:,} bytes")
                out.write(chunk)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def collect(assignment: str, source: Path, submissions: Path, notebooks: list[str],
            id_pattern: str = DEFAULT_ID_PATTERN, folder_pattern: str = DEFAULT_FOLDER_PATTERN) -> CollectReport:
    """Copy each student's notebook(s) for ``assignment`` into ``submissions``.

    When one student has several files for the same notebook, the first (in the source's order)
    is copied and every other one is named in the report.
    """
    ids, folders = re.compile(id_pattern), re.compile(folder_pattern)
    report = CollectReport()
    seen: dict[tuple[str, str], str] = {}
    with entries(source, report) as found:
        for entry in found:
            student, notebook = student_of(entry.name, ids, folders), notebook_of(entry.name, notebooks)
            if student is None or notebook is None:
                report.unknown.append(entry.name)
                continue
            if (student, notebook) in seen:
                report.duplicates.append(f"{student}/{notebook}: kept {seen[(student, notebook)]}, also found {entry.name} (not copied)")
                continue
            try:
                with entry.open() as stream:
                    copy_capped(stream, submissions / student / notebook)
            except (Refused, zipfile.BadZipFile, OSError, EOFError) as why:
                report.refused.append(f"{entry.name}: {why}")
                continue
            seen[(student, notebook)] = entry.name
            report.collected[student] = entry.name
    return report
