"""Translated editions of the course: gettext PO files keyed by cell id, and the notebooks built from them.

The English notebooks are the single source. For each language (a folder ``i18n/<lang>/``) every
lecture ``course/<name>.ipynb`` has a catalog ``i18n/<lang>/course/<name>.po`` and every exercise
``exercises/<a>/<a>.ipynb`` has ``i18n/<lang>/exercises/<a>.po``: one entry per markdown cell,
``msgctxt`` = the cell's id, ``msgid`` = its English source, ``msgstr`` = the translation.

    autograder i18n update     # merge the English into the catalogs: new, changed (fuzzy), removed (obsolete)
    autograder i18n check      # list every entry a translator must look at, with file and cell id
    autograder i18n build      # write <lang>/course/*.ipynb and <lang>/exercises/<a>/<a>.ipynb

A translated notebook is its English notebook with each markdown cell's source replaced by the
translation, links re-pointed at the translated files, and ``metadata.autograd_course.language``
set; code cells (sources, outputs, nbgrader metadata) are untouched, so grading is identical.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import colab, course
from autograder.course import notebook

I18N_DIR = "i18n"
METADATA_KEY = "autograd_course"  # nb.metadata["autograd_course"]["language"] says the notebook's language
CATALOG_HEADER = {
    "Project-Id-Version": "autograd-course",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}


@dataclass(frozen=True)
class Edition:
    """One English notebook, its catalog in one language, and the translated notebook built from them.

    All three paths are relative to the course root.
    """

    english: Path
    catalog: Path
    translated: Path


def languages(root: Path) -> list[str]:
    folder = root / I18N_DIR
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def editions(root: Path, language: str) -> list[Edition]:
    """Every lecture and exercise notebook, paired with its catalog and translated notebook."""
    found = []
    for path in course.notebooks(root / course.LECTURE_DIR):
        english = path.relative_to(root)
        found.append(Edition(english, Path(I18N_DIR, language, course.LECTURE_DIR, f"{path.stem}.po"),
                             Path(language, english)))
    for assignment in course.assignments(root):
        english = Path(course.RELEASE_DIR, assignment, f"{assignment}.ipynb")
        if (root / english).is_file():
            found.append(Edition(english, Path(I18N_DIR, language, course.RELEASE_DIR, f"{assignment}.po"),
                                 Path(language, english)))
    return found


# --- catalogs -------------------------------------------------------------------------------------

def load_catalog(path: Path, language: str):
    """The catalog at ``path``, or a new empty one with the course's header."""
    import polib

    if path.is_file():
        return polib.pofile(str(path))
    catalog = polib.POFile()
    catalog.metadata = {"Project-Id-Version": CATALOG_HEADER["Project-Id-Version"], "Language": language,
                        **{k: v for k, v in CATALOG_HEADER.items() if k != "Project-Id-Version"}}
    return catalog


def markdown_cells(nb) -> list:
    """The cells to translate: markdown with some text (an empty msgid would be the catalog's header)."""
    return [cell for cell in nb.cells if cell.cell_type == "markdown" and cell.source.strip()]


@dataclass
class MergeCounts:
    new: int = 0
    changed: int = 0
    obsolete: int = 0

    def __str__(self) -> str:
        return f"{self.new} new, {self.changed} changed (fuzzy), {self.obsolete} obsolete"


def merge(catalog, nb) -> MergeCounts:
    """Bring ``catalog`` in step with the markdown cells of ``nb``, as gettext's msgmerge does.

    A new cell gets an empty entry; a cell whose English changed keeps its translation, marked
    fuzzy with the English it was made for as ``previous_msgid``; an entry whose cell is gone
    becomes obsolete (kept at the end, revived if the cell comes back). Entries follow cell order.
    """
    import polib

    counts = MergeCounts()
    by_id = {entry.msgctxt: entry for entry in catalog}
    merged = []
    for cell in markdown_cells(nb):
        entry = by_id.pop(cell.id, None)
        if entry is None:
            entry = polib.POEntry(msgctxt=cell.id, msgid=cell.source, msgstr="")
            counts.new += 1
        elif entry.msgid != cell.source:
            mark_changed(entry, cell.source)
            counts.changed += 1
        entry.obsolete = False
        merged.append(entry)
    for entry in by_id.values():
        counts.obsolete += not entry.obsolete
        entry.obsolete = True
        merged.append(entry)
    catalog[:] = merged
    return counts


def mark_changed(entry, english: str) -> None:
    """Keep the translation, flag it fuzzy, and remember the English it translates (``#| msgid``)."""
    if entry.msgstr:
        if not entry.previous_msgid:  # an entry already fuzzy keeps the English it was translated from
            entry.previous_msgid = entry.msgid
        if "fuzzy" not in entry.flags:
            entry.flags.append("fuzzy")
    entry.msgid = english


