"""check() and the graded feedback speak the language of the notebook (its metadata), never the machine's.

Japanese expectations here are written out by hand from the catalog's msgstr, not computed by the code.
"""

import csv
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import polib
import pytest
import tomllib

from autograder import checks, i18n, spec
from autograder.course import demo, messages
from autograder.course.notebook import execute
from autograder.decide import ItemResult, decide_item
from autograder.grading import inert, report
from autograder.grading import results as results_store
from autograder.grading.results import StudentResult

ROOT = Path(__file__).resolve().parents[1]
JA = {i18n.METADATA_KEY: {"language": "ja"}}
ENGLISH_LOCALE = {"LANG": "en_US.UTF-8", "LC_ALL": "C.UTF-8", "LANGUAGE": "en"}


def q3_result(grad: float) -> ItemResult:
    """ex01's q3_backward decided for x.grad == ``grad`` (y and x right)."""
    item = spec.load("ex01").item("q3_backward")
    ok = {"ok": True, "value": True}
    observed = [{"ok": True, "value": grad}, {"ok": True, "value": 15.0},
                {"ok": True, "value": {"type": "tensor", "dtype": "float32", "shape": [], "values": 2.0,
                                       "requires_grad": True, "is_leaf": True, "device": "cpu"}}, ok]
    return decide_item(item, list(item.probes), observed, [None] * 4)


def write_notebook(path: Path, cells: list, metadata: dict | None = None) -> Path:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata.update(metadata or {})
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The notebook's language, as check() finds it


