"""Reading, normalising, executing and comparing notebooks (lectures, solutions, exercises).

Every committed notebook is stored in one canonical form, so that a regenerated or re-executed
notebook can be compared byte for byte:

    python -m autograder.course.notebook normalize PATH...      # rewrite in canonical form
    python -m autograder.course.notebook execute PATH...        # execute lectures in place, store outputs

A re-executed lecture is compared with its stored outputs by ``output_differences``. Text is
compared exactly, except what legitimately varies between machines (BLAS and SIMD kernels,
thread counts, CPU or CUDA): the last printed digits of floating-point numbers.

- Every number in an output (in prose, lists, ``tensor(...)`` reprs, scientific notation) is
  read as printed. A float agrees when it is within two units of its last printed digit
  (``0.914003`` ~ ``0.914004``, ``8.0e-09`` ~ ``7.9e-09``), or within a relative 1e-9 of it (a
  float64 printed with all its digits). A nonzero number must keep its sign.
- Integers (shapes, sizes, counts, indices, ``int64`` tensors) must be equal, and so must a float
  printed without decimals (``tensor([3.])``: torch prints that only for integral values). An
  integer that became a float or back (``tensor([1, 2])`` vs ``tensor([1., 2.])``) is a dtype
  change and fails.
- Digits inside names are text: ``float32``, ``MulBackward0``, ``x_60``, ``2x3``, ``3.11.7``.
- Other text must be equal, except the width of runs of spaces and the padding beside numbers
  (a tensor repr pads its columns to the widest number); line breaks count.
- Images are compared by kind (``image/png``), not by bytes.

Cell tags adjust the comparison of one cell:

- ``varies``: the text legitimately changes (timings, versions): only its presence is compared;
- ``rtol=<x>`` / ``atol=<x>`` (e.g. ``rtol=0.05``): floats in this cell may also differ by that
  relative / absolute amount, for a printed number that is mostly rounding noise.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import re
import sys
from dataclasses import dataclass
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
    taken = {cell.get("id") for cell in nb.cells}
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode({k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA})
        if not cell.get("id"):
            cell.id = new_cell_id(cell, taken)
            taken.add(cell.id)
        if cell.cell_type == "code":
            if not keep_outputs:
                cell.outputs, cell.execution_count = [], None
            cell.outputs = coalesce_streams(cell.get("outputs", []))
        cell.pop("attachments", None) if not cell.get("attachments") else None
    nbformat.validate(nb)
    return nb


def new_cell_id(cell, taken: set) -> str:
    """An id for a cell that has none: derived from its content, so normalising is deterministic.

    Never a position (``cell-005`` would collide after an insertion) and never an id already in the
    notebook: translations and nbgrader key cells by id, so an existing id must keep its cell.
    """
    digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
    candidate, suffix = f"cell-{digest}", 1
    while candidate in taken:
        suffix += 1
        candidate = f"cell-{digest}-{suffix}"
    return candidate


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


def execute(nb, cwd: Path, timeout: int = 300, kernel_name: str = "python3", env: dict[str, str] | None = None):
    """Run ``nb`` top to bottom in a fresh kernel (cells tagged raises-exception may fail).

    ``env`` adds environment variables for the kernel only (e.g. ``ATEN_CPU_CAPABILITY``).
    """
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, coalesce_streams=True,
                            resources={"metadata": {"path": str(cwd)}})
    # jupyter_client replaces the kernel's whole environment with `env`, so start from ours
    client.execute(**({"env": {**os.environ, **env}} if env else {}))
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


# A number as printed: not the tail of a name or version (float32, x_60, 3.11.7), nor the head of
# one (2x3); a minus sign belongs to it, a plus sign is text.
NUMBER = re.compile(r"(?<![\w.])-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?!\w|\.\d)")
SPACES = re.compile(r"[ \t]+")
TOLERANCE_TAG = re.compile(r"^(rtol|atol)=([0-9.eE+-]+)$")


@dataclass(frozen=True)
class PrintedNumber:
    """A number as it appears in an output, with the resolution it was printed at."""

    text: str
    value: float
    is_float: bool
    unit: float  # one unit of the last printed digit; 0 where the printed value is exact

    @classmethod
    def parse(cls, text: str) -> PrintedNumber:
        mantissa, _, exponent = text.lower().partition("e")
        is_float = "." in mantissa or bool(exponent)
        decimals = len(mantissa.partition(".")[2])
        # "3" and torch's "3." claim an exact value; "1e-06" and "0.9140" claim one digit's worth
        exact = not is_float or (decimals == 0 and not exponent)
        unit = 0.0 if exact else 10.0 ** (int(exponent or 0) - decimals)
        return cls(text, float(text), is_float, unit)


def tokens(text: str) -> list:
    """``text`` as a list of text pieces and PrintedNumbers, with padding beside numbers removed."""
    pieces: list = []
    position = 0
    for match in NUMBER.finditer(text):
        pieces += [text[position:match.start()], PrintedNumber.parse(match.group())]
        position = match.end()
    pieces.append(text[position:])
    last = len(pieces) - 1  # pieces alternate: text, number, text, ..., text
    unpadded = [piece if isinstance(piece, PrintedNumber) else without_padding(piece, index > 0, index < last)
                for index, piece in enumerate(pieces)]
    return [piece for piece in unpadded if piece != ""]


def without_padding(text: str, after_number: bool, before_number: bool) -> str:
    """Runs of spaces count as one; spaces beside a number are its padding (column alignment)."""
    text = SPACES.sub(" ", text)
    text = text.lstrip(" \t") if after_number else text
    return text.rstrip(" \t") if before_number else text


@dataclass(frozen=True)
class Tolerance:
    """How far a fresh float may be from the stored one."""

    units: float = 2.0  # of the last printed digit: rounding, plus a little drift of the last bits
    rtol: float = 1e-9  # for float64 printed with all its digits: other summation orders, other libm
    atol: float = 0.0

    @classmethod
    def for_cell(cls, cell) -> Tolerance:
        """The default, widened by the cell's ``rtol=<x>`` / ``atol=<x>`` tags."""
        widened = {}
        for tag in cell.get("metadata", {}).get("tags", []):
            match = TOLERANCE_TAG.match(tag)
            if match:
                widened[match.group(1)] = float(match.group(2))
        return cls(**widened)

    def allows(self, stored: PrintedNumber, fresh: PrintedNumber) -> bool:
        if stored.is_float != fresh.is_float:
            return False  # an int that became a float, or back: a dtype change
        if stored.value * fresh.value < 0:
            return False  # a sign flip always matters; a printed zero has no sign to flip
        slack = max(self.units * max(stored.unit, fresh.unit), self.rtol * abs(stored.value), self.atol)
        return abs(stored.value - fresh.value) <= slack * (1 + 1e-9)  # 1e-9: decimal text vs binary floats


