"""The course book (`make book`, docs/book.py): built once for this module, then read as a reader would.

The build runs with the network cut off where this process may make a network namespace (root
with `unshare`), into a temporary folder. Pages are served from 127.0.0.1 and opened in the
headless Chromium of the browser tests: every page loads without console or script errors and
requests nothing from another host, its math is typeset, its images load and its internal links
lead somewhere; search finds the lecture that explains a term; the language switch leads to the
same lecture. Structure (order, outputs, exercises without solutions, downloads) is read from the
HTML files. Japanese checks run when ja/course/ holds the translated lectures and are skipped,
saying so, until then.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import tomllib
from bs4 import BeautifulSoup

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT = 60_000  # ms: a busy 2-core machine
REPO_BLOB = "https://colab.research.google.com/github/autograd-course/autograd-course/blob/main/"

LECTURES = sorted(p.relative_to(ROOT) for p in (ROOT / "course").glob("*.ipynb"))
EXERCISES = sorted(p.relative_to(ROOT) for p in (ROOT / "exercises").glob("ex*/ex*.ipynb"))
JA_ROOT = ROOT / "ja"
JA_LECTURES = sorted(p.relative_to(JA_ROOT) for p in (JA_ROOT / "course").glob("*.ipynb"))
NO_JA_LECTURES = "no Japanese lectures in ja/course/ yet (the translation is in progress)"
NOTEBOOK_ROOTS = {"en": ROOT, "ja": JA_ROOT}


def _editions(notebooks: list[Path]) -> list:
    """(language, notebook) for the English notebooks and for those of them that have a Japanese twin."""
    return [pytest.param(lang, nb, id=f"{lang}-{nb.stem}") for lang in ("en", "ja") for nb in notebooks
            if (NOTEBOOK_ROOTS[lang] / nb).is_file()]

# A term and the lecture that explains it; the Japanese terms are the glossary's (i18n/ja/glossary.toml).
ENGLISH_SEARCHES = [("chain rule", "course/06_computation_graphs"), ("backpropagation", "course/06_computation_graphs"),
                    ("retain_graph", "course/04_backward")]
JAPANESE_SEARCHES = [("連鎖律", {"course/06_computation_graphs"}),
                     ("逆伝播", {"course/04_backward", "course/06_computation_graphs"})]


def _load_book_module():
    spec = importlib.util.spec_from_file_location("course_book", ROOT / "docs" / "book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


book_module = _load_book_module()


def _network_cut_off_prefix() -> list[str]:
    """`unshare -n` (a network namespace with only a loopback that is down) where this process may make one."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return []
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    return ["unshare", "-n"] if probe.returncode == 0 else []


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    base = tmp_path_factory.mktemp("book")
    prefix = _network_cut_off_prefix()
    proc = subprocess.run([*prefix, sys.executable, str(ROOT / "docs" / "book.py"), "--site", str(base / "site"),
                           "--build", str(base / "build")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"the book did not build:\n{proc.stdout}\n{proc.stderr}"
    return SimpleNamespace(site=base / "site", offline=bool(prefix), log=proc.stdout + proc.stderr)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def server(book):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(book.site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    expect.set_options(timeout=TIMEOUT)
    yield page
    context.close()


def _html(book, lang: str, page: str) -> BeautifulSoup:
    return BeautifulSoup((book.site / lang / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def _pages(book) -> list[Path]:
    """Every HTML page of both languages (not the theme's assets, not the site's redirecting root)."""
    return sorted(p for lang in ("en", "ja") for p in (book.site / lang).rglob("*.html")
                  if not {"_static", "_sources", "_images"} & set(p.relative_to(book.site).parts))


# --- the build ------------------------------------------------------------------------------------


def test_book_builds_with_the_network_cut_off(book):
    if not book.offline:
        pytest.skip("cannot make a network namespace here (needs root and unshare)")
    assert (book.site / "en" / "index.html").is_file() and (book.site / "ja" / "index.html").is_file()


def test_the_site_root_leads_to_both_languages(book):
    root = BeautifulSoup((book.site / "index.html").read_text(encoding="utf-8"), "html.parser")
    targets = {a["href"] for a in root.select("a[href]")}
    assert targets == {"en/index.html", "ja/index.html"}
    assert all((book.site / target).is_file() for target in targets)


def test_mathjax_is_served_from_the_site(book):
    lecture = _html(book, "en", "course/04_backward")
    sources = [s["src"] for s in lecture.select("script[src]")]
    mathjax = [s for s in sources if "mathjax" in s.lower()]
    assert mathjax == ["../_static/mathjax/tex-chtml.js"]
    assert (book.site / "en" / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert not [s for s in sources if "://" in s]


# --- every page in the browser --------------------------------------------------------------------


class PageWatch:
    """What went wrong while one page loaded: errors, requests to other hosts, failed requests."""

    def __init__(self, page, origin: str):
        self.origin = origin
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("request", self._request)
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def _failed(self, request):
        # The browser aborts a favicon or prefetch still in flight when the test opens the next page:
        # that is the test moving on, not a broken link (a missing file answers 404, counted below).
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _request(self, request):
        if not request.url.startswith((self.origin + "/", "data:", "blob:", "about:")):
            self.problems.append(f"request to another host: {request.url}")


# Runs in the page once MathJax is done: what a reader sees, less code and typeset math.
READ_PAGE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await document.fonts.ready;
  const text = document.querySelector('main') || document.body;
  const prose = text.cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, mjx-container, .math').forEach(e => e.remove());
  const math = [...document.querySelectorAll('.math')];
  return {
    prose: prose.textContent,
    math: math.length,
    untypeset: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60)),
    brokenImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
}"""
RAW_MATH = re.compile(r"\$[^$\s][^$\n]*\$|\\\(|\\\[")


def test_every_page_loads_cleanly_offline_with_math_images_and_links(book, server, page):
    problems, ids, links = [], {}, []
    watch = PageWatch(page, server)
    for path in _pages(book):
        url = f"{server}/{path.relative_to(book.site).as_posix()}"
        watch.problems = []
        response = page.goto(url, wait_until="load")
        seen = page.evaluate(READ_PAGE)
        problems += [f"{url}: {p}" for p in watch.problems]
        if response.status != 200:
            problems.append(f"{url}: HTTP {response.status}")
        problems += [f"{url}: math not typeset: {m!r}" for m in seen["untypeset"]]
        problems += [f"{url}: raw math left in the text: {m!r}" for m in RAW_MATH.findall(seen["prose"])]
        problems += [f"{url}: image did not load: {src}" for src in seen["brokenImages"]]
        ids[url] = set(seen["ids"])
        links += [(url, link) for link in seen["links"] if link.startswith(server + "/")]
    problems += _broken_internal_links(book, server, ids, links)
    assert not problems, "\n".join(problems)
    assert len(ids) >= len(LECTURES) + len(EXERCISES) + 4  # the pages were found and opened


def _broken_internal_links(book, server, ids, links) -> list[str]:
    broken = []
    for source, link in sorted(set(links)):
        target, _, fragment = link.partition("#")
        target = urllib.parse.unquote(urllib.parse.urlsplit(target).path)
        file = book.site / target.lstrip("/")
        if target.endswith("/"):
            file = file / "index.html"
        if not file.is_file():
            broken.append(f"{source}: broken link {link}")
        elif fragment and f"{server}{target}" in ids and urllib.parse.unquote(fragment) not in ids[f"{server}{target}"]:
            broken.append(f"{source}: no #{fragment} in {target}")
    return broken


def test_math_is_typeset_on_the_lectures_that_have_math(book, server, page):
    """The page-by-page check above finds nothing untypeset; this one makes sure there was math to typeset."""
    page.goto(f"{server}/en/course/04_backward.html")
    seen = page.evaluate(READ_PAGE)
    assert seen["math"] >= 20 and not seen["untypeset"]
    assert page.locator("mjx-container").count() >= 20


def test_code_has_a_copy_button_and_highlighting(book, server, page):
    page.goto(f"{server}/en/course/02_tensors.html")
    code_blocks = page.locator("div.cell_input div.highlight > pre")
    expect(code_blocks.first).to_be_visible()
    assert page.locator("div.cell_input button.copybtn").count() == code_blocks.count() > 10
    assert page.locator("div.cell_output button.copybtn").count() == 0  # printed outputs are not code to copy
    assert page.locator("div.cell_input .highlight .kn").count() > 0  # `import` as a keyword


# --- structure, from the HTML ---------------------------------------------------------------------


def test_the_ten_lectures_come_in_order_with_previous_and_next(book):
    pages = [p.with_suffix("").as_posix() for p in LECTURES]
    assert len(pages) == 10
    landing = _html(book, "en", "index")
    toc = [a["href"].removesuffix(".html") for a in landing.select("div.toctree-wrapper a.reference.internal")]
    assert toc[:10] == pages
    for i, page in enumerate(pages):
        html = _html(book, "en", page)
        prev_link, next_link = html.select_one("a.left-prev"), html.select_one("a.right-next")
        if i > 0:
            assert prev_link["href"] == Path(pages[i - 1]).name + ".html"
        if i < 9:
            assert next_link["href"] == Path(pages[i + 1]).name + ".html"
        assert html.select("#pst-page-toc-nav a, .bd-toc-nav a"), f"{page} has no table of contents"


def _stream_texts(notebook) -> list[str]:
    return [" ".join(out["text"].split()) for cell in notebook.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out["output_type"] == "stream" and out["text"].strip()]


def _image_outputs(notebook) -> int:
    return sum(1 for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
               if {"image/png", "image/svg+xml"} & set(out.get("data", {})))


@pytest.mark.parametrize(("lang", "lecture"), _editions(LECTURES))
def test_a_lecture_shows_its_stored_outputs_and_figures(book, lang, lecture):
    notebook = nbformat.read(NOTEBOOK_ROOTS[lang] / lecture, as_version=4)
    html = _html(book, lang, lecture.with_suffix("").as_posix())
    shown = " ".join(" ".join(div.get_text(" ").split()) for div in html.select("div.cell_output"))
    shown = " ".join(shown.split())
    missing = [text[:80] for text in _stream_texts(notebook) if text not in shown]
    assert not missing, f"outputs not on the page: {missing}"
    images = html.select("div.cell_output img")
    assert len(images) == _image_outputs(notebook)
    assert all((book.site / lang / lecture.parent / img["src"]).resolve().is_file() for img in images)


def _solution_lines(exercise: Path) -> list[str]:
    """Lines of the reference answers that the exercise notebook does not itself contain."""
    solution = nbformat.read(ROOT / "solutions" / exercise.relative_to("exercises"), as_version=4)
    released = (ROOT / exercise).read_text(encoding="utf-8")
    lines = []
    for cell in solution.cells:
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside and len(line.strip()) >= 20 and line.strip() not in released:
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize(("lang", "exercise"), _editions(EXERCISES))
def test_an_exercise_page_has_the_questions_and_checks_but_no_solution(book, lang, exercise):
    notebook = nbformat.read(NOTEBOOK_ROOTS[lang] / exercise, as_version=4)
    html = _html(book, lang, exercise.with_suffix("").as_posix())
    code = "\n".join(pre.get_text() for pre in html.select("div.cell_input pre"))
    checks = [c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks and all(check in code for check in checks)
    assert "raise NotImplementedError()" in code
    assert not html.select("div.cell_output"), "exercises are stored unexecuted, and the book executes nothing"
    solution_lines = _solution_lines(exercise)
    assert solution_lines, "the reference solution has answer lines to look for"
    page_text = str(html)
    assert not [line for line in solution_lines if line in page_text]


@pytest.mark.parametrize(("lang", "notebook"), _editions([LECTURES[0], EXERCISES[0], EXERCISES[-1]]))
def test_a_page_opens_in_colab_and_downloads_the_repository_notebook(book, lang, notebook):
    page = notebook.with_suffix("").as_posix()
    html = _html(book, lang, page)
    hrefs = [a["href"] for a in html.select("a[href]")]
    in_repository = (NOTEBOOK_ROOTS[lang] / notebook).relative_to(ROOT).as_posix()
    assert REPO_BLOB + in_repository in hrefs
    downloads = [h for h in hrefs if h.endswith(".ipynb") and "_sources/" in h]
    assert len(downloads) == 1
    downloaded = (book.site / lang / notebook.parent / downloads[0]).resolve()
    assert downloaded.read_bytes() == (NOTEBOOK_ROOTS[lang] / notebook).read_bytes()


# --- search ---------------------------------------------------------------------------------------


def _search(page, server: str, lang: str, query: str) -> list[str]:
    """The pages that the site's own search lists for a query, best first."""
    page.goto(f"{server}/{lang}/search.html?q={urllib.parse.quote(query)}")
    results = page.locator("#search-results ul.search > li > a")
    try:
        expect(results.first).to_be_visible()
    except AssertionError:
        return []
    return [href.split("#")[0].removesuffix(".html") for href in results.evaluate_all("as => as.map(a => a.getAttribute('href'))")]


@pytest.mark.parametrize(("query", "lecture"), ENGLISH_SEARCHES)
def test_english_search_finds_the_lecture(book, server, page, query, lecture):
    found = _search(page, server, "en", query)
    assert found and found[0] == lecture, f"{query!r} found {found}"


@pytest.mark.parametrize(("query", "lectures"), JAPANESE_SEARCHES)
def test_japanese_search_finds_the_lecture(book, server, page, query, lectures):
    if not JA_LECTURES:
        pytest.skip(NO_JA_LECTURES)
    untranslated = sorted(lecture for lecture in lectures if not (JA_ROOT / f"{lecture}.ipynb").is_file())
    if untranslated:
        pytest.skip(f"not translated yet: {', '.join('ja/' + u + '.ipynb' for u in untranslated)}")
    found = _search(page, server, "ja", query)
    assert found and found[0] in lectures, f"{query!r} found {found}"


def test_the_glossary_dictionary_keeps_every_japanese_term_one_search_word(tmp_path):
    """Without it Janome indexes 逆伝播 as 逆 + 伝播 and 連鎖律 as 連鎖 + 律, and a search for the term finds nothing."""
    from sphinx.search.ja import JanomeSplitter

    dictionary = book_module.write_user_dictionary(book_module.GLOSSARY, tmp_path / "user.csv")
    splitter = JanomeSplitter({"user_dic": str(dictionary), "user_dic_enc": "utf8"})
    terms = [term["ja"] for term in tomllib.loads(book_module.GLOSSARY.read_text(encoding="utf-8"))["term"]]
    assert [t for t in terms if splitter.split(t) != [t]] == []
    words = splitter.split("backward() は逆伝播を実行し、連鎖律で勾配を求めます。")
    assert {"逆伝播", "連鎖律", "勾配"} <= set(words)


# --- the language switch --------------------------------------------------------------------------


def _switch_target(book, lang: str, page: str) -> Path:
    link = _html(book, lang, page).select_one("a.language-switch")
    return (book.site / lang / Path(page).parent / link["href"]).resolve()


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.stem)
def test_the_language_switch_names_the_same_lecture_or_the_japanese_landing_page(book, lecture):
    name = lecture.with_suffix("").as_posix()
    translated = (JA_ROOT / lecture).is_file()
    expected = book.site / "ja" / (f"{name}.html" if translated else "index.html")
    assert _switch_target(book, "en", name) == expected.resolve() and expected.is_file()
    if translated:
        assert _switch_target(book, "ja", name) == (book.site / "en" / f"{name}.html").resolve()


def test_clicking_the_language_switch_goes_to_the_japanese_lecture_and_back(book, server, page):
    if not JA_LECTURES:
        pytest.skip(NO_JA_LECTURES)
    name = JA_LECTURES[len(JA_LECTURES) // 2].with_suffix("").as_posix()
    page.goto(f"{server}/en/{name}.html")
    page.locator("a.language-switch").click()
    expect(page).to_have_url(f"{server}/ja/{name}.html")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.locator("a.language-switch").click()
    expect(page).to_have_url(f"{server}/en/{name}.html")
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_japanese_landing_page_says_the_translation_is_in_progress(book):
    if JA_LECTURES:
        pytest.skip("ja/course/ has lectures: the landing page lists them instead")
    landing = _html(book, "ja", "index")
    assert "日本語訳は作成中です" in landing.get_text()
    assert not landing.select("div.toctree-wrapper")


def test_the_japanese_landing_page_lists_the_translated_lectures(book):
    if not JA_LECTURES:
        pytest.skip(NO_JA_LECTURES)
    landing = _html(book, "ja", "index")
    toc = [a["href"].removesuffix(".html") for a in landing.select("div.toctree-wrapper a.reference.internal")]
    assert toc[: len(JA_LECTURES)] == [p.with_suffix("").as_posix() for p in JA_LECTURES]


# --- the staging preprocessors, without a build ---------------------------------------------------


def _notebook_with_markdown(text: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])


def test_a_notebook_with_a_solution_block_stops_the_build():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")])
    with pytest.raises(ValueError, match="never shows solutions"):
        book_module.RefuseSolutions().preprocess(notebook, {"path": "ex.ipynb"})


def test_a_link_to_an_untranslated_page_leads_to_the_english_page():
    notebook = _notebook_with_markdown("[演習 06](../exercises/ex06/ex06.ipynb) と [講義 02](02_tensors.ipynb)")
    resources = {"page_dir": "course", "staged_pages": {"course/02_tensors.ipynb"}}
    notebook, _ = book_module.LinkMissingPagesToEnglish().preprocess(notebook, resources)
    assert notebook.cells[0].source == (
        '<a href="../../en/exercises/ex06/ex06.html" hreflang="en">演習 06</a> と [講義 02](02_tensors.ipynb)')


def test_the_colab_badge_is_shown_from_the_site():
    notebook = _notebook_with_markdown(f"[![Open In Colab]({book_module.REMOTE_COLAB_BADGE})]({REPO_BLOB}course/x.ipynb)")
    notebook, _ = book_module.LocalColabBadge().preprocess(notebook, {})
    assert notebook.cells[0].source == f"[![Open In Colab](/colab-badge.svg)]({REPO_BLOB}course/x.ipynb)"


def test_the_book_packages_are_pinned_alike_for_pip_and_conda():
    pinned = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M))
    pinned = {name.lower(): version for name, version in pinned.items()}
    conda_pip = dict(re.findall(r"^      - ([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "environment.yml").read_text(), re.M))
    book_packages = {"sphinx", "myst-nb", "sphinx-book-theme", "sphinx-copybutton", "sphinx-mathjax-offline", "janome"}
    assert book_packages <= set(conda_pip)
    assert {name: pinned.get(name) for name in conda_pip} == conda_pip


def test_the_page_check_sees_another_host_raw_math_and_a_broken_image(book, server, page):
    """A control page: what the page-by-page check must catch, it does catch."""
    control = book.site / "control-page.html"
    control.write_text('<!DOCTYPE html><html><body><main><p>Raw $x^2$ here.</p>'
                       '<img src="http://192.0.2.1/figure.png"><img src="missing.png"></main></body></html>')
    try:
        watch = PageWatch(page, server)
        page.goto(f"{server}/control-page.html", wait_until="load")
        seen = page.evaluate(READ_PAGE)
    finally:
        control.unlink()
    assert "request to another host: http://192.0.2.1/figure.png" in watch.problems
    assert f"HTTP 404: {server}/missing.png" in watch.problems
    assert RAW_MATH.findall(seen["prose"]) == ["$x^2$"]
    assert len(seen["brokenImages"]) == 2


def test_with_no_japanese_notebooks_the_landing_page_says_the_translation_is_in_progress():
    contents = book_module.contents_markdown("ja", {"lectures": [], "exercises": []})
    assert "日本語訳は作成中です" in contents and "toctree" not in contents


def test_a_partial_translation_lists_only_what_exists():
    lectures = [Path("course/01_first_steps.ipynb"), Path("course/02_tensors.ipynb")]
    contents = book_module.contents_markdown("ja", {"lectures": lectures, "exercises": []})
    assert contents == "```{toctree}\n:caption: 講義\n:maxdepth: 1\n\ncourse/01_first_steps\ncourse/02_tensors\n```\n"