def test_language_comes_from_the_session_notebook_metadata(tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")  # the machine's locale never decides
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    ja = write_notebook(tmp_path / "ja.ipynb", [], JA)
    en = write_notebook(tmp_path / "en.ipynb", [])
    assert checks.notebook_language({"__session__": str(ja)}) == "ja"
    assert checks.notebook_language({"__session__": str(en)}) == "en"
    assert checks.notebook_language({}) == "en"


def test_session_path_relative_to_the_server_root_finds_the_notebook_in_the_working_folder(tmp_path, monkeypatch):
    write_notebook(tmp_path / "ex01.ipynb", [], JA)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", "ja/exercises/ex01/ex01.ipynb")  # a server path: the kernel runs in its folder
    assert checks.notebook_language({}) == "ja"


def test_unreadable_or_unknown_metadata_is_english(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    klingon = write_notebook(tmp_path / "k.ipynb", [], {i18n.METADATA_KEY: {"language": "tlh"}})
    odd = write_notebook(tmp_path / "odd.ipynb", [], {i18n.METADATA_KEY: "ja"})
    for path in (broken, klingon, odd, tmp_path / "absent.ipynb"):
        assert checks.notebook_language({"__session__": str(path)}) == "en", path.name


def test_on_colab_the_language_comes_from_the_frontend_notebook(monkeypatch):
    asked = []

    def blocking_request(kind, request="", timeout_sec=5):
        asked.append(kind)
        return {"ipynb": {"metadata": JA, "cells": []}}

    fake = types.ModuleType("google.colab")
    fake._message = types.SimpleNamespace(blocking_request=blocking_request)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", fake)
    monkeypatch.setattr(checks, "_colab_metadata", [])
    assert checks.notebook_language({}) == "ja" and asked == ["get_ipynb"]
    assert checks.notebook_language({}) == "ja" and asked == ["get_ipynb"]  # asked once per kernel


# ---------------------------------------------------------------------------------------------
# Messages


def test_english_output_is_unchanged_and_japanese_is_translated():
    result = q3_result(-8.0)
    english = checks.format_text(result)
    assert english.splitlines() == [
        "✘ q3_backward: 0.1875/0.25 points",
        "  - x.grad: expected 8, got -8",
        "    hint: the result has the wrong sign: it is the expected value negated in every entry"]
    assert checks.format_text(result, "ja").splitlines() == [
        "✘ q3_backward: 0.1875/0.25 点",
        "  - x.grad: 期待される値は 8 ですが、-8 でした",
        "    ヒント: 結果の符号が逆です。すべての要素で期待値の符号を反転したものになっています"]


def test_a_passed_check_says_passed_in_japanese():
    result = q3_result(8.0)
    assert ">Passed</b>" in checks.format_html(result)
    assert ">合格</b>" in checks.format_html(result, language="ja") and "Passed" not in checks.format_html(result, language="ja")


def test_stored_results_stay_english_and_render_in_japanese_after_a_reload(tmp_path):
    stored = StudentResult("misaki", "ex01", score=0.1875, max_score=12.0, items=[q3_result(-8.0)])
    results_store.save(tmp_path, stored)
    raw = json.loads(results_store.path(tmp_path, "misaki", "ex01").read_text(encoding="utf-8"))
    assert raw["items"][0]["probes"][0]["message"] == "expected 8, got -8"  # language-neutral store
    loaded = results_store.load(tmp_path, "misaki", "ex01")
    page = report.feedback_html(loaded, language="ja")
    assert "期待される値は 8 ですが、-8 でした" in page and "得点: 0.1875 / 12" in page and "（状態: 完了）" in page
    assert "expected 8, got -8" in report.feedback_html(loaded)


def test_a_missing_translation_falls_back_to_english():
    assert i18n.translate("a text no catalog has", "ja") == "a text no catalog has"
    assert i18n.message("{n} and a text no catalog has", n=3).render("ja") == "3 and a text no catalog has"


def test_the_executed_notebook_keeps_only_a_known_language():
    nb = nbformat.v4.new_notebook()
    nb.metadata[i18n.METADATA_KEY] = {"language": "ja", "other": "<script>"}
    assert inert.inert_notebook(nb).metadata[i18n.METADATA_KEY] == {"language": "ja"}
    nb.metadata[i18n.METADATA_KEY] = {"language": "<script>"}
    assert i18n.METADATA_KEY not in inert.inert_notebook(nb).metadata


# ---------------------------------------------------------------------------------------------
# The catalog


def test_the_catalog_has_every_msgid_and_the_committed_mo_is_a_fresh_compile():
    assert messages.stale() == []


def test_every_message_of_the_code_is_translated_with_the_same_placeholders():
    po = polib.pofile(str(messages.po_path("ja")))
    code = [e for e in po if not e.obsolete and any(where == "code" for where, _ in e.occurrences)]
    assert code and not [e.msgid for e in code if not e.msgstr]
    for entry in code:
        assert sorted(_fields(entry.msgid)) == sorted(_fields(entry.msgstr)), entry.msgid


def _fields(template: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def test_the_catalog_uses_only_the_glossary_spellings():
    glossary = tomllib.loads((ROOT / "i18n" / "ja" / "glossary.toml").read_text(encoding="utf-8"))
    text = "\n".join(e.msgstr for e in polib.pofile(str(messages.po_path("ja"))))
    assert not [b for term in glossary["term"] for b in term.get("banned", []) if b in text]


def test_spec_texts_are_msgids():
    ids = messages.msgids()
    ex01 = spec.load("ex01")
    assert ex01.item("q3_backward").title in ids
    assert "a function with a kink at 0 (relu)" in ids  # a hidden case's label, drawn
    assert ex01.item("q1_tensors").probes[2].hints[0].message in ids


def test_the_japanese_sample_class_is_a_fresh_generation(tmp_path):
    copy = tmp_path / "course"
    for name in ("samples", "i18n"):
        shutil.copytree(ROOT / name, copy / name)
    if (ROOT / "ja").exists():
        shutil.copytree(ROOT / "ja", copy / "ja")
    shutil.rmtree(copy / "samples" / "ja")
    demo.write_translated_samples(copy)
    for path in sorted((ROOT / "samples" / "ja").rglob("*.ipynb")):
        fresh = copy / path.relative_to(ROOT)
        assert fresh.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path


def test_the_japanese_sample_has_the_english_code_and_japanese_prose():
    en = nbformat.read(ROOT / "samples" / "ex01" / "carol" / "ex01.ipynb", as_version=4)
    ja = nbformat.read(ROOT / "samples" / "ja" / "ex01" / "misaki" / "ex01.ipynb", as_version=4)
    assert [c.source for c in ja.cells if c.cell_type == "code"] == [c.source for c in en.cells if c.cell_type == "code"]
    assert i18n.notebook_language(ja) == "ja" and "演習" in ja.cells[0].source
    assert ("samples/ja/ex01" in [str(f.relative_to(ROOT)) for _, f in demo.sample_classes(ROOT / "samples")])


# ---------------------------------------------------------------------------------------------
# In a real kernel, and through a real grading batch


@pytest.mark.slow
def test_check_in_a_japanese_notebook_answers_in_japanese_on_an_english_locale(tmp_path):
    code = nbformat.v4.new_code_cell
    failing = code("x = torch.tensor(2.0, requires_grad=True)\ny = x ** 2 + 4 * x + 3\n(-y).backward()\ncheck('q3_backward')")
    failing.metadata["tags"] = ["raises-exception"]
    cells = [code("import torch\nfrom autograder.checks import Checker\ncheck = Checker('ex01')"),
             code("a = torch.tensor(1.0, requires_grad=True)\nv = torch.ones(3, requires_grad=True)\n"
                  "M = torch.ones(2, 3, requires_grad=True)\ncheck('q1_tensors')"),
             failing, code("import os\nprint(os.environ['LANG'], __session__)")]
    path = write_notebook(tmp_path / "ex01.ipynb", cells, JA)
    # jupyter_server starts the kernel with JPY_SESSION_NAME = the notebook's path; ipykernel sets __session__ from it
    nb = execute(nbformat.read(path, as_version=4), tmp_path, env={**ENGLISH_LOCALE, "JPY_SESSION_NAME": str(path)})
    passed = nb.cells[1].outputs[0]["data"]["text/html"]
    assert ">合格</b>" in passed and "Passed" not in passed
    error = "\n".join(nb.cells[2].outputs[0]["traceback"])
    assert "期待される値は 8 ですが、-8 でした" in error
    assert "ヒント: 結果の符号が逆です" in error and "hint:" not in error
    assert nb.cells[3].outputs[0]["text"].startswith("en_US.UTF-8 ")


@pytest.mark.slow
def test_one_batch_of_both_languages_gives_equal_scores_and_each_student_feedback_in_their_language(tmp_path):
    """The Japanese sample class is the English one's code; graded together, through the demo's own function."""
    submissions = tmp_path / "submissions"
    for english, japanese in demo.JAPANESE_STUDENTS.items():
        shutil.copytree(ROOT / "samples" / "ex01" / english, submissions / english)
        shutil.copytree(ROOT / "samples" / "ja" / "ex01" / japanese, submissions / japanese)
    out = tmp_path / "out"
    rows = {r["student_id"]: r for r in demo.grade_class(ROOT, "ex01", submissions, out,
                                                          ["--db-url", f"sqlite:///{tmp_path}/gradebook.db", "--no-progress"])}
    items = [item.id for item in spec.load("ex01").items]
    for english, japanese in demo.JAPANESE_STUDENTS.items():
        assert [rows[english][i] for i in items + ["score", "status"]] == [rows[japanese][i] for i in items + ["score", "status"]]
    assert len({rows[s]["score"] for s in demo.JAPANESE_STUDENTS}) > 3  # the class is not all one score
    ja_page = (out / "feedback" / "misaki" / "ex01.html").read_text(encoding="utf-8")
    en_page = (out / "feedback" / "carol" / "ex01.html").read_text(encoding="utf-8")
    assert "misaki さんへのフィードバック" in ja_page and "得点:" in ja_page and "あなたのノートブック" in ja_page
    assert "feedback for carol" in en_page and "Score:" in en_page and "得点" not in en_page
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        assert {r["student_id"] for r in csv.DictReader(f)} == set(rows)


def test_the_demo_grades_the_japanese_class_next_to_the_english_one(monkeypatch, tmp_path):
    graded = []
    monkeypatch.setattr(demo.cli, "main", lambda argv: graded.append(argv[:4]) or 0)
    monkeypatch.setattr(demo, "grade_class", lambda root, a, folder, out, extra=None: graded.append(
        [a, str(folder.relative_to(ROOT)), str(out.relative_to(ROOT))]) or [])
    assert demo.main([]) == 0
    assert ["ex01", "samples/ex01", "out/demo/ex01"] in graded
    assert ["ex01", "samples/ja/ex01", "out/demo/ja/ex01"] in graded


def test_the_package_ships_the_compiled_catalog():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "locale/*/LC_MESSAGES/*.mo" in text
    built = subprocess.run([sys.executable, "-c", "import gettext, autograder.i18n as i; "
                            "print(gettext.translation('autograder', i.LOCALE_DIR, languages=['ja']).gettext('Passed'))"],
                           capture_output=True, text=True, env={**ENGLISH_LOCALE, "PATH": "/usr/bin:/bin"}, cwd=ROOT)
    assert built.stdout.strip() == "合格", built.stderr


def test_a_redacted_hidden_probe_reads_in_japanese():
    from autograder.grading.grade import redact_hidden

    item = spec.load("ex01").item("q4_derivative_at")
    probes = [p for p in spec.item_probes("ex01", item, "a secret") if p.hidden][:2]
    observed = [{"ok": True, "value": 123.0}, {"ok": False, "error": "ZeroDivisionError", "message": "secret 0.731"}]
    result = redact_hidden(decide_item(item, probes, observed, [{"ok": True, "value": 1.0}] * 2), observed)
    wrong, raised = result.probes
    assert wrong.message.startswith("wrong on a hidden input") and "123" not in json.dumps(wrong.texts)
    assert wrong.shown("message", "ja") == "採点時に生成した隠し入力で誤りがありました（参照解は別の結果を返します）"
    assert raised.shown("message", "ja") == "隠し入力で評価すると ZeroDivisionError が発生しました"
    assert "0.731" not in json.dumps(raised.texts)
