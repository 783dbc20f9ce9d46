"""The Japanese edition (ja/) is the English course with translated prose, and stays in step with it.

Each English notebook, its catalog in i18n/ja/ and its Japanese notebook are compared: same cells,
same code and outputs, every markdown cell translated from the current English, the same inline
code, math and links, one spelling per glossary term, and ja/ exactly what `autograder i18n build`
writes. Nothing here executes a notebook.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import polib
import pytest
import tomllib

from autograder import colab, course
from autograder.course import i18n, notebook

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = "ja"
EDITIONS = i18n.editions(ROOT, LANGUAGE)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # kana or kanji


def edition_id(edition: i18n.Edition) -> str:
    return edition.english.stem


def pair(edition: i18n.Edition):
    return notebook.read(ROOT / edition.english), notebook.read(ROOT / edition.translated)


def test_every_lecture_and_exercise_has_a_japanese_edition():
    lectures = sorted(p.name for p in (ROOT / "course").glob("*.ipynb"))
    assert len(lectures) >= 10
    assert sorted(p.name for p in (ROOT / "ja" / "course").glob("*.ipynb")) == lectures
    for assignment in course.assignments(ROOT):
        assert (ROOT / "ja" / "exercises" / assignment / f"{assignment}.ipynb").is_file()
    assert len(EDITIONS) == len(lectures) + len(course.assignments(ROOT))


@pytest.mark.parametrize("edition", EDITIONS, ids=edition_id)
def test_same_cells_in_the_same_order(edition):
    english, japanese = pair(edition)
    assert [(c.id, c.cell_type) for c in japanese.cells] == [(c.id, c.cell_type) for c in english.cells]


@pytest.mark.parametrize("edition", EDITIONS, ids=edition_id)
def test_code_cells_outputs_and_nbgrader_metadata_are_the_english_ones(edition):
    english, japanese = pair(edition)
    for old, new in zip(english.cells, japanese.cells):
        if old.cell_type != "markdown":
            assert new == old, f"{edition.translated}: cell {old.id} differs from {edition.english}"
        assert new.metadata == old.metadata, f"{edition.translated}: cell {old.id} metadata"
    assert japanese.metadata.kernelspec == english.metadata.kernelspec


@pytest.mark.parametrize("edition", EDITIONS, ids=edition_id)
def test_notebook_says_it_is_japanese_and_is_valid(edition):
    nb = nbformat.read(ROOT / edition.translated, as_version=4)
    nbformat.validate(nb)
    # exactly how check() and the grader read a notebook's language
    assert nb.metadata.get("autograd_course", {}).get("language") == "ja"
    assert notebook.read(ROOT / edition.english).metadata.get("autograd_course") is None


@pytest.mark.parametrize("edition", EDITIONS, ids=edition_id)
def test_every_markdown_cell_with_prose_is_in_japanese(edition):
    english, japanese = pair(edition)
    for old, new in zip(english.cells, japanese.cells):
        if old.cell_type == "markdown" and i18n.has_prose(old.source):
            assert new.source != old.source, f"{edition.translated}: cell {old.id} is still English"
            assert JAPANESE.search(new.source), f"{edition.translated}: cell {old.id} has no Japanese"


@pytest.mark.parametrize("edition", EDITIONS, ids=edition_id)
def test_catalog_is_complete_and_translates_the_current_english(edition):
    catalog = polib.pofile(str(ROOT / edition.catalog))
    nb = notebook.read(ROOT / edition.english)
    live = {entry.msgctxt: entry for entry in catalog if not entry.obsolete}
    markdown = {cell.id: cell.source for cell in nb.cells if cell.cell_type == "markdown" and cell.source.strip()}
    assert sorted(live) == sorted(markdown), f"{edition.catalog}: entries != markdown cells (run `autograder i18n update`)"
    for cell_id, entry in live.items():
        where = f"{edition.catalog}: cell {cell_id}"
        assert entry.msgid == markdown[cell_id], f"{where}: the English changed; run `autograder i18n update` and revise"
        assert "fuzzy" not in entry.flags, f"{where}: fuzzy"
        assert entry.msgstr, f"{where}: untranslated"


@pytest.mark.parametrize("edition", EDITIONS, ids=edition_id)
def test_same_code_math_and_link_targets_in_each_markdown_pair(edition):
    catalog = polib.pofile(str(ROOT / edition.catalog))
    for entry in catalog:
        if not entry.obsolete:
            assert i18n.spans(entry.msgstr) == i18n.spans(entry.msgid), f"{edition.catalog}: cell {entry.msgctxt}"


@pytest.mark.parametrize("edition", EDITIONS, ids=edition_id)
def test_no_line_break_between_japanese_characters(edition):
    """Markdown joins a paragraph's lines with a space: fine between English words, wrong in Japanese."""
    for entry in polib.pofile(str(ROOT / edition.catalog)):
        assert i18n.cjk_soft_breaks(entry.msgstr) == 0, f"{edition.catalog}: cell {entry.msgctxt}"


