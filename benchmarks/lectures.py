"""Execution time of every lecture in course/, each in a fresh kernel, as CI runs them.

    .venv/bin/python benchmarks/lectures.py

Prints one line per lecture and the total, against the course's budget of 90 s on a 2-core machine.
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.course import notebook  # noqa: E402

BUDGET_S = 90.0


def main() -> int:
    total = 0.0
    for path in sorted((ROOT / "course").glob("*.ipynb")):
        started = time.perf_counter()
        notebook.execute(notebook.read(path), path.parent)
        seconds = time.perf_counter() - started
        total += seconds
        print(f"{path.stem:<40} {seconds:6.1f} s", flush=True)
    print(f"{'whole course':<40} {total:6.1f} s  (budget {BUDGET_S:.0f} s: {'within' if total <= BUDGET_S else 'OVER'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
