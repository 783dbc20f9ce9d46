"""The student-facing API: ``check("item")`` in a notebook gives instant feedback.

It evaluates the item's visible probes in the notebook's namespace and decides them with the
same code the grader uses, so what a student sees here is what the grader will say about the
visible part. Hidden probes run at grading time, on fresh inputs, outside the student's kernel.
Works anywhere the package and torch are installed (JupyterLab, Colab, a plain script).
"""

from __future__ import annotations

import html
import json
import random
import sys

from autograder import plain, spec
from autograder.decide import ItemResult, decide_item


class CheckFailed(AssertionError):
    """Raised by a failing check so that nbgrader (which scores by errors) marks it wrong."""

    def __init__(self, result: ItemResult):
        super().__init__(format_text(result))
        self.result = result

    def _render_traceback_(self):  # IPython shows this instead of a traceback
        return [format_text(self.result)]


class Checker:
    """``check = Checker("ex01")`` in a notebook's first cell; then ``check("q1")``."""

    def __init__(self, assignment: str):
        self.spec = spec.load(assignment)

    def __call__(self, item_id: str, *, hidden: bool = False, namespace: dict | None = None) -> None:
        """Show the item's feedback; raise CheckFailed if it is not fully right. Returns nothing, so a
        check cell shows only the feedback."""
        ns = namespace if namespace is not None else sys._getframe(1).f_globals
        result = self.run(item_id, ns, hidden=hidden)
        item = self.spec.item(item_id)
        show(result, hidden_skipped=not hidden and any(p.hidden for p in item.probes))
        if not result.passed:
            raise CheckFailed(result)

    def run(self, item_id: str, namespace: dict, *, hidden: bool = False) -> ItemResult:
        """The item's result for the variables in ``namespace``, without showing anything."""
        item = self.spec.item(item_id)
        probes = [p for p in item.probes if not p.hidden]
        if hidden:
            probes += hidden_probes(item, random.Random())
        observed = json.loads(plain.probe([p.expr for p in probes], namespace))
        references = reference_values(self.spec.name, probes)
        return decide_item(item, probes, observed, references)


def hidden_probes(item: spec.Item, rng: random.Random) -> list[spec.Probe]:
    return [case for p in item.probes if p.hidden for case in p.cases(rng)]


def reference_values(assignment: str, probes: list[spec.Probe]) -> list:
    """Reference results for the probes that need one; those need the course's solutions/."""
    if not any(isinstance(p.expect, spec.Reference) for p in probes):
        return [None] * len(probes)
    from . import course, reference  # grader-side modules, needed only here

    root = course.find_root()
    if root is None:
        raise RuntimeError("hidden checks need the course's solutions/ folder; they run when your work is graded")
    return reference.expected_values(assignment, root, probes)


def shown_name(probe) -> str:
    """A probe's label (a hidden one's says only which kind of input), else its expression."""
    if probe.hidden:
        return f"a hidden check ({probe.label})" if probe.label else "a hidden check"
    return probe.label or probe.expr


def format_text(result: ItemResult) -> str:
    mark = "✔" if result.passed else "✘"
    lines = [f"{mark} {result.id}: {result.score:g}/{result.points:g} points"]
    for probe in result.probes:
        if not probe.passed:
            where = shown_name(probe)
            lines.append(f"  - {where}: {probe.message}")
            if probe.hint:
                lines.append(f"    hint: {probe.hint}")
    return "\n".join(lines)


def format_html(result: ItemResult, hidden_skipped: bool = False) -> str:
    colour = "#1a7f37" if result.passed else "#cf222e"
    rows = "".join(
        f"<li><code>{html.escape(shown_name(p))}</code>: {html.escape(p.message)}"
        + (f"<br><em>Hint: {html.escape(p.hint)}</em>" if p.hint else "") + "</li>"
        for p in result.probes if not p.passed
    )
    note = "<br><small>Hidden checks run when your work is graded.</small>" if hidden_skipped and result.passed else ""
    return (f'<div class="autograder-check" style="border-left:4px solid {colour};padding:4px 8px">'
            f'<b style="color:{colour}">{"Passed" if result.passed else "Not yet"}</b> '
            f"{html.escape(result.id)}: {result.score:g}/{result.points:g} points"
            f'{"<ul>" + rows + "</ul>" if rows else ""}{note}</div>')


def show(result: ItemResult, hidden_skipped: bool = False) -> None:
    ipython = sys.modules.get("IPython")
    if ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None:
        from IPython.display import HTML, display

        if result.passed:  # a failure is shown once, by the exception
            display(HTML(format_html(result, hidden_skipped)))
        return
    if result.passed:
        print(format_text(result))
