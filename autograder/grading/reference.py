"""The reference solution as a namespace in the grader's process, to compute expected values.

The instructor's solution notebook is trusted code: its non-check code cells are executed here,
once per assignment, and hidden probes are evaluated against the result.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from functools import cache
from pathlib import Path

import nbformat

from autograder import course, plain


def is_check_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def solution_code(notebook_path: Path) -> str:
    nb = nbformat.read(notebook_path, as_version=4)
    cells = [
        c.source for c in nb.cells
        if c.cell_type == "code" and not is_check_cell(c)
    ]
    return "\n\n".join(cells)


_computing = threading.Lock()  # one solution runs at a time: prefetch and the first decision share the result


def prefetch(assignment: str, root: Path) -> None:
    """Start computing the reference namespace now, in the background, so that it is ready (``import torch``
    and the solution's cells done) when the first notebook comes back instead of after it."""
    threading.Thread(target=namespace, args=(assignment, str(root)), name=f"reference-{assignment}", daemon=True).start()


def namespace(assignment: str, root: str) -> dict:
    with _computing:
        return computed_namespace(assignment, root)


@cache
def computed_namespace(assignment: str, root: str) -> dict:
    """Globals after running the solution notebooks of ``assignment`` (quietly).

    Setup cells run too: their installs are guarded by "is it missing?", which is false here.
    """
    folder = Path(root) / course.SOURCE_DIR / assignment
    ns: dict = {"__name__": f"reference_{assignment}"}
    with contextlib.redirect_stdout(io.StringIO()):
        for path in course.notebooks(folder):
            exec(compile(solution_code(path), str(path), "exec"), ns)  # noqa: S102 - instructor code
    return ns


def evaluate(assignment: str, root: Path, expressions: list[str]) -> list[dict]:
    return json.loads(plain.probe(expressions, namespace(assignment, str(root))))


def expected_values(assignment: str, root: Path, probes: list) -> list:
    """The reference result of each probe that is compared with one (None for the others)."""
    from autograder.spec import Reference

    wanted = [i for i, p in enumerate(probes) if isinstance(p.expect, Reference)]
    values: list = [None] * len(probes)
    for i, value in zip(wanted, evaluate(assignment, root, [probes[i].expr for i in wanted])):
        values[i] = value
    return values


# ---------------------------------------------------------------------------------------------
# Public reference values: what the solution gives for the visible probes compared with it. They are
# public constants (fixed inputs), stored in the package so that check() needs no solutions/ folder
# (a notebook opened alone on Colab) and never runs the whole solution in a student's kernel.

PUBLIC_VALUES = Path(__file__).resolve().parents[1] / "specs" / "public_values.json"


def public_probes(the_spec) -> list:
    from autograder.spec import Reference

    return [p for item in the_spec.items for p in item.probes if not p.hidden and isinstance(p.expect, Reference)]


def compute_public_values(root: Path) -> dict[str, dict[str, dict]]:
    """assignment -> probe expression -> the reference result, for every visible probe compared with one."""
    from autograder import spec

    values = {}
    for assignment in course.assignments(root):
        probes = public_probes(spec.load(assignment))
        if probes:
            results = evaluate(assignment, root, [p.expr for p in probes])
            values[assignment] = {p.expr: result for p, result in zip(probes, results)}
    return values


def write_public_values(root: Path) -> Path:
    PUBLIC_VALUES.write_text(json.dumps(compute_public_values(root), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return PUBLIC_VALUES
