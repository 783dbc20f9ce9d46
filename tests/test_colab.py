"""A fresh Colab runtime, simulated: a notebook alone, a Python with torch and ipykernel, nothing else.

Colab gives a student the .ipynb and a runtime with its own torch; the notebook's first cell
(tagged ``setup``) must install the course's checks from GitHub, and must never reinstall torch.
Here a clean virtualenv (torch==2.13.0, numpy, ipykernel; no course package) stands in for the runtime,
and a bare clone of this repository's committed HEAD stands in for GitHub: a throwaway git config
rewrites ``https://github.com/autograd-course/autograd-course`` to it, so the notebook's unchanged
``%pip install "autograd-course @ git+https://github.com/...@main"`` resolves locally.

Note that the install comes from the *committed* HEAD, not from the working tree.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from autograder import spec

EX01_ITEMS = [item.id for item in spec.load("ex01").items]  # in notebook order

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
GITHUB = "https://github.com/autograd-course/autograd-course"
TORCH = "2.13.0"
KERNEL = "colab-sim"
CELL_TIMEOUT = 900  # the first setup cell clones and builds the package on a possibly busy machine


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


class Runtime:
    """The simulated Colab runtime: a clean venv, its kernelspec, and the environment its kernel gets."""

    def __init__(self, base: Path):
        self.base = base
        self.python = base / "venv" / "bin" / "python"
        self.kernels = base / "jupyter" / "share" / "jupyter" / "kernels"
        self.pip_log = base / "pip.log"
        env = {k: v for k, v in os.environ.items()
               if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "AUTOGRADER_COURSE_ROOT")
               and not k.startswith(("JUPYTER_", "PYTEST_"))}
        env.update({
            "PATH": f"{self.python.parent}{os.pathsep}{env.get('PATH', '')}",
            "GIT_CONFIG_GLOBAL": str(base / "gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "PYTHONNOUSERSITE": "1",
            "PIP_LOG": str(self.pip_log),  # pip appends a verbose log of every install here
            "PIP_NO_INPUT": "1",
            "MPLBACKEND": "agg",
        })
        self.env = env

    def torch_fingerprint(self) -> dict:
        code = ("import json, os, torch, importlib.metadata as m; d = m.distribution('torch');"
                "p = os.path.dirname(torch.__file__);"
                "print(json.dumps({'version': torch.__version__, 'location': p,"
                " 'mtime': os.stat(torch.__file__).st_mtime_ns, 'dir_mtime': os.stat(p).st_mtime_ns,"
                " 'dist_info': str(d._path), 'dist_mtime': os.stat(str(d._path)).st_mtime_ns}))")
        # cwd matters: ``python -c`` imports from the current folder, and the repository root holds autograder/.
        return json.loads(_run([self.python, "-c", code], env=self.env, cwd=self.base).stdout)

    def has_course_package(self) -> bool:
        code = "import importlib.util; print(importlib.util.find_spec('autograder') is not None)"
        return _run([self.python, "-c", code], env=self.env, cwd=self.base).stdout.strip() == "True"

    def uninstall_course_package(self) -> None:
        _run([self.python, "-m", "pip", "uninstall", "-y", "-q", "autograd-course"], env=self.env, cwd=self.base)

    def pip_log_text(self) -> str:
        return self.pip_log.read_text(errors="replace") if self.pip_log.exists() else ""

    def client(self, nb, folder: Path, **kwargs) -> NotebookClient:
        km = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(self.kernels)]))
        return NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, startup_timeout=300,
                              resources={"metadata": {"path": str(folder)}}, **kwargs)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory) -> Runtime:
    base = tmp_path_factory.mktemp("colab")
    rt = Runtime(base)

    # "GitHub": a bare clone of the committed HEAD, with main at HEAD whatever branch is checked out here.
    head = _run(["git", "-C", ROOT, "rev-parse", "HEAD"]).stdout.strip()
    repo = base / "repo.git"
    _run(["git", "clone", "-q", "--bare", "--no-local", ROOT, repo])
    _run(["git", "--git-dir", repo, "update-ref", "refs/heads/main", head])
    _run(["git", "--git-dir", repo, "symbolic-ref", "HEAD", "refs/heads/main"])
    (base / "gitconfig").write_text(f'[url "file://{repo}"]\n\tinsteadOf = {GITHUB}\n')

    # The runtime: torch, numpy (torch warns on import without it) and ipykernel; nothing from the course.
    venv.EnvBuilder(with_pip=True, clear=True).create(base / "venv")
    python = rt.python
    base_env = {k: v for k, v in rt.env.items() if k != "PIP_LOG"}
    _run([python, "-m", "pip", "install", "-q", f"torch=={TORCH}", "numpy", "ipykernel"], env=base_env, cwd=base)
    _run([python, "-m", "ipykernel", "install", "--prefix", base / "jupyter", "--name", KERNEL,
          "--display-name", "Colab (simulated)"], env=base_env, cwd=base)
    assert (rt.kernels / KERNEL / "kernel.json").is_file()
    assert not rt.has_course_package(), "the simulated Colab runtime must start without the course package"
    return rt


@pytest.fixture
def fresh_runtime(runtime: Runtime) -> Runtime:
    """The runtime as a new Colab session finds it: no course package (an earlier test may have installed it)."""
    if runtime.has_course_package():
        runtime.uninstall_course_package()
    assert not runtime.has_course_package()
    runtime.pip_log.unlink(missing_ok=True)
    return runtime


def _alone(notebook: Path, tmp_path: Path, nb=None) -> Path:
    """Copy the notebook, and nothing else, into an empty folder."""
    folder = tmp_path / "content"
    folder.mkdir()
    target = folder / notebook.name
    if nb is None:
        shutil.copyfile(notebook, target)
    else:
        nbformat.write(nb, target)
    assert sorted(p.name for p in folder.iterdir()) == [notebook.name]
    return target


def _strip_hidden_tests(nb):
    """What nbgrader's release does to the hidden-test blocks (they need solutions/, which Colab lacks)."""
    pattern = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S | re.M)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = pattern.sub("", cell.source).rstrip("\n")
    return nb


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join([output.ename, output.evalue, *output.traceback])
    return "\n".join(str(v) for v in output.get("data", {}).values())


