"""Reading, normalising, executing and comparing notebooks (lectures, solutions, exercises).

Every committed notebook is stored in one canonical form, so that a regenerated or re-executed
notebook can be compared byte for byte:

    python -m autograder.notebook normalize PATH...      # rewrite in canonical form
    python -m autograder.notebook execute PATH...        # execute lectures in place, store outputs
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
VARIES_TAG = "varies"  # a cell whose text output legitimately changes (timings): compared for presence only
KEEP_CELL_METADATA = ("nbgrader", "tags", "deletable", "editable", "collapsed", "jupyter")


def read(path: Path):
    return nbformat.read(path, as_version=4)


def normalize(nb, *, keep_outputs: bool):
    """A canonical copy: fixed kernelspec, minimal metadata, ids kept, outputs kept or cleared."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    language = nb.metadata.get("language_info", {})
    nb.metadata = nbformat.NotebookNode(
        kernelspec=dict(KERNELSPEC),
        language_info={"name": "python", **({"version": language["version"]} if keep_outputs and "version" in language else {})},
    )
    for index, cell in enumerate(nb.cells):
        cell.metadata = nbformat.NotebookNode({k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA})
        if not cell.get("id"):
            cell.id = f"cell-{index:03d}"
        if cell.cell_type == "code":
            if not keep_outputs:
                cell.outputs, cell.execution_count = [], None
            cell.outputs = coalesce_streams(cell.get("outputs", []))
        cell.pop("attachments", None) if not cell.get("attachments") else None
    nbformat.validate(nb)
    return nb


def coalesce_streams(outputs: list) -> list:
    """Join consecutive chunks of the same stream: a busy kernel may split one print in two."""
    joined: list = []
    for output in outputs:
        last = joined[-1] if joined else None
        if output.output_type == "stream" and last is not None and last.output_type == "stream" and last.name == output.name:
            last.text += output.text
        else:
            joined.append(copy.deepcopy(output))
    return joined


def dumps(nb) -> str:
    return nbformat.writes(nb, version=4) + "\n"


def write(nb, path: Path, *, keep_outputs: bool) -> None:
    Path(path).write_text(dumps(normalize(nb, keep_outputs=keep_outputs)), encoding="utf-8")


def execute(nb, cwd: Path, timeout: int = 300, kernel_name: str = "python3"):
    """Run ``nb`` top to bottom in a fresh kernel (cells tagged raises-exception may fail)."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, coalesce_streams=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def text_outputs(cell) -> list[str]:
    """What a reader sees of a cell's output, as text; images are reduced to their kind."""
    shown = []
    for output in coalesce_streams(cell.get("outputs", [])):
        kind = output.output_type
        if kind == "stream":
            shown.append(f"{output.name}: {output.text}")
        elif kind == "error":
            shown.append(f"error: {output.ename}: {output.evalue}")
        else:
            data = output.get("data", {})
            images = sorted(k for k in data if k.startswith("image/"))
            if images:
                shown.append(f"{kind}: {', '.join(images)}")
            elif "text/plain" in data:
                shown.append(f"{kind}: {data['text/plain']}")
            elif "text/html" in data:
                shown.append(f"{kind}: text/html")
    return shown


def output_differences(stored, fresh) -> list[str]:
    """Where a fresh execution shows something other than the stored notebook."""
    problems = []
    if len(stored.cells) != len(fresh.cells):
        return [f"cell count {len(stored.cells)} != {len(fresh.cells)}"]
    for index, (old, new) in enumerate(zip(stored.cells, fresh.cells)):
        if old.cell_type != "code":
            continue
        before, after = text_outputs(old), text_outputs(new)
        if VARIES_TAG in old.metadata.get("tags", []):
            if bool(before) != bool(after):
                problems.append(f"cell {index}: output present {bool(before)} != {bool(after)}")
        elif before != after:
            problems.append(f"cell {index}:\n  stored: {before!r}\n  fresh:  {after!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.notebook", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["normalize", "execute"])
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.paths:
        nb = read(path)
        if args.action == "execute":
            nb = execute(nb, path.parent)
        keep = args.action == "execute" or path.parts[0] == "course"
        write(nb, path, keep_outputs=keep)
        print(f"{args.action}d {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
