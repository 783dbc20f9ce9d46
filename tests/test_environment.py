"""The conda environment and the pinned pip environment describe the same stack."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK = {"torch", "torchviz", "graphviz", "jupyterlab", "nbgrader", "matplotlib"}
# conda name -> pip name; conda's `graphviz` is the `dot` program, which pip cannot install.
CONDA_TO_PIP = {"pytorch": "torch", "python-graphviz": "graphviz", "graphviz": None, "python": None, "pip": None}


def conda_names():
    text = (ROOT / "environment.yml").read_text().split("dependencies:")[1]
    return set(re.findall(r"^  - ([A-Za-z0-9_.-]+)", text, re.M))


def pip_names():
    lines = (ROOT / "requirements-dev.txt").read_text().splitlines()
    return {re.split(r"[=<>~ ]", line)[0].lower() for line in lines if line and not line.startswith("#")}


def test_conda_and_pip_name_the_same_stack():
    conda = {CONDA_TO_PIP.get(name, name) for name in conda_names()} - {None}
    assert conda == STACK
    assert STACK <= pip_names()
    assert "graphviz" in conda_names(), "conda also installs the dot program"


def test_torch_is_pinned_for_development_but_loose_for_the_package():
    assert "torch==2.13.0" in (ROOT / "requirements-dev.txt").read_text().splitlines()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"torch>=2.1"' in pyproject and "torch==" not in pyproject


def test_postgres_driver_is_pinned_alike_for_pip_and_conda():
    pins = set((ROOT / "requirements-dev.txt").read_text().splitlines())
    conda_pin = re.search(r"- psycopg\[binary\]==(\S+)", (ROOT / "environment.yml").read_text()).group(1)
    assert {f"psycopg=={conda_pin}", f"psycopg-binary=={conda_pin}"} <= pins
    assert '"psycopg[binary]>=3.1"' in (ROOT / "pyproject.toml").read_text()
