"""The message catalog of what students read: extract every msgid, merge it into each language's
PO file (translations kept), compile the MO file the package ships.

msgids come from two places:

- the code: fixed texts and templates marked with ``N_("...")`` / ``message("...", ...)`` /
  ``fixed("...")`` (see :mod:`autograder.i18n`), found by Babel's Python extractor;
- the specs: every item's title, every probe's label (hidden cases' labels included) and every
  hint, walked from the ``SPEC`` objects.

``autograder i18n messages`` (or ``python -m autograder.course.messages update``) refreshes the PO
files and compiles the MO files; ``compile`` only compiles (after a translator edits msgstr);
``check`` fails when either is out of date. Translators edit only msgstr.
"""

from __future__ import annotations

import pkgutil
import random
import sys
from pathlib import Path

import polib
from babel.messages.extract import extract_from_file

from autograder import decide, i18n, spec, specs

PACKAGE = Path(__file__).resolve().parents[1]
# Modules whose texts reach students; their marked strings are msgids.
SOURCES = ("checks.py", "decide.py", "spec.py", "grading/report.py", "grading/notebook_html.py", "grading/grade.py")
KEYWORDS = {"N_": None, "message": None, "fixed": None}
TRANSLATED = ("ja",)
# Hidden probes' case labels are drawn with the cases; these seeds reach every label of every spec.
LABEL_SEEDS = range(8)


def code_msgids() -> list[str]:
    found = []
    for name in SOURCES:
        for _, text, _, _ in extract_from_file("python", PACKAGE / name, keywords=KEYWORDS):
            found.append(text)
    # Advice on torch's error texts is a table, not calls: read it from the module.
    return found + [advice for _, advice in decide.ADVICE]


def assignments() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(specs.__path__) if m.name.startswith("ex"))


def spec_msgids(assignment: str) -> list[str]:
    """Every item title, probe label and hint message of one assignment's spec, in spec order."""
    found = []
    for item in spec.load(assignment).items:
        found.append(item.title)
        for probe in item.probes:
            found.append(probe.label)
            found += [h.message for h in probe.hints]
            if probe.draw is not None:
                found += [case.label for seed in LABEL_SEEDS for case in probe.cases(random.Random(seed))]
    return found


def msgids() -> dict[str, list[str]]:
    """Each msgid (once, first place first) and where it comes from (``#:`` comments in the PO file)."""
    places: dict[str, list[str]] = {}
    for text in code_msgids():
        places.setdefault(text, []).append("code")
    for assignment in assignments():
        for text in spec_msgids(assignment):
            if text and assignment not in places.setdefault(text, []):
                places[text].append(assignment)
    places.pop("", None)
    return places


def po_path(language: str) -> Path:
    return i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def update(language: str) -> polib.POFile:
    """The PO file with every current msgid; existing translations kept, gone msgids marked obsolete."""
    path = po_path(language)
    old = polib.pofile(str(path)) if path.exists() else polib.POFile()
    known = {e.msgid: e for e in old if not e.obsolete}
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": "autograd-course", "Language": language,
                   "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                   "Content-Transfer-Encoding": "8bit", "Plural-Forms": "nplurals=1; plural=0;"}
    current = msgids()
    for text, where in current.items():
        entry = known.get(text) or polib.POEntry(msgid=text, msgstr="")
        entry.occurrences = [(w, "") for w in where]
        entry.comment = "python-brace-format: keep the {names} as they are" if "{" in text and "code" in where else ""
        po.append(entry)
    for entry in old:
        if entry.msgid not in current and entry.msgstr:
            entry.obsolete = True  # kept, so a translation of a text that comes back is not lost
            po.append(entry)
    return po


def compiled(language: str) -> bytes:
    """The MO file of ``language``'s PO file (untranslated and fuzzy entries left out: they stay English)."""
    # polib writes the header as the PO file has it (Babel would stamp today's date): a compile is reproducible.
    return polib.pofile(str(po_path(language))).to_binary()


def write_all() -> None:
    for language in TRANSLATED:
        po_path(language).parent.mkdir(parents=True, exist_ok=True)
        update(language).save(str(po_path(language)))
        mo_path(language).write_bytes(compiled(language))


def stale() -> list[str]:
    """What is out of date: a PO file missing current msgids, or an MO file that is not its PO compiled."""
    problems = []
    for language in TRANSLATED:
        if not po_path(language).exists():
            problems.append(f"{po_path(language)} is missing")
            continue
        have = {e.msgid for e in polib.pofile(str(po_path(language))) if not e.obsolete}
        missing = [m for m in msgids() if m not in have]
        if missing:
            problems.append(f"{po_path(language)} lacks {len(missing)} msgids, e.g. {missing[0]!r}: run `autograder i18n messages`")
        if not mo_path(language).exists() or mo_path(language).read_bytes() != compiled(language):
            problems.append(f"{mo_path(language)} is not a fresh compile of its PO file: run `autograder i18n messages`")
    return problems


def main(argv: list[str] | None = None) -> int:
    command = (argv or sys.argv[1:] or ["update"])[0]
    if command == "update":
        write_all()
        print("updated " + ", ".join(str(po_path(lang)) for lang in TRANSLATED))
        return 0
    if command == "compile":
        for language in TRANSLATED:
            mo_path(language).write_bytes(compiled(language))
        return 0
    if command == "check":
        problems = stale()
        print("\n".join(problems) or "catalogs are up to date")
        return 1 if problems else 0
    print("usage: python -m autograder.course.messages [update|compile|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
