"""The course's secret: what hidden-probe inputs are drawn from, so they are the same for
every student yet cannot be derived from anything in the public repository.

It is created on first use in the course root, readable by its owner only, and kept out of git
(.gitignore) and out of every feedback page. Deleting it changes every hidden input of the next
grading run (and so, for partly wrong answers, the grades): keep it for the whole term.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE = ".autograder-secret"


def course_secret(root: Path) -> str:
    """The secret of the course at ``root``, created (mode 0600) if there is none yet."""
    path = Path(root) / FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
    return _read(path)


def _read(path: Path) -> str:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise SystemExit(f"error: the course secret {path} is too short or empty; delete it to make a new one")
    return text


def for_seed(seed: int) -> str:
    """A stand-in secret for tests and demos that pass ``--seed`` (reproducible, not secret)."""
    return f"seed:{seed}"


def resolve(root: Path, seed: int | None) -> str:
    return for_seed(seed) if seed is not None else course_secret(root)
