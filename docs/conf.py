"""Sphinx configuration of the course book, shared by both languages.

`docs/book.py` stages one source folder per language (build/book/<lang>/) and runs
`sphinx-build -c docs` on each with BOOK_LANGUAGE set; everything language-specific is decided here
from that variable. Notebooks are rendered from their stored outputs, never executed.
"""

import os
import posixpath
from pathlib import Path

LANGUAGES = ("en", "ja")
LANG = os.environ.get("BOOK_LANGUAGE", "en")
if LANG not in LANGUAGES:
    raise ValueError(f"BOOK_LANGUAGE must be one of {LANGUAGES}, not {LANG!r}")
OTHER_LANG = "ja" if LANG == "en" else "en"
LANGUAGE_NAMES = {"en": "English", "ja": "日本語"}

project = {"en": "PyTorch autograd, interactively", "ja": "PyTorch の自動微分を手を動かして学ぶ"}[LANG]
author = "The autograd course authors"
copyright = "the autograd course authors"  # noqa: A001 (Sphinx's name)
language = LANG

extensions = [
    "myst_nb",
    "sphinx_copybutton",
    "sphinx-mathjax-offline",  # MathJax 3 from the PyPI package, copied into _static/: no CDN
]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["book.css"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The notebooks are stored executed and verified by the test suite: show those outputs.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# A copy button on code (cell inputs, code blocks in the text), not on printed outputs.
copybutton_selector = "div:not(.output) > div.highlight > pre"

html_theme = "sphinx_book_theme"
html_title = project
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico, which no page has
html_context = {"default_mode": "auto"}  # light or dark as the reader's system says
html_theme_options = {
    "repository_url": "https://github.com/autograd-course/autograd-course",
    "repository_branch": "main",
    # The staged sources mirror the repository: course/… for English, ja/course/… for Japanese.
    "path_to_docs": "" if LANG == "en" else "ja",
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "article_header_end": ["language-switch.html", "article-header-buttons.html"],
}

# Search: Japanese words are not separated by spaces, so the index needs a word splitter. Janome
# with the course glossary as a user dictionary keeps every glossary term (逆伝播, 連鎖律, …) one
# word, which is what a reader types into the search box (book.py writes the dictionary).
html_search_language = LANG
if LANG == "ja":
    html_search_options = {
        "type": "sphinx.search.ja.JanomeSplitter",
        "user_dic": os.environ.get("BOOK_JA_USER_DICTIONARY", ""),
        "user_dic_enc": "utf8",
    }
    if not html_search_options["user_dic"]:
        del html_search_options["user_dic"]


def _other_language_page(srcdir: Path, pagename: str) -> str:
    """The page of the other language that shows the same thing: the same page, or its landing page."""
    other_src = srcdir.parent / OTHER_LANG
    for suffix in (".ipynb", ".md"):
        if (other_src / f"{pagename}{suffix}").is_file():
            return pagename
    return "index"


def add_language_switch(app, pagename, templatename, context, doctree):
    """Give every page a relative link to the same page in the other language (site/<lang>/…)."""
    target = _other_language_page(Path(app.srcdir), pagename)
    here = posixpath.dirname(app.builder.get_target_uri(pagename))
    to_site_root = posixpath.relpath(".", here or ".")
    context["language_switch"] = {
        "url": posixpath.normpath(posixpath.join(to_site_root, "..", OTHER_LANG, app.builder.get_target_uri(target))),
        "lang": OTHER_LANG,
        "label": LANGUAGE_NAMES[OTHER_LANG],
    }


def setup(app):
    app.connect("html-page-context", add_language_switch)
