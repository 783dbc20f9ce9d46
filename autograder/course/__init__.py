"""Where the course lives on disk: the folder with ``nbgrader_config.py`` and ``solutions/``."""

from __future__ import annotations

import os
from pathlib import Path

SOURCE_DIR = "solutions"
RELEASE_DIR = "exercises"
LECTURE_DIR = "course"


def find_root(start: str | os.PathLike | None = None) -> Path | None:
    """The course root above ``start`` (or $AUTOGRADER_COURSE_ROOT), or None outside a course."""
    configured = os.environ.get("AUTOGRADER_COURSE_ROOT")
    if configured:
        return Path(configured).resolve()
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / SOURCE_DIR).is_dir():
            return folder
    return None


def require_root(start: str | os.PathLike | None = None) -> Path:
    root = find_root(start)
    if root is None:
        raise SystemExit("error: run this from the course repository (no nbgrader_config.py with a solutions/ folder above here)")
    return root


def assignments(root: Path) -> list[str]:
    return sorted(p.name for p in (root / SOURCE_DIR).iterdir() if p.is_dir() and not p.name.startswith("."))


def notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