def test_only_soft_breaks_between_japanese_characters_count():
    assert i18n.cjk_soft_breaks("勾配を\n計算する。\n次に") == 2
    assert i18n.cjk_soft_breaks("勾配を計算して\n`backward()` を呼ぶ") == 0  # beside code: a space is right
    assert i18n.cjk_soft_breaks("# 見出し\n本文\n\n段落。\n\n- 項目\n- 項目") == 0  # headings, paragraphs, lists


@pytest.mark.parametrize("edition", EDITIONS, ids=edition_id)
def test_links_lead_to_the_japanese_edition(edition):
    english, japanese = pair(edition)
    for old, new in zip(english.cells, japanese.cells):
        if old.cell_type != "markdown":
            continue
        for target in i18n.link_targets(new.source):
            if target.startswith(colab.url("")):
                assert target == colab.url(edition.translated.as_posix()), f"{edition.translated}: Colab badge"
            elif not re.match(r"^[a-z]+:", target):
                resolved = (ROOT / edition.translated).parent / target.partition("#")[0]
                assert resolved.is_file(), f"{edition.translated}: cell {new.id}: broken link {target}"
                if target.endswith(".ipynb"):
                    assert resolved.resolve().is_relative_to(ROOT / LANGUAGE), f"{target} leaves the Japanese edition"


def test_generated_notebooks_are_a_fresh_build(tmp_path):
    built, missing = i18n.build(ROOT, LANGUAGE, out=tmp_path)
    assert missing == []
    fresh = sorted(p.relative_to(tmp_path) for p in built)
    committed = sorted(p.relative_to(ROOT) for p in (ROOT / LANGUAGE).rglob("*.ipynb"))
    assert committed == fresh
    for path in fresh:
        assert (tmp_path / path).read_bytes() == (ROOT / path).read_bytes(), (
            f"{path} is stale: run `autograder i18n build`")


def test_every_nbgrader_tracked_cell_is_code():
    """nbgrader's OverwriteCells reverts a tracked cell's source to the English: only code may be tracked."""
    for edition in EDITIONS:
        for path in (edition.english, edition.translated):
            for cell in notebook.read(ROOT / path).cells:
                if "grade_id" in cell.metadata.get("nbgrader", {}):
                    assert cell.cell_type == "code", f"{path}: cell {cell.id} is tracked by nbgrader"


