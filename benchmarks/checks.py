"""How long each visible check takes in a student's notebook (the course promises at most 0.5 s).

    .venv/bin/python benchmarks/checks.py

Runs every solution notebook's cells in-process and times ``check(...)`` at each check cell,
exactly as a student's kernel runs it (the first call of each notebook included).
"""

import contextlib
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import course  # noqa: E402
from autograder.checks import Checker  # noqa: E402
from autograder.course import notebook  # noqa: E402
from autograder.grading import reference  # noqa: E402

PROMISE_S = 0.5


def main() -> int:
    slowest = []
    for assignment in course.assignments(ROOT):
        checker, ns = Checker(assignment), {"__name__": "__main__"}
        for path in course.notebooks(ROOT / "solutions" / assignment):
            for cell in notebook.read(path).cells:
                if cell.cell_type != "code":
                    continue
                if reference.is_check_cell(cell):
                    item = cell.metadata["nbgrader"]["grade_id"]
                    started = time.perf_counter()
                    passed = checker.run(item, ns).passed
                    slowest.append((time.perf_counter() - started, f"{assignment}.{item}", passed))
                    continue
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(cell.source, str(path), "exec"), ns)  # noqa: S102 - the instructor's solution
    slowest.sort(reverse=True)
    for seconds, name, passed in slowest[:8]:
        print(f"{name:<40} {seconds * 1000:7.1f} ms{'' if passed else '  (FAILED)'}")
    worst = slowest[0][0]
    print(f"{len(slowest)} checks; slowest {worst * 1000:.1f} ms (promise {PROMISE_S * 1000:.0f} ms: "
          f"{'kept' if worst <= PROMISE_S else 'BROKEN'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
