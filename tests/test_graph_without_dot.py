"""Lecture 06's `show_graph` helper explains how to install Graphviz when its `dot` program is missing.

The helper cell (tagged ``show-graph``) runs in a fresh Python whose PATH holds no ``dot``, twice:
once as it is (``shutil.which`` finds nothing), and once with ``shutil.which`` pretending ``dot``
exists, so that the helper reaches ``graphviz`` and has to handle ``graphviz.ExecutableNotFound``.
"""

import os
import subprocess
import sys
from pathlib import Path

from autograder.course import notebook

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "course" / "06_computation_graphs.ipynb"
TAG = "show-graph"
MARKER = "=== second call ==="
INSTRUCTIONS = (
    "sudo apt-get install graphviz",
    "brew install graphviz",
    "conda install -c conda-forge python-graphviz",
    "Colab",
)

CALL = """
import torch

x = torch.tensor(2.0, requires_grad=True)
show_graph(torch.sin(x * x + 1), params={"x": x})
"""

PRETEND_DOT_EXISTS = f"""
import shutil

shutil.which = lambda *args, **kwargs: "/nonexistent/dot"  # the helper's own check passes; graphviz still fails
print({MARKER!r})
"""


def helper_source() -> str:
    tagged = [cell for cell in notebook.read(LECTURE).cells if TAG in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"expected exactly one cell tagged {TAG!r} in {LECTURE.name}"
    assert tagged[0].cell_type == "code"
    return tagged[0].source


def test_show_graph_without_dot_prints_install_instructions(tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {**os.environ, "PATH": str(empty_bin)}  # python is started by absolute path; nothing else is findable
    code = "\n".join([helper_source(), CALL, PRETEND_DOT_EXISTS, CALL])

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output and "ExecutableNotFound" not in output, output
    assert "<svg" not in output, "a drawing was produced although there is no `dot`"
    first, second = result.stdout.split(MARKER)
    for shown in (first, second):
        for instruction in INSTRUCTIONS:
            assert instruction in shown, f"{instruction!r} missing from:\n{shown}"
