"""Build the course book: site/en/ and site/ja/ from the stored notebooks, offline, never executing.

    python docs/book.py [--site DIR] [--build DIR] [--ja-notebooks DIR]     (`make book` runs it bare)

Each language's notebooks are staged into build/book/<lang>/ (the landing page, the lectures from
course/, the exercises from exercises/ — never solutions/), passed through a few small
preprocessors, then rendered by Sphinx + MyST-NB from their stored outputs, warnings as errors.
Japanese notebooks live in ja/course/ and ja/exercises/; when none exist yet, site/ja/ is a
landing page saying that the translation is in progress.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import tomllib
from nbconvert.preprocessors import Preprocessor

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GLOSSARY = ROOT / "i18n" / "ja" / "glossary.toml"
NOTEBOOK_ROOTS = {"en": ROOT, "ja": ROOT / "ja"}  # each holds course/*.ipynb and exercises/exNN/exNN.ipynb
CONTENTS_MARKER = "% book: contents"
CAPTIONS = {"en": ("Lectures", "Exercises"), "ja": ("講義", "演習")}
REMOTE_COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_COLAB_BADGE = "colab-badge.svg"  # staged at the root of each source folder
# Sphinx and its extensions, by import name; a missing one means `make bootstrap` has not run.
REQUIRED_MODULES = ("sphinx", "myst_nb", "sphinx_book_theme", "sphinx_copybutton", "janome", "sphinx-mathjax-offline")


class RefuseSolutions(Preprocessor):
    """Stop the build if a notebook holds nbgrader's solution or hidden-test blocks: the book shows
    the questions and the visible checks only."""

    MARKERS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")

    def preprocess_cell(self, cell, resources, index):
        for marker in self.MARKERS:
            if marker in cell.source:
                raise ValueError(f"{resources['path']}: cell {index} holds {marker!r}; the book never shows solutions")
        return cell, resources


class LocalColabBadge(Preprocessor):
    """Show the Open-in-Colab badge from the site itself, so that opening a page requests nothing
    from another host (the badge still links to Colab)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and REMOTE_COLAB_BADGE in cell.source:
            cell.source = cell.source.replace(REMOTE_COLAB_BADGE, "/" + LOCAL_COLAB_BADGE)
        return cell, resources


class LinkMissingPagesToEnglish(Preprocessor):
    """A link to a notebook that this language does not have yet (a partial translation) leads to
    the English page instead of breaking the build."""

    LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+\.ipynb)\)")

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = self.LINK.sub(lambda m: self._link(m, resources), cell.source)
        return cell, resources

    def _link(self, match, resources):
        text, target = match.groups()
        if "://" in target:
            return match.group(0)
        page = posixpath.normpath(posixpath.join(resources["page_dir"], target))
        if page in resources["staged_pages"]:
            return match.group(0)
        depth = resources["page_dir"].count("/") + 1 if resources["page_dir"] else 0
        english = "../" * (depth + 1) + "en/" + page.removesuffix(".ipynb") + ".html"
        return f'<a href="{english}" hreflang="en">{text}</a>'


PREPROCESSORS = (RefuseSolutions, LocalColabBadge, LinkMissingPagesToEnglish)


def find_notebooks(lang: str) -> dict[str, list[Path]]:
    """The lectures and exercises of one language, in course order, relative to its notebook root."""
    root = NOTEBOOK_ROOTS[lang]
    return {
        "lectures": sorted(p.relative_to(root) for p in root.glob("course/*.ipynb")),
        "exercises": sorted(p.relative_to(root) for p in root.glob("exercises/ex*/ex*.ipynb")
                            if p.stem == p.parent.name),
    }


def stage_notebook(source: Path, dest: Path, page: str, staged_pages: set[str]) -> None:
    notebook = nbformat.read(source, as_version=4)
    resources = {"path": str(source), "page_dir": posixpath.dirname(page), "staged_pages": staged_pages}
    for preprocessor in PREPROCESSORS:
        notebook, resources = preprocessor().preprocess(notebook, resources)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, dest)


def contents_markdown(lang: str, notebooks: dict[str, list[Path]]) -> str:
    """The landing page's tables of contents, or the translation-in-progress note when there is nothing."""
    if not any(notebooks.values()):
        return (DOCS / lang / "in-progress.md").read_text(encoding="utf-8")
    blocks = []
    for caption, paths in zip(CAPTIONS[lang], (notebooks["lectures"], notebooks["exercises"])):
        if paths:
            entries = "\n".join(p.with_suffix("").as_posix() for p in paths)
            blocks.append(f"```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n\n{entries}\n```\n")
    return "\n".join(blocks)


