"""``make demo``: the instructor's main job on the bundled sample submissions.

Regenerates exercises/ from solutions/, grades samples/<assignment>/<student>/ for every
assignment that has samples, and prints the grade table and where the feedback is.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from autograder import cli, course


def main() -> int:
    root = course.require_root(Path(__file__).resolve().parents[1])
    print("1. Regenerating the student notebooks (exercises/) from solutions/ ...")
    cli.main(["generate"])
    samples = root / "samples"
    for folder in sorted(p for p in samples.iterdir() if p.is_dir()):
        out = root / "out" / "demo" / folder.name
        print(f"\n2. Grading the sample submissions in {folder.relative_to(root)}/ ...")
        cli.main(["grade", folder.name, "--submissions", str(folder), "--out", str(out), "--seed", "0"])
        print(f"\n3. Grade table ({(out / 'grades.csv').relative_to(root)}):")
        with open(out / "grades.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        print(f"{'student':<10} {'score':>6} {'max':>5}  status   detail")
        for row in rows:
            print(f"{row['student_id']:<10} {float(row['score']):>6g} {float(row['max_score']):>5g}  {row['status']:<8} {row['detail'][:60]}")
        print(f"\nFeedback for each student: {(out / 'feedback').relative_to(root)}/<student>/{folder.name}.html")
    print("The grades are also in nbgrader's gradebook (gradebook.db): see them with `nbgrader formgrader`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