def text_difference(stored: str, fresh: str, tolerance: Tolerance = Tolerance()) -> str | None:
    """The first thing that differs between two outputs beyond ``tolerance``, or None."""
    before, after = tokens(stored), tokens(fresh)
    for old, new in zip(before, after):
        if isinstance(old, PrintedNumber) and isinstance(new, PrintedNumber):
            if not tolerance.allows(old, new):
                return f"number {old.text} != {new.text}"
        elif old != new:
            return f"text {shown(old)} != {shown(new)}"
    if len(before) != len(after):
        return f"{len(before)} pieces of text and numbers != {len(after)}"
    return None


def shown(piece) -> str:
    return piece.text if isinstance(piece, PrintedNumber) else repr(piece)


def outputs_difference(stored: list[str], fresh: list[str], tolerance: Tolerance = Tolerance()) -> str | None:
    """The first difference between two cells' text outputs (see ``text_outputs``), or None."""
    if len(stored) != len(fresh):
        return f"{len(stored)} outputs != {len(fresh)}"
    for index, (old, new) in enumerate(zip(stored, fresh)):
        problem = text_difference(old, new, tolerance)
        if problem:
            return f"output {index}: {problem}"
    return None


def output_differences(stored, fresh) -> list[str]:
    """Where a fresh execution shows something other than the stored notebook (see the module doc)."""
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
            continue
        problem = outputs_difference(before, after, Tolerance.for_cell(old))
        if problem:
            problems.append(f"cell {index}: {problem}\n  stored: {before!r}\n  fresh:  {after!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.course.notebook", description=__doc__.split("\n\n")[0])
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