def update(root: Path, language: str) -> dict[Path, MergeCounts]:
    """Merge every English notebook into its catalog; write only catalogs whose text changed."""
    changes = {}
    for edition in editions(root, language):
        path = root / edition.catalog
        catalog = load_catalog(path, language)
        before = str(catalog) if path.is_file() else None
        counts = merge(catalog, notebook.read(root / edition.english))
        if str(catalog) != before:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog.save(str(path))
            changes[edition.catalog] = counts
    return changes


# --- what a translator must look at ---------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """Something in a catalog that keeps its notebook from being built or from staying in step."""

    catalog: Path
    cell_id: str
    what: str

    def __str__(self) -> str:
        return f"{self.catalog}: cell {self.cell_id}: {self.what}"


def entry_problem(entry, english: str) -> str | None:
    """Why ``entry`` cannot stand for the markdown cell ``english``, or None when it can."""
    if entry is None or entry.obsolete:
        return "no entry (run `autograder i18n update`)"
    if entry.msgid != english:
        return "stale: the English changed since this entry was made (run `autograder i18n update`)"
    if "fuzzy" in entry.flags:
        return "fuzzy: the English changed; revise the translation (see #| msgid) and remove the fuzzy flag"
    if not entry.msgstr:
        return "untranslated"
    return None


def catalog_problems(catalog, catalog_path: Path, nb) -> list[Problem]:
    """Markdown cells of ``nb`` without a current, finished translation in ``catalog``."""
    by_id = {entry.msgctxt: entry for entry in catalog}
    problems = []
    for cell in markdown_cells(nb):
        what = entry_problem(by_id.get(cell.id), cell.source)
        if what:
            problems.append(Problem(catalog_path, cell.id, what))
    return problems


def orphan_problems(catalog, catalog_path: Path, nb) -> list[Problem]:
    """Live entries for cells that are no longer markdown cells of ``nb``."""
    ids = {cell.id for cell in markdown_cells(nb)}
    return [Problem(catalog_path, entry.msgctxt, "no such markdown cell (run `autograder i18n update`)")
            for entry in catalog if not entry.obsolete and entry.msgctxt not in ids]


def span_problems(catalog, catalog_path: Path) -> list[Problem]:
    """Translations whose inline code, math or link targets differ from the English."""
    problems = []
    for entry in catalog:
        if entry.obsolete or not entry.msgstr:
            continue
        english, translated = spans(entry.msgid), spans(entry.msgstr)
        if english != translated:
            missing, extra = english - translated, translated - english
            problems.append(Problem(catalog_path, entry.msgctxt,
                                    f"code/math/links differ from the English: missing {sorted(missing.elements())}, "
                                    f"extra {sorted(extra.elements())}"))
    return problems


CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")  # Japanese (and Chinese) script and punctuation


def cjk_soft_breaks(source: str) -> int:
    """Line breaks inside a paragraph between two CJK characters: a browser shows each as a space."""
    count = 0
    for token in markdown_parser().parse(source):
        children = token.children or []
        for before, brk, after in zip(children, children[1:], children[2:]):
            if (brk.type == "softbreak" and before.type == "text" and after.type == "text"
                    and CJK.match(before.content[-1:]) and CJK.match(after.content[:1])):
                count += 1
    return count


def line_break_problems(catalog, catalog_path: Path) -> list[Problem]:
    return [Problem(catalog_path, entry.msgctxt, f"{n} line breaks between CJK characters (they show as spaces): join the lines")
            for entry in catalog if not entry.obsolete and (n := cjk_soft_breaks(entry.msgstr))]


def check(root: Path, language: str) -> list[Problem]:
    """Everything a translator must fix before ``build`` succeeds and the sync tests pass."""
    problems = []
    for edition in editions(root, language):
        catalog = load_catalog(root / edition.catalog, language)
        nb = notebook.read(root / edition.english)
        problems += catalog_problems(catalog, edition.catalog, nb)
        problems += orphan_problems(catalog, edition.catalog, nb)
        problems += span_problems(catalog, edition.catalog)
        problems += line_break_problems(catalog, edition.catalog)
    return problems


# --- markdown: what must survive translation ------------------------------------------------------

@functools.cache
def markdown_parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, double_inline=True)


def inline_tokens(source: str):
    """Every token of ``source`` (block tokens and, in place of each inline token, its children)."""
    for token in markdown_parser().parse(source):
        if token.type == "inline":
            yield from token.children or []
        else:
            yield token


def spans(source: str) -> Counter:
    """The multiset of inline code, math and link/image targets in a markdown text.

    Math is compared with its whitespace collapsed: a translator may re-wrap a line.
    """
    found: Counter = Counter()
    for token in inline_tokens(source):
        if token.type == "code_inline":
            found[("code", token.content)] += 1
        elif token.type in ("fence", "code_block"):
            found[("code", token.content.strip("\n"))] += 1
        elif token.type.startswith("math"):
            found[("math", " ".join(token.content.split()))] += 1
        elif token.type == "link_open":
            found[("link", token.attrGet("href"))] += 1
        elif token.type == "image":
            found[("link", token.attrGet("src"))] += 1
    return found


def link_targets(source: str) -> list[str]:
    return [target for kind, target in spans(source).elements() if kind == "link"]


