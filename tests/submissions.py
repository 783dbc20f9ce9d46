"""Build submissions for grading tests: honest copies, blanks, and hostile edits of real notebooks.

Everything is made from the committed notebooks with nbformat (cells found by nbgrader grade_id),
so the hostile suite follows the course when its notebooks change. A course copy keeps the tests
from writing into the repository's own ``autograded/`` folder or gradebook.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def copy_course(dest: Path, root: Path = ROOT) -> Path:
    """A minimal course root (config, solutions/, exercises/) at ``dest``, for grading without side effects."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    for folder in ("solutions", "exercises"):
        shutil.copytree(root / folder, dest / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


def solution(assignment: str = "ex01", root: Path = ROOT):
    (path,) = sorted((root / "solutions" / assignment).glob("*.ipynb"))
    return nbformat.read(path, as_version=4)


def blank(assignment: str = "ex01", root: Path = ROOT):
    (path,) = sorted((root / "exercises" / assignment).glob("*.ipynb"))
    return nbformat.read(path, as_version=4)


def index_of(nb, grade_id: str) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def cell(nb, grade_id: str):
    return nb.cells[index_of(nb, grade_id)]


def code(source: str):
    return nbformat.v4.new_code_cell(source)


def insert_after(nb, grade_id: str, source: str):
    nb = copy.deepcopy(nb)
    nb.cells.insert(index_of(nb, grade_id) + 1, code(source))
    return nb


def replace_source(nb, grade_id: str, source: str):
    nb = copy.deepcopy(nb)
    cell(nb, grade_id).source = source
    return nb


def edit(nb, change: Callable):
    """A deep copy of ``nb`` after ``change(copy)`` (for metadata edits and cell moves)."""
    nb = copy.deepcopy(nb)
    change(nb)
    return nb


def write(folder: Path, student: str, nb, name: str = "ex01.ipynb") -> Path:
    path = folder / student / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# ------------------------------------------------------------------------------------------------
# Hostile code, as cell sources (ex01)

INTERCEPTOR = "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"

PATCH_COMPARISONS = """\
import math, torch, numpy
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda *a, **k: torch.tensor(True)
math.isclose = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
torch.Tensor.__eq__ = lambda self, other: True
"""

ALWAYS_EQUAL = """\
class Anything:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
    def __float__(self): return 8.0

class Liar(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __abs__(self): return Liar(0.0)
    def __sub__(self, other): return Liar(0.0)
    def __rsub__(self, other): return Liar(0.0)

a = v = M = Anything()
int_error = Anything()
x = Anything()
y = Liar(15.0)
def derivative_at(f, x0):
    return Liar(0.0)
"""

FAKE_OUTPUT = """\
import json, sys
for gid in ["q1_tensors", "q2_integer_error", "q3_backward", "q4_derivative_at"]:
    print(f"{gid}: passed (all checks) score 10/10")
print(json.dumps([{"ok": True, "value": 8.0}] * 6))
print('{"result": {"status": "ok", "data": {"text/plain": "\\'[{\\\\"ok\\\\": true, \\\\"value\\\\": 8.0}]\\'"}}}')
sys.stdout.flush()
from IPython.display import display
display({"text/plain": "All tests passed. Score: 10 / 10"}, raw=True)
"""

# Walks up from the kernel's cwd looking for the gradebook; prints READ/WROTE when it gets somewhere.
PATH_TRICKS = """\
import os, sqlite3
for depth in range(1, 9):
    for name in ("gradebook.db", "gb.db", "nbgrader_config.py", "solutions/ex01/ex01.ipynb"):
        path = "../" * depth + name
        try:
            with open(path, "rb") as f:
                f.read(16)
            print("READ", path)
        except OSError:
            pass
        if name.endswith(".db") and os.path.exists(path):
            try:
                con = sqlite3.connect(path)
                con.execute("UPDATE grade_cells SET max_score = 0")
                con.execute("UPDATE grade SET auto_score = 100")
                con.commit()
                print("WROTE", path)
            except Exception as error:
                print("no write", path, error)
"""

# Looks for any gradebook on the machine by absolute path (only a sandbox stops this one).
SEARCH_GRADEBOOK = """\
import glob
found = [p for pattern in ("/tmp/**/*.db", "/work/**/gradebook.db", "/root/**/gradebook.db")
         for p in glob.glob(pattern, recursive=True)]
for p in found:
    try:
        open(p, "rb").read(16)
        print("READ", p)
    except OSError:
        pass
print("searched", len(found))
"""

EXIT = "import os\nos._exit(1)"

SWALLOW_INTERRUPT = """\
import time
while True:
    try:
        time.sleep(0.1)
    except KeyboardInterrupt:
        pass
"""

NOISY = """\
import sys, warnings
torch.autograd.set_detect_anomaly(True)
warnings.warn("a UserWarning on stderr")
print("something on stderr", file=sys.stderr)
"""

# Hidden probes call derivative_at with freshly drawn numbers: these try to get them into the feedback.
LEAK_BY_ERROR = """\
def derivative_at(f, x0):
    raise ValueError(f"x0={x0!r} consts={f.__code__.co_consts!r}")
"""

LEAK_BY_VALUE = """\
def derivative_at(f, x0):
    consts = [c for c in f.__code__.co_consts if isinstance(c, (int, float))]
    return torch.tensor([float(x0)] + [float(c) for c in consts])
"""
