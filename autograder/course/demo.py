"""``make demo``: the instructor's main job on the bundled sample submissions.

Regenerates exercises/ from solutions/, grades every sample class (samples/<assignment>/<student>/
in English, samples/<language>/<assignment>/<student>/ for a translated edition) and prints the
grade table and where the feedback is. Each student's feedback page is in the language of the
notebook they submitted.

The Japanese sample class is the English one with each notebook's prose and metadata taken from
the Japanese edition and the code left as the student wrote it (``python -m
autograder.course.demo samples`` rewrites it), so both classes must get the same item scores.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import nbformat

from autograder import cli, course, i18n

# The Japanese sample class: the English sample students' code, under Japanese student ids (one gradebook).
JAPANESE_STUDENTS = {"alice": "haruka", "bob": "kenta", "carol": "misaki", "dave": "sora", "erin": "takumi", "frank": "yui"}
ASSIGNMENT_PREFIX = "ex"


def sample_classes(samples: Path) -> list[tuple[str, Path]]:
    """(assignment, folder) of every sample class: English ones first, then each translated edition's."""
    english = [(p.name, p) for p in sorted(samples.iterdir()) if p.is_dir() and p.name.startswith(ASSIGNMENT_PREFIX)]
    translated = [(p.name, p) for lang in sorted(samples.iterdir()) if lang.is_dir() and lang.name in i18n.LANGUAGES
                  for p in sorted(lang.iterdir()) if p.is_dir() and p.name.startswith(ASSIGNMENT_PREFIX)]
    return english + translated


def grade_class(root: Path, assignment: str, folder: Path, out: Path, extra: list[str] | None = None) -> list[dict]:
    """Grade one sample class into ``out`` and return its grade rows."""
    cli.main(["grade", assignment, "--submissions", str(folder), "--out", str(out), "--seed", "0", *(extra or [])])
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def print_table(rows: list[dict]) -> None:
    print(f"{'student':<10} {'score':>6} {'max':>5}  status   detail")
    for row in rows:
        print(f"{row['student_id']:<10} {float(row['score']):>6g} {float(row['max_score']):>5g}  {row['status']:<8} {row['detail'][:60]}")


# ---------------------------------------------------------------------------------------------
# The translated sample class


def translated_prose(root: Path, language: str, assignment: str) -> tuple[dict[str, str], dict]:
    """cell id -> translated markdown source, and the notebook metadata, of the translated exercise."""
    path = root / language / course.RELEASE_DIR / assignment / f"{assignment}.ipynb"
    if path.is_file():
        nb = nbformat.read(path, as_version=4)
        return {c.get("id"): c.source for c in nb.cells if c.cell_type == "markdown"}, dict(nb.metadata)
    import polib  # the edition is not built yet: take the prose from its catalog

    po = polib.pofile(str(root / "i18n" / language / course.RELEASE_DIR / f"{assignment}.po"))
    prose = {e.msgctxt: e.msgstr for e in po if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}
    return prose, {i18n.METADATA_KEY: {"language": language}}


def translated_submission(nb, prose: dict[str, str], metadata: dict):
    """A student's notebook with the translated edition's prose and metadata; every code cell as it was."""
    nb = nbformat.from_dict(nbformat.reader.reads(nbformat.writes(nb)))  # a copy
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.get("id") in prose:
            cell.source = prose[cell["id"]]
    nb.metadata[i18n.METADATA_KEY] = dict(metadata.get(i18n.METADATA_KEY, {}))
    return nb


def write_translated_samples(root: Path, language: str = "ja") -> list[Path]:
    """samples/<language>/<assignment>/<student>/ from the English sample class (``JAPANESE_STUDENTS`` ids)."""
    written = []
    for assignment, folder in [c for c in sample_classes(root / "samples") if c[1].parent.name == "samples"]:
        prose, metadata = translated_prose(root, language, assignment)
        for english, student in JAPANESE_STUDENTS.items():
            source = folder / english / f"{assignment}.ipynb"
            if not source.is_file():
                continue
            target = root / "samples" / language / assignment / student / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nb = translated_submission(nbformat.read(source, as_version=4), prose, metadata)
            target.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = course.require_root(Path(__file__).resolve().parents[1])
    if argv[:1] == ["samples"]:
        for path in write_translated_samples(root):
            print(f"wrote {path.relative_to(root)}")
        return 0
    print("1. Regenerating the student notebooks (exercises/) from solutions/ ...")
    cli.main(["generate"])
    for assignment, folder in sample_classes(root / "samples"):
        out = root / "out" / "demo" / folder.relative_to(root / "samples")
        print(f"\n2. Grading the sample submissions in {folder.relative_to(root)}/ ...")
        rows = grade_class(root, assignment, folder, out)
        print(f"\n3. Grade table ({(out / 'grades.csv').relative_to(root)}):")
        print_table(rows)
        print(f"\nFeedback for each student: {(out / 'feedback').relative_to(root)}/<student>/{assignment}.html")
    print("The grades are also in nbgrader's gradebook (gradebook.db): see them with `nbgrader formgrader`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
