"""What a student sees in JupyterLab: exercise 01 in headless Chromium, driven by Playwright.

JupyterLab runs from this venv (where the course package is importable, so the setup cell installs
nothing) on a copy of exercises/ex01. The test runs all cells, checks that the page shows a check's
feedback for an unanswered item, then types a correct answer to q3 and checks that it passes.
Screenshots go to test-artifacts/ (gitignored); the last one, ex01-q3-passed.png, is what a student
sees after answering q3.
"""

from __future__ import annotations

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

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a copy of exercises/ex01, private settings and workspaces; shut down at the end."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    base = tmp_path_factory.mktemp("lab")
    root_dir = base / "ex01"
    shutil.copytree(ROOT / "exercises" / "ex01", root_dir)
    for name in ("config", "data", "runtime", "settings", "workspaces"):
        (base / name).mkdir()
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTEST_"))}
    env.update({"JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_DATA_DIR": str(base / "data"),
                "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
                "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"), "MPLBACKEND": "agg"})
    log = open(base / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({proc.returncode}):\n{(base / 'jupyterlab.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{base_url}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer:\n{(base / 'jupyterlab.log').read_text()}")
            time.sleep(0.5)
        yield {"url": base_url, "token": token, "root": root_dir, "log": base / "jupyterlab.log"}
    finally:
        proc.terminate()  # SIGTERM: jupyter_server shuts its kernels down and exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


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
    expect(feedback).to_contain_text("✘ q4_derivative_at: 0/4 points", timeout=SLOW)
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
    expect(passed).to_contain_text("q3_backward: 2/2 points")
    _wait_idle(page)
    q3_check.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    _shot(page, "ex01-3-q3-passed.png")