def _cell_text(cell) -> str:
    return "\n".join(_text(o) for o in cell.get("outputs", []))


def _setup_index(nb) -> int:
    (index,) = [i for i, c in enumerate(nb.cells) if "setup" in c.get("metadata", {}).get("tags", [])]
    return index


def _check_cells(nb) -> list[tuple[int, str]]:
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            m = re.match(r'\s*check\("(\w+)"\)', cell.source)
            if m:
                found.append((i, m.group(1)))
    return found


def _assert_no_torch_install(log: str, where: str) -> None:
    assert not re.search(r"Successfully installed[^\n]*\btorch-", log), f"{where} reinstalled torch:\n{log[-3000:]}"
    assert not re.search(r"(Collecting|Downloading|Installing collected packages:[^\n]*\b)torch\b", log), \
        f"{where} fetched or installed torch:\n{log[-3000:]}"


def test_solution_runs_top_to_bottom_on_a_fresh_runtime(fresh_runtime: Runtime, tmp_path: Path):
    rt = fresh_runtime
    torch_before = rt.torch_fingerprint()
    assert torch_before["version"].startswith(TORCH)

    nb = _strip_hidden_tests(nbformat.read(ROOT / "solutions" / "ex01" / "ex01.ipynb", as_version=4))
    path = _alone(ROOT / "solutions" / "ex01" / "ex01.ipynb", tmp_path, nb)
    nb = nbformat.read(path, as_version=4)
    setup = _setup_index(nb)
    checks = _check_cells(nb)
    assert [item for _, item in checks] == EX01_ITEMS

    client = rt.client(nb, path.parent)
    with client.setup_kernel(env=rt.env):
        for i, cell in enumerate(nb.cells):
            client.execute_cell(cell, i)  # raises CellExecutionError on the first failing cell

        first_setup = _cell_text(nb.cells[setup])
        for i, item in checks:
            shown = _cell_text(nb.cells[i])
            assert "Passed" in shown and item in shown, f"check cell {item} did not pass:\n{shown}"

        log = rt.pip_log_text()
        assert "autograd-course" in log and "Successfully installed" in log, \
            f"the setup cell did not install the package:\n{first_setup}\n{log[-3000:]}"
        assert "Successfully installed" in log and re.search(r"Successfully installed[^\n]*autograd-course", log)
        _assert_no_torch_install(log, "the setup cell")
        _assert_no_torch_install(first_setup, "the setup cell")

        # Run the setup cell again in the same kernel: nothing to install, nothing printed.
        rt.pip_log.unlink(missing_ok=True)
        client.execute_cell(nb.cells[setup], setup)
        again = _cell_text(nb.cells[setup])
        assert again.strip() == "", f"the second run of the setup cell printed:\n{again}"
        assert rt.pip_log_text() == "", "the second run of the setup cell ran pip"
        # And the checks still work after it.
        i, item = checks[0]
        client.execute_cell(nb.cells[i], i)
        assert "Passed" in _cell_text(nb.cells[i])

    # A restarted runtime (Colab's "Restart session") keeps what was installed: setup installs nothing.
    setup_only = nbformat.v4.new_notebook(cells=[copy.deepcopy(nb.cells[setup])], metadata=nb.metadata)
    rt.client(setup_only, path.parent).execute(env=rt.env)
    assert _cell_text(setup_only.cells[0]).strip() == ""
    assert rt.pip_log_text() == "", "the setup cell ran pip after a restart"

    torch_after = rt.torch_fingerprint()
    assert torch_after == torch_before, "torch was reinstalled or modified"


