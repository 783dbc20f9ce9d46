"""Run stock nbgrader (``generate_assignment`` + ``autograde``) on a throwaway copy of the course.

Shared by ``benchmarks/grading.py`` and ``tests/test_stock_nbgrader.py``. The copy has the usual
nbgrader layout (``submitted/<student>/<assignment>/<notebook>.ipynb``) and its own gradebook, so
nothing in the repository is touched. nbgrader is run as a subprocess with the venv's ``bin/`` on
PATH, as an instructor would (it needs ``alembic`` from PATH to create a gradebook).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def assignments(root: Path = ROOT) -> list[str]:
    """Assignments with solution notebooks and their released exercises (more appear as the course grows)."""
    found = []
    for folder in sorted((root / "solutions").iterdir()):
        names = {p.name for p in folder.glob("*.ipynb")} if folder.is_dir() and not folder.name.startswith(".") else set()
        released = {p.name for p in (root / "exercises" / folder.name).glob("*.ipynb")}
        if names and names <= released:
            found.append(folder.name)
    return found


def copy_course(dest: Path, root: Path = ROOT) -> Path:
    """A minimal course root at ``dest``: nbgrader_config.py, solutions/ and exercises/."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    for folder in ("solutions", "exercises"):
        if (root / folder).is_dir():
            shutil.copytree(root / folder, dest / folder, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


def env(**extra: str) -> dict:
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def nbgrader(course: Path, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(VENV_BIN / "nbgrader"), *args], cwd=course, env=env(), capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def submit(course: Path, assignment: str, student: str, notebooks: dict[str, Path | str]) -> None:
    """Place ``{notebook name: source path or JSON text}`` as ``student``'s submission."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in notebooks.items():
        if isinstance(nb, Path):
            shutil.copy2(nb, folder / name)
        else:
            (folder / name).write_text(nb, encoding="utf-8")


def generate(course: Path, assignment: str) -> float:
    started = time.perf_counter()
    nbgrader(course, "generate_assignment", assignment, "--force")
    return time.perf_counter() - started


def autograde(course: Path, assignment: str) -> float:
    """Seconds ``nbgrader autograde`` took for every submission of ``assignment`` (a name or a glob such as "*")."""
    started = time.perf_counter()
    nbgrader(course, "autograde", assignment, "--force")
    return time.perf_counter() - started


def scores(course: Path, assignment: str) -> dict[str, tuple[float, float, bool]]:
    """student -> (score, max_score, needs_manual_grade) from the copy's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student_id: (float(s.score), float(s.max_score), bool(s.needs_manual_grade))
                for s in gb.find_assignment(assignment).submissions}
