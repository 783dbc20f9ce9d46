"""What a student sees in JupyterLab: exercise 01 in headless Chromium, driven by Playwright.

JupyterLab runs from this venv (where the course package is importable, so the setup cell installs
nothing) on a copy of exercises/ex01. The test runs all cells, checks that the page shows a check's
feedback for an unanswered item, then types a correct answer to q3 and checks that it passes.
Screenshots go to test-artifacts/ (gitignored); the last one, ex01-q3-passed.png, is what a student
sees after answering q3.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder import spec

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EX01 = spec.load("ex01")

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SLOW = 240_000  # ms: kernel start, torch import and first renders on a busy machine
Q3_ANSWER = "x = torch.tensor(2.0, requires_grad=True)\ny = x**2 + 4*x + 3\ny.backward()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_server(base: Path, root: Path, **extra_env: str):
    """JupyterLab's server on loopback in ``root``, with private config, settings and workspaces under
    ``base``; its log in ``base / "server.log"``; shut down (kernels included) when the block ends."""
    for name in ("config", "data", "runtime", "settings", "workspaces"):
        (base / name).mkdir()
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTEST_"))}
    env.update({"JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_DATA_DIR": str(base / "data"),
                "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
                "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"), **extra_env})
    log = open(base / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}):\n{(base / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer:\n{(base / 'server.log').read_text()}")
            time.sleep(0.5)
        yield {"url": url, "token": token, "root": root, "log": base / "server.log"}
    finally:
        proc.terminate()  # SIGTERM: jupyter_server shuts its kernels down and exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a copy of exercises/ex01, private settings and workspaces; shut down at the end."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    base = tmp_path_factory.mktemp("lab")
    root_dir = base / "ex01"
    shutil.copytree(ROOT / "exercises" / "ex01", root_dir)
    with jupyter_server(base, root_dir, MPLBACKEND="agg") as server:
        yield server


@pytest.fixture
def page(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(SLOW)
            expect.set_options(timeout=SLOW)  # expect() has its own default of 5 s
            yield page
            context.close()
        finally:
            browser.close()


def _dismiss_news_toast(page) -> None:
    """JupyterLab asks once whether to fetch Jupyter news; answer No so the toast does not cover outputs."""
    toast = page.locator(".Toastify__toast", has_text="Jupyter news")
    if toast.count():
        toast.get_by_role("button", name="No", exact=True).click()
        expect(toast).to_have_count(0)


def _shot(page, name: str) -> None:
    _dismiss_news_toast(page)
    page.screenshot(path=str(ARTIFACTS / name))


def _wait_idle(page, settle_ms: int = 1500) -> None:
    """Wait until the notebook's kernel is idle, and stays idle for a moment (between queued cells it blinks)."""
    indicator = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator")
    for _ in range(3):
        expect(indicator).to_have_attribute("data-status", "idle", timeout=SLOW)
        page.wait_for_timeout(settle_ms)
        if indicator.get_attribute("data-status") == "idle":
            return
    expect(indicator).to_have_attribute("data-status", "idle", timeout=SLOW)


def _code_cell(page, contains: str):
    """The code cell whose source contains ``contains`` (exactly one)."""
    cells = page.locator(".jp-Notebook .jp-CodeCell").filter(
        has=page.locator(".jp-InputArea .cm-content", has_text=contains))
    expect(cells).to_have_count(1)
    return cells


def _cell_index(page, cell) -> int:
    return cell.evaluate("c => Array.from(c.parentElement.children).filter(e => e.classList.contains('jp-Cell')).indexOf(c)")


def _run_cell(page, cell) -> None:
    """Select the cell in command mode and run it with Ctrl+Enter (runs it and stays on it)."""
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    expect(cell).to_have_class(re.compile(r"\bjp-mod-selected\b"))
    page.keyboard.press("Control+Enter")


def test_student_sees_feedback_then_passes_q3(lab, page):
    try:
        _student_session(lab, page)
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "ex01-failure.png"))
        raise