def test_japanese_readme_links_every_japanese_notebook_and_is_linked_from_the_readme():
    readme = (ROOT / "README.ja.md").read_text(encoding="utf-8")
    targets = set(i18n.link_targets(readme))
    assert {e.translated.as_posix() for e in EDITIONS} <= targets
    assert all((ROOT / t).exists() for t in targets if not re.match(r"^[a-z]+:", t)), "no broken link"
    assert "](README.ja.md)" in (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ")[0]


# --- the glossary ---------------------------------------------------------------------------------

GLOSSARY = tomllib.loads((ROOT / "i18n" / LANGUAGE / "glossary.toml").read_text(encoding="utf-8"))["term"]
JAPANESE_TEXTS = sorted([*(ROOT / LANGUAGE).rglob("*.ipynb"), *(ROOT / "i18n" / LANGUAGE).rglob("*.po"),
                         *(ROOT / "autograder" / "locale" / LANGUAGE).rglob("*.po"), ROOT / "README.ja.md"])


def test_glossary_bans_only_variants_of_its_terms():
    assert len(GLOSSARY) >= 10
    for term in GLOSSARY:
        assert term["ja"] not in term["banned"], term["en"]


@pytest.mark.parametrize("path", JAPANESE_TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_banned_variant_of_a_glossary_term(path):
    text = path.read_text(encoding="utf-8")
    found = [(variant, term["ja"]) for term in GLOSSARY for variant in term["banned"] if variant in text]
    assert found == [], f"{path.relative_to(ROOT)}: use the glossary's term instead of {found}"


# --- the tooling itself ---------------------------------------------------------------------------

def test_spans_are_inline_code_math_and_link_targets():
    text = "勾配 `x.grad` は $2x$、$$\\sum_i x_i$$ [講義](../course/a.ipynb) ![b](b.svg)\n\n```python\ny = 1\n```"
    assert sorted(i18n.spans(text).elements()) == [
        ("code", "x.grad"), ("code", "y = 1"), ("link", "../course/a.ipynb"), ("link", "b.svg"),
        ("math", "2x"), ("math", "\\sum_i x_i")]
    assert i18n.spans("costs \\$5, not $x") == {}  # an escaped or unclosed dollar is not math


def test_prose_is_words_outside_code_math_and_badges():
    assert not i18n.has_prose(colab.badge_markdown("course/01_first_steps.ipynb"))
    assert not i18n.has_prose("$x^2$, `y`")
    assert i18n.has_prose("Compute $x^2$ with `y`.")


def course_copy(tmp_path: Path, english: str) -> tuple[Path, i18n.Edition]:
    """A throwaway course with one English notebook and its Japanese catalog."""
    edition = next(e for e in EDITIONS if e.english.as_posix() == english)
    for path in (edition.english, edition.catalog):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    for assignment in course.assignments(ROOT):  # the course's assignments are the folders in solutions/
        (tmp_path / "solutions" / assignment).mkdir(parents=True, exist_ok=True)
    return tmp_path, edition


def edit_markdown_cell(path: Path, index: int, new_source: str) -> tuple[str, str]:
    nb = notebook.read(path)
    cell = [c for c in nb.cells if c.cell_type == "markdown"][index]
    old, cell.source = cell.source, new_source
    path.write_text(notebook.dumps(nb), encoding="utf-8")
    return cell.id, old


def test_a_changed_english_cell_fails_until_its_translation_is_revised(tmp_path):
    root, edition = course_copy(tmp_path, "course/02_tensors.ipynb")
    assert i18n.check(root, LANGUAGE) == []
    cell_id, old = edit_markdown_cell(root / edition.english, 2, "A sentence the translator has not seen yet.")
    problems = i18n.check(root, LANGUAGE)
    assert [(p.catalog, p.cell_id) for p in problems] == [(edition.catalog, cell_id)]
    assert "stale" in problems[0].what
    with pytest.raises(i18n.MissingTranslations, match=re.escape(f"{edition.catalog}: cell {cell_id}")):
        i18n.build(root, LANGUAGE)

    translation = polib.pofile(str(root / edition.catalog)).find(old, msgctxt=cell_id).msgstr
    assert list(i18n.update(root, LANGUAGE)) == [edition.catalog]
    catalog = polib.pofile(str(root / edition.catalog))
    entry = next(e for e in catalog if e.msgctxt == cell_id)
    assert (entry.msgid, entry.msgstr, entry.previous_msgid, entry.flags) == (
        "A sentence the translator has not seen yet.", translation, old, ["fuzzy"])
    assert "fuzzy" in i18n.check(root, LANGUAGE)[0].what

    entry.msgstr, entry.flags, entry.previous_msgid = "翻訳者がまだ見ていない文。", [], None  # the translator's revision
    catalog.save()
    assert i18n.check(root, LANGUAGE) == []
    i18n.build(root, LANGUAGE)
    assert "翻訳者がまだ見ていない文。" in [c.source for c in notebook.read(root / edition.translated).cells]


def test_update_adds_new_cells_and_retires_removed_ones_keeping_every_translation(tmp_path):
    root, edition = course_copy(tmp_path, "exercises/ex01/ex01.ipynb")
    before = {e.msgctxt: e.msgstr for e in polib.pofile(str(root / edition.catalog))}
    nb = notebook.read(root / edition.english)
    removed = [c for c in nb.cells if c.cell_type == "markdown"][-1]
    nb.cells.remove(removed)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A new paragraph."))
    del nb.cells[1]["id"]
    nb = notebook.normalize(nb, keep_outputs=False)
    (root / edition.english).write_text(notebook.dumps(nb), encoding="utf-8")
    new_id = nb.cells[1].id
    assert new_id not in before

    changes = i18n.update(root, LANGUAGE)
    assert (changes[edition.catalog].new, changes[edition.catalog].changed, changes[edition.catalog].obsolete) == (1, 0, 1)
    catalog = polib.pofile(str(root / edition.catalog))
    live = [e.msgctxt for e in catalog if not e.obsolete]
    assert live == [c.id for c in nb.cells if c.cell_type == "markdown"]
    assert catalog.find("A new paragraph.", msgctxt=new_id).msgstr == ""
    assert [e.msgctxt for e in catalog.obsolete_entries()] == [removed.id]
    assert {e.msgctxt: e.msgstr for e in catalog if e.msgctxt != new_id} == before
    assert i18n.update(root, LANGUAGE) == {}, "a second update changes nothing"


def test_a_missing_translation_is_reported_with_file_and_cell_id(tmp_path):
    root, edition = course_copy(tmp_path, "exercises/ex01/ex01.ipynb")
    catalog = polib.pofile(str(root / edition.catalog))
    emptied = catalog[1]
    emptied.msgstr = ""
    catalog.save()
    with pytest.raises(i18n.MissingTranslations) as raised:
        i18n.build(root, LANGUAGE)
    assert str(raised.value) == f"i18n/ja/exercises/ex01.po: cell {emptied.msgctxt}: untranslated"
    assert not (root / edition.translated).exists(), "nothing is written"

    built, missing = i18n.build(root, LANGUAGE, allow_missing=True)
    assert [(p.catalog, p.cell_id) for p in missing] == [(edition.catalog, emptied.msgctxt)]
    kept = next(c for c in notebook.read(built[0]).cells if c.id == emptied.msgctxt)
    assert kept.source == emptied.msgid


def test_links_are_rebased_for_the_japanese_tree(tmp_path):
    root, edition = course_copy(tmp_path, "course/01_first_steps.ipynb")
    (root / "README.ja.md").write_text("# 日本語\n", encoding="utf-8")
    links = i18n.LocalizeLinks(edition, i18n.counterparts(root, LANGUAGE))
    assert links.localize("../exercises/ex01/ex01.ipynb") == "../../exercises/ex01/ex01.ipynb", "no translation: English"
    course_copy(tmp_path, "exercises/ex01/ex01.ipynb")
    links = i18n.LocalizeLinks(edition, i18n.counterparts(root, LANGUAGE))
    assert links.localize("../exercises/ex01/ex01.ipynb") == "../exercises/ex01/ex01.ipynb", "ja/ mirrors the tree"
    assert links.localize(colab.url("course/01_first_steps.ipynb")) == colab.url("ja/course/01_first_steps.ipynb")
    assert links.localize("../README.md#quick-start") == "../../README.ja.md#quick-start"
    assert links.localize("../Makefile") == "../../Makefile"
    assert links.localize("https://pytorch.org/docs") == "https://pytorch.org/docs"
    assert links.localize("#summary") == "#summary"
    moved = {"x.md": "../x.md", "../x.md": "y.md"}  # one pass: a new target is never moved again
    assert i18n.replace_link_targets("[a](x.md) `(x.md)` [b]( x.md \"t\") [c](../x.md)\n[d]: x.md", moved) == (
        "[a](../x.md) `(x.md)` [b]( ../x.md \"t\") [c](y.md)\n[d]: ../x.md")


def test_a_new_cell_gets_an_id_that_no_cell_has_or_had_by_position():
    nb = notebook.read(ROOT / "course" / "01_first_steps.ipynb")
    ids = [c.id for c in nb.cells]
    for position in (0, 5, len(nb.cells)):
        nb.cells.insert(position, nbformat.v4.new_markdown_cell("Inserted."))
        del nb.cells[position]["id"]
    normalized = notebook.normalize(nb, keep_outputs=True)
    new_ids = [c.id for c in normalized.cells]
    assert len(set(new_ids)) == len(new_ids), "unique"
    assert [i for i in new_ids if i in ids] == ids, "existing ids unchanged, in order"
    assert not any(re.fullmatch(r"cell-\d{3}", i) for i in set(new_ids) - set(ids)), "never a positional id"
    assert notebook.normalize(nb, keep_outputs=True) == normalized, "deterministic"
