"""Generate student notebooks (exercises/) from instructor notebooks (solutions/) with nbgrader."""

from __future__ import annotations

import os
from pathlib import Path

from autograder import course
from autograder.course import notebook


def course_directory(root: Path, **overrides):
    """nbgrader's CourseDirectory, configured by the course's nbgrader_config.py."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    coursedir = CourseDirectory(config=config, root=str(root))
    for name, value in overrides.items():
        if value is not None:
            setattr(coursedir, name, value)
    return coursedir


def ensure_alembic_on_path() -> None:
    """nbgrader creates a gradebook by running ``alembic`` from PATH: use this environment's."""
    import sys

    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def generate(root: Path, assignment: str, *, db_url: str | None = None, release_dir: str | None = None) -> list[Path]:
    """Regenerate ``assignment``'s student notebooks and register it in the gradebook."""
    from nbgrader.apps import NbGraderAPI

    if not (root / course.SOURCE_DIR / assignment).is_dir():
        raise SystemExit(f"error: no assignment {assignment!r} in {root / course.SOURCE_DIR}")
    ensure_alembic_on_path()
    coursedir = course_directory(root, db_url=db_url, release_directory=release_dir)
    result = NbGraderAPI(coursedir=coursedir).generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader could not generate {assignment}:\n{result.get('error') or result.get('log')}")
    out = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    written = course.notebooks(out)
    for path in written:  # canonical form, so a fresh generation is byte-for-byte comparable
        notebook.write(notebook.read(path), path, keep_outputs=False)
    return written