def _student_session(lab, page):
    page.goto(f"{lab['url']}/lab/tree/ex01.ipynb?token={lab['token']}", wait_until="domcontentloaded")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    expect(notebook.locator(".jp-Cell").first).to_be_visible()
    expect(page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")).to_have_count(1)
    _wait_idle(page)
    setup = _code_cell(page, "check = Checker(")

    # Run → Run All Cells, as a student does.
    _dismiss_news_toast(page)  # not while the menu is open: clicking the toast would close the menu
    setup.locator(".jp-InputPrompt").click()  # make the notebook the current widget
    page.keyboard.press("Escape")
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    run_all = page.get_by_role("menuitem", name=re.compile(r"^Run All Cells"))
    expect(run_all).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ex01-0-run-menu.png"))
    run_all.click()
    # The setup cell gets an execution count; the first answer cell stops the run with NotImplementedError.
    expect(setup.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"), timeout=SLOW)
    expect(notebook.locator(".jp-OutputArea-output", has_text="NotImplementedError").first).to_be_visible(timeout=SLOW)
    _wait_idle(page)
    assert not setup.locator(".jp-OutputArea-output").count() or "Error" not in setup.locator(".jp-OutputArea").inner_text()
    _shot(page, "ex01-1-run-all.png")

    # The check cells after the first error did not run (JupyterLab stops a Run All at an error);
    # run q4's still-unanswered function and its check, as a student working down the notebook would.
    q4_answer = _code_cell(page, "def derivative_at(f, x0):")
    q4_check = _code_cell(page, 'check("q4_derivative_at")')
    _run_cell(page, q4_answer)
    _wait_idle(page)
    _run_cell(page, q4_check)
    feedback = q4_check.locator(".jp-OutputArea-output")
    expect(feedback).to_contain_text(f"✘ q4_derivative_at: 0/{EX01.item('q4_derivative_at').points:g} points", timeout=SLOW)
    expect(feedback).to_contain_text("not answered yet")
    _wait_idle(page)
    q4_check.scroll_into_view_if_needed()
    _shot(page, "ex01-2-q4-not-answered.png")

    # Answer q3: replace the answer cell's text, run it and the check below it.
    q3_check = _code_cell(page, 'check("q3_backward")')
    q3_answer = notebook.locator(".jp-Cell").nth(_cell_index(page, q3_check) - 1)
    expect(q3_answer.locator(".cm-content")).to_contain_text("print(x.grad)")
    editor = q3_answer.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    expect(editor).to_have_text("")
    page.keyboard.insert_text(Q3_ANSWER)
    typed = editor.evaluate("e => e.cmView ? e.cmView.view.state.doc.toString() : e.innerText")
    assert typed.replace("\u200b", "").strip() == Q3_ANSWER, typed

    _run_cell(page, q3_answer)
    _wait_idle(page)
    assert "Error" not in q3_answer.locator(".jp-OutputArea").inner_text()
    _run_cell(page, q3_check)
    passed = q3_check.locator(".jp-OutputArea-output .autograder-check")
    expect(passed).to_contain_text("Passed", timeout=SLOW)
    q3_points = EX01.item("q3_backward").points
    expect(passed).to_contain_text(f"q3_backward: {q3_points:g}/{q3_points:g} points")
    _wait_idle(page)
    q3_check.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    _shot(page, "ex01-3-q3-passed.png")


# ------------------------------------------------------------------------------------------------
# The instructor's side: what a hostile student produced is inert in formgrader and in our feedback

# Each script, if it ran in the instructor's page, would write a file into the course root through
# the Jupyter contents API (with the session's cookie and XSRF token), as the red team's did.
WRITE_FILE = ("(function(){{var x=(document.cookie.match(/_xsrf=([^;]+)/)||[])[1]||'';window.__pwned=(window.__pwned||0)+1;"
              "fetch('/api/contents/{name}',{{method:'PUT',credentials:'same-origin',headers:{{'Content-Type':'application/json',"
              "'X-XSRFToken':decodeURIComponent(x)}},body:JSON.stringify({{type:'file',format:'text',content:'pwned'}})}})}})()")
HOSTILE_HTML = [f"<script>{WRITE_FILE.format(name='pwned-html.txt')}</script>",
                f'<img src="x" onerror="{WRITE_FILE.format(name="pwned-img.txt")}">']
HOSTILE_SVG = (f'<svg xmlns="http://www.w3.org/2000/svg" width="5" height="5" onload="{WRITE_FILE.format(name="pwned-svg.txt")}">'
               '<rect width="5" height="5"/></svg>')
HOSTILE_CELL = "\n".join([
    "from IPython.display import HTML, Javascript, SVG, display",
    *(f"display(HTML({text!r}))" for text in HOSTILE_HTML),
    f"display(Javascript({WRITE_FILE.format(name='pwned-js.txt')!r}))",
    f"display(SVG({HOSTILE_SVG!r}))",
    'print("hostile notebook ran")',
])
HOSTILE_MARKDOWN = f"<script>{WRITE_FILE.format(name='pwned-md.txt')}</script> <img src=x onerror=\"{WRITE_FILE.format(name='pwned-mdimg.txt')}\">"
# An exception message is echoed in the feedback page (a visible probe's error).
FEEDBACK_XSS = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


def _hostile_submissions(subs: Path) -> None:
    import nbformat
    import submissions as S

    hostile = S.insert_after(S.solution(), "setup", HOSTILE_CELL)
    hostile.cells.append(nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN))
    hostile = S.replace_source(hostile, "q4_answer", f"def derivative_at(f, x0):\n    raise ValueError({FEEDBACK_XSS!r})")
    S.write(subs, "mallory", hostile)
    S.write(subs, "control", S.solution())


def _write_control_notebook(root: Path) -> None:
    """The control student's autograded notebook as the grader used to write it: an active output kept.
    If formgrader runs this one's script, the test's attack works; so its absence elsewhere means something."""
    import nbformat

    path = root / "autograded" / "control" / "ex01" / "ex01.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs.append(nbformat.v4.new_output("display_data", data={
        "text/html": f"<script>{WRITE_FILE.format(name='pwned-control.txt')}</script>", "text/plain": "control"}))
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A course copy where `autograder grade` graded a hostile notebook and a control, gradebook in the course root."""
    import submissions as S

    from autograder.cli import ensure_registered
    from autograder.course.generate import ensure_alembic_on_path, generate
    from autograder.grading.grade import grade
    from autograder.sandbox import executors

    base = tmp_path_factory.mktemp("formgrader")
    root = S.copy_course(base / "course")
    db_url = f"sqlite:///{root / 'gradebook.db'}"  # where formgrader looks by default
    ensure_alembic_on_path()
    ensure_registered(root, "ex01", db_url, generate)
    _hostile_submissions(base / "submitted")
    try:
        pool = executors.make_executor(None)
    except (SystemExit, AttributeError):
        pool = executors.LocalExecutor()
    results = {r.student: r for r in grade("ex01", base / "submitted", base / "out", root=root, db_url=db_url, seed=1,
                                           progress=False, executor=pool, cell_timeout=60, notebook_timeout=300)}
    assert results["mallory"].status == "ok" and results["control"].status == "ok", results
    _write_control_notebook(root)
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        ids = {s: gb.find_submission_notebook("ex01", "ex01", s).id for s in ("mallory", "control")}
    return {"root": root, "out": base / "out", "ids": ids}


@pytest.fixture(scope="module")
def formgrader(graded_course, tmp_path_factory):
    """Jupyter server with nbgrader's formgrader extension, started in the course root, as an instructor runs it."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    base = tmp_path_factory.mktemp("formgrader-server")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # nbgrader's alembic for the gradebook
    with jupyter_server(base, graded_course["root"], PATH=path) as server:
        yield server