def has_prose(source: str) -> bool:
    """Whether a markdown text has words to translate (not only a badge, code, math or links)."""
    return any(token.type == "text" and re.search(r"[A-Za-z]{2,}", token.content) for token in inline_tokens(source))


# --- building a translated notebook ---------------------------------------------------------------

class MissingTranslations(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class TranslateMarkdown:
    """Replace each markdown cell's source by its translation; keep the English (and say so) without one."""

    def __init__(self, catalog, catalog_path: Path):
        self.entries = {entry.msgctxt: entry for entry in catalog if not entry.obsolete}
        self.catalog_path = catalog_path
        self.missing: list[Problem] = []

    def preprocess(self, nb):
        for cell in markdown_cells(nb):
            entry = self.entries.get(cell.id)
            what = entry_problem(entry, cell.source)
            if what:
                self.missing.append(Problem(self.catalog_path, cell.id, what))
            else:
                cell.source = entry.msgstr
        return nb


class LocalizeLinks:
    """Point links at the translated edition: its Colab badge, its sibling notebooks, its README.

    Links between translated notebooks keep their relative form (``ja/`` mirrors the English tree);
    a relative link to anything else is re-based so it still reaches the English file.
    """

    def __init__(self, edition: Edition, counterparts: dict[str, str]):
        self.edition = edition
        self.counterparts = counterparts  # repository path of an English file -> of its translation

    def preprocess(self, nb):
        for cell in markdown_cells(nb):
            moved = {target: self.localize(target) for target in link_targets(cell.source)}
            cell.source = replace_link_targets(cell.source, {old: new for old, new in moved.items() if old != new})
        return nb

    def localize(self, target: str) -> str:
        colab_prefix = colab.url("")
        if target.startswith(colab_prefix):
            path = target[len(colab_prefix):]
            return colab.url(self.counterparts[path]) if path in self.counterparts else target
        if re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target, re.I):
            return target  # another site, an anchor in this notebook, or an absolute path
        path, hash_, fragment = target.partition("#")
        resolved = os.path.normpath(self.edition.english.parent / path)
        if resolved.startswith(".."):
            return target
        mapped = self.counterparts.get(Path(resolved).as_posix(), Path(resolved).as_posix())
        relative = os.path.relpath(mapped, self.edition.translated.parent)
        return Path(relative).as_posix() + hash_ + fragment


def replace_link_targets(source: str, moved: dict[str, str]) -> str:
    """Replace link targets, in inline (``](old)``) and reference (``[x]: old``) form only, in one pass."""
    if not moved:
        return source
    targets = "|".join(re.escape(old) for old in sorted(moved, key=len, reverse=True))
    pattern = re.compile(r"(\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)(" + targets + r")(?=[>\s)]|$)", re.M)
    return pattern.sub(lambda m: m.group(1) + moved[m.group(2)], source)


class MarkLanguage:
    """Record the notebook's language where the checks and the grader look for it."""

    def __init__(self, language: str):
        self.language = language

    def preprocess(self, nb):
        nb.metadata[METADATA_KEY] = {"language": self.language}
        nbformat.validate(nb)
        return nb


def counterparts(root: Path, language: str) -> dict[str, str]:
    """Repository paths of English files that have a translated counterpart, and the counterpart's."""
    mapped = {e.english.as_posix(): e.translated.as_posix() for e in editions(root, language)}
    if (root / f"README.{language}.md").is_file():
        mapped["README.md"] = f"README.{language}.md"
    return mapped


def translate(root: Path, edition: Edition, language: str):
    """The translated notebook for ``edition``, and the cells left in English for want of a translation."""
    catalog = load_catalog(root / edition.catalog, language)
    nb = notebook.normalize(notebook.read(root / edition.english), keep_outputs=True)
    translator = TranslateMarkdown(catalog, edition.catalog)
    for step in (translator, LocalizeLinks(edition, counterparts(root, language)), MarkLanguage(language)):
        nb = step.preprocess(nb)
    return nb, translator.missing


def build(root: Path, language: str, *, allow_missing: bool = False, out: Path | None = None,
          only: list[str] | None = None) -> tuple[list[Path], list[Problem]]:
    """Write every translated notebook (under ``out``, default the course root); return them and what stayed English.

    A markdown cell without a current, finished translation raises MissingTranslations (naming
    every such cell, and writing nothing), unless ``allow_missing``: then it stays in English.
    ``only``: English paths (relative to root, e.g. ``exercises/ex01/ex01.ipynb``) to build; default all.
    """
    out = out or root
    built, missing = [], []
    for edition in editions(root, language):
        if only is None or edition.english.as_posix() in only:
            nb, left = translate(root, edition, language)
            built.append((edition, nb))
            missing += left
    if missing and not allow_missing:
        raise MissingTranslations(missing)
    for edition, nb in built:
        target = out / edition.translated
        target.parent.mkdir(parents=True, exist_ok=True)
        text = notebook.dumps(nb)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    return [out / edition.translated for edition, _ in built], missing