def stage_language(lang: str, build: Path) -> tuple[Path, list[Path]]:
    """Write build/src/<lang>/: landing page, badge and preprocessed notebooks. Returns the folder and the notebooks."""
    srcdir = build / "src" / lang
    shutil.rmtree(srcdir, ignore_errors=True)
    srcdir.mkdir(parents=True)
    notebooks = find_notebooks(lang)
    landing = (DOCS / lang / "index.md").read_text(encoding="utf-8")
    if CONTENTS_MARKER not in landing:
        raise ValueError(f"docs/{lang}/index.md has no '{CONTENTS_MARKER}' line")
    (srcdir / "index.md").write_text(landing.replace(CONTENTS_MARKER, contents_markdown(lang, notebooks)), encoding="utf-8")
    shutil.copy(DOCS / "_static" / LOCAL_COLAB_BADGE, srcdir / LOCAL_COLAB_BADGE)
    all_notebooks = notebooks["lectures"] + notebooks["exercises"]
    staged_pages = {p.as_posix() for p in all_notebooks}
    for path in all_notebooks:
        stage_notebook(NOTEBOOK_ROOTS[lang] / path, srcdir / path, path.as_posix(), staged_pages)
    return srcdir, all_notebooks


def write_user_dictionary(glossary: Path, dest: Path) -> Path:
    """Janome's user dictionary (IPADIC CSV) with one noun per Japanese glossary term, so that the
    search index keeps 逆伝播 or 連鎖律 whole (Janome alone cuts them into 逆 + 伝播, 連鎖 + 律)."""
    terms = sorted({term["ja"] for term in tomllib.loads(glossary.read_text(encoding="utf-8"))["term"]})
    rows = [f"{t},1288,1288,-1000,名詞,固有名詞,一般,*,*,*,{t},*,*" for t in terms]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return dest


def sphinx_command(srcdir: Path, outdir: Path) -> list[str]:
    """HTML into outdir/html. MyST-NB also writes outdir/jupyter_execute (next to the HTML folder,
    not configurable), which is why the site is moved into place afterwards."""
    return [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "-E",
            "-c", str(DOCS), "-d", str(outdir / "doctrees"), str(srcdir), str(outdir / "html")]


def run_sphinx(srcdirs: dict[str, Path], outdirs: dict[str, Path], user_dictionary: Path) -> None:
    """Both languages at once (two processes): the build is mostly single-threaded Python."""
    procs = {}
    for lang, srcdir in srcdirs.items():
        shutil.rmtree(outdirs[lang], ignore_errors=True)
        env = dict(os.environ, BOOK_LANGUAGE=lang, BOOK_JA_USER_DICTIONARY=str(user_dictionary))
        procs[lang] = subprocess.Popen(sphinx_command(srcdir, outdirs[lang]), env=env, cwd=ROOT,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    failed = []
    for lang, proc in procs.items():
        output, _ = proc.communicate()
        if output.strip():
            print(f"--- sphinx ({lang}) ---\n{output}", file=sys.stderr)
        if proc.returncode:
            failed.append(lang)
    if failed:
        raise SystemExit(f"book: the {', '.join(failed)} build failed (warnings are errors; see above)")


def restore_original_notebooks(lang: str, notebooks: list[Path], site: Path) -> None:
    """'Download notebook' serves _sources/<page>.ipynb: make it the repository's notebook, untouched."""
    for path in notebooks:
        dest = site / lang / "_sources" / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NOTEBOOK_ROOTS[lang] / path, dest)


def write_site_index(site: Path) -> None:
    (site / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta http-equiv="refresh" content="0; url=en/index.html">\n'
        "<title>PyTorch autograd, interactively</title></head>\n"
        '<body><p><a href="en/index.html">English</a> · <a href="ja/index.html" lang="ja">日本語</a></p></body></html>\n',
        encoding="utf-8")


def missing_modules() -> list[str]:
    return [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]


def build(site: Path, build_dir: Path) -> None:
    missing = missing_modules()
    if missing:
        raise SystemExit(f"book: missing Python packages {missing}; run `make bootstrap` "
                         "(they are pinned in requirements-dev.txt)")
    started = time.monotonic()
    staged = {lang: stage_language(lang, build_dir) for lang in NOTEBOOK_ROOTS}
    user_dictionary = write_user_dictionary(GLOSSARY, build_dir / "ja-user-dictionary.csv")
    outdirs = {lang: build_dir / "out" / lang for lang in staged}
    run_sphinx({lang: srcdir for lang, (srcdir, _) in staged.items()}, outdirs, user_dictionary)
    site.mkdir(parents=True, exist_ok=True)
    for lang, (_, notebooks) in staged.items():
        shutil.rmtree(site / lang, ignore_errors=True)
        shutil.move(outdirs[lang] / "html", site / lang)
        restore_original_notebooks(lang, notebooks, site)
    write_site_index(site)
    counts = ", ".join(f"{lang}: {len(notebooks)} notebooks" for lang, (_, notebooks) in staged.items())
    print(f"book: {site}/en/index.html and {site}/ja/index.html ({counts}) in {time.monotonic() - started:.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="output folder (default: site/)")
    parser.add_argument("--build", type=Path, default=ROOT / "build" / "book",
                        help="staging folder for the Sphinx sources (default: build/book/)")
    parser.add_argument("--ja-notebooks", type=Path, default=NOTEBOOK_ROOTS["ja"],
                        help="folder with the Japanese course/ and exercises/ (default: ja/)")
    args = parser.parse_args(argv)
    NOTEBOOK_ROOTS["ja"] = args.ja_notebooks.resolve()
    build(args.site.resolve(), args.build.resolve())


if __name__ == "__main__":
    main()