PWNED_FILES = ("pwned-html.txt", "pwned-img.txt", "pwned-js.txt", "pwned-svg.txt", "pwned-md.txt", "pwned-mdimg.txt")


def _log_in(page, formgrader) -> None:
    """Log in with the token on Jupyter's login page, as an instructor does: the session cookie is what a
    script in the page could use (a token in the URL alone does not authenticate formgrader's API calls)."""
    page.goto(f"{formgrader['url']}/login", wait_until="load")
    page.fill("input[name=password]", formgrader["token"])
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(re.compile(r"/lab"))


def _open_submission(page, formgrader, submission_id: str) -> None:
    page.goto(f"{formgrader['url']}/formgrader/submissions/{submission_id}/", wait_until="load")
    expect(page.locator("body")).to_contain_text("ex01")


def _wait_for_file(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.2)
    return path.exists()


def test_formgrader_runs_no_script_from_a_hostile_notebook(graded_course, formgrader, page):
    root = graded_course["root"]
    try:
        _log_in(page, formgrader)
        # Control: an autograded notebook that kept an active output does write through the API here.
        _open_submission(page, formgrader, graded_course["ids"]["control"])
        assert _wait_for_file(root / "pwned-control.txt", 20), "the control's script did not run: the test cannot see an attack"
        assert page.evaluate("window.__pwned") == 1

        _open_submission(page, formgrader, graded_course["ids"]["mallory"])
        expect(page.locator("body")).to_contain_text("hostile notebook ran")  # the plain output is shown
        page.wait_for_timeout(5_000)  # time for any script, image error or fetch to happen
        _shot(page, "formgrader-hostile.png")
        assert page.evaluate("window.__pwned") is None
        assert [name for name in PWNED_FILES if (root / name).exists()] == []
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "formgrader-failure.png"))
        raise


def test_feedback_page_shows_the_student_text_and_runs_none_of_it(graded_course, page):
    path = graded_course["out"] / "feedback" / "mallory" / "ex01.html"
    assert "onerror" in path.read_text(encoding="utf-8")  # the student's text is there, escaped
    page.goto(path.as_uri(), wait_until="load")
    expect(page.locator("body")).to_contain_text("<img src=x onerror=")  # shown as text
    page.wait_for_timeout(1_000)
    assert page.title() == "ex01"
    assert page.locator("script, [onerror], [onload], img[src='x']").count() == 0  # no element made from the student's text