def test_exercise_shows_check_feedback_on_a_fresh_runtime(fresh_runtime: Runtime, tmp_path: Path):
    rt = fresh_runtime
    torch_before = rt.torch_fingerprint()
    path = _alone(ROOT / "exercises" / "ex01" / "ex01.ipynb", tmp_path)
    nb = nbformat.read(path, as_version=4)
    setup = _setup_index(nb)

    rt.client(nb, path.parent, allow_errors=True).execute(env=rt.env)

    everything = "\n".join(_cell_text(c) for c in nb.cells if c.cell_type == "code")
    assert "ImportError" not in everything and "ModuleNotFoundError" not in everything, everything
    assert not [o for o in nb.cells[setup].outputs if o.output_type == "error"], _cell_text(nb.cells[setup])
    assert re.search(r"Successfully installed[^\n]*autograd-course", rt.pip_log_text())
    _assert_no_torch_install(rt.pip_log_text(), "the setup cell")

    feedback = {}
    for i, item in _check_cells(nb):
        errors = [o for o in nb.cells[i].outputs if o.output_type == "error"]
        assert len(errors) == 1, f"{item}: expected the check's feedback, got:\n{_cell_text(nb.cells[i])}"
        (error,) = errors
        assert error.ename == "CheckFailed", f"{item}: {error.ename}: {error.evalue}"
        shown = "\n".join(error.traceback)
        assert shown.startswith(f"✘ {item}: 0/"), shown
        # An answer cell that still raises leaves its names undefined (q1-q3) or a function that raises (q4).
        assert "not answered yet" in shown or "is not defined: write your answer and run its cell" in shown, shown
        assert "Passed" not in _cell_text(nb.cells[i])
        feedback[item] = shown

    assert "not answered yet (the answer cell still raises NotImplementedError)" in feedback["q4_derivative_at"]
    assert list(feedback) == EX01_ITEMS

    assert rt.torch_fingerprint() == torch_before, "torch was reinstalled or modified"
