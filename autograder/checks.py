"""The student-facing API: ``check("item")`` in a notebook gives instant feedback.

It evaluates the item's visible probes in the notebook's namespace and decides them with the
same code the grader uses, so what a student sees here is what the grader will say about the
visible part. Hidden probes run at grading time, on fresh inputs, outside the student's kernel.
Works anywhere the package and torch are installed (JupyterLab, Colab, a plain script).

It answers in the notebook's language: the notebook's metadata ``{"autograd_course": {"language":
"ja"}}``, read from the notebook file itself (see :func:`notebook_language`), never from the
machine's locale. Anything unreadable means English.
"""

from __future__ import annotations

import html
import json
import os
import random
import sys
from pathlib import Path

from autograder import i18n, plain, spec
from autograder.decide import ItemResult, ProbeResult, decide_item
from autograder.i18n import N_, message


class CheckFailed(AssertionError):
    """Raised by a failing check so that nbgrader (which scores by errors) marks it wrong."""

    def __init__(self, result: ItemResult, language: str | None = None):
        super().__init__(format_text(result, language))
        self.result, self.language = result, language

    def _render_traceback_(self):  # IPython shows this instead of a traceback
        return [format_text(self.result, self.language)]


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
        language = notebook_language(ns)
        show(result, hidden_skipped=not hidden and any(p.hidden for p in item.probes), language=language)
        if not result.passed:
            raise CheckFailed(result, language)

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
    """Reference results for the probes that need one: stored in the package for the visible probes (public
    constants), computed from the course's solutions/ for hidden ones."""
    wanted = [isinstance(p.expect, spec.Reference) for p in probes]
    if not any(wanted):
        return [None] * len(probes)
    stored = _public_values().get(assignment, {})
    values = [stored.get(p.expr) if want and not p.hidden else None for p, want in zip(probes, wanted)]
    if all(v is not None for v, want in zip(values, wanted) if want):
        return values
    from autograder import course  # grader-side modules, needed only here
    from autograder.grading import reference

    root = course.find_root()
    if root is None:
        raise RuntimeError("hidden checks need the course's solutions/ folder; they run when your work is graded")
    return reference.expected_values(assignment, root, probes)


_public: list[dict] = []


def _public_values() -> dict:
    """autograder/specs/public_values.json, read once (written by ``autograder generate``)."""
    if not _public:
        from pathlib import Path

        path = Path(__file__).resolve().parent / "specs" / "public_values.json"
        _public.append(json.loads(path.read_text(encoding="utf-8")) if path.exists() else {})
    return _public[0]


# ---------------------------------------------------------------------------------------------
# The notebook's language


def notebook_language(namespace: dict | None = None) -> str:
    """The language of the notebook this kernel runs, from its metadata; English if it cannot be read."""
    try:
        nb = _colab_notebook() if "google.colab" in sys.modules else _jupyter_notebook(namespace or {})
    except Exception:  # noqa: BLE001 - no language found is English, never an error in a check cell
        return i18n.ENGLISH
    return i18n.notebook_language(nb) if isinstance(nb, dict) else i18n.ENGLISH


_colab_metadata: list[dict] = []  # asked once per kernel: a notebook's language does not change while it runs


def _colab_notebook() -> dict | None:
    """Colab's frontend hands the notebook (with its metadata) to the kernel on request."""
    if not _colab_metadata:
        from google.colab import _message  # type: ignore[import-not-found]

        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=5)
        nb = reply.get("ipynb") if isinstance(reply, dict) and "ipynb" in reply else reply
        _colab_metadata.append({"metadata": nb.get("metadata", {})} if isinstance(nb, dict) else {})
    return _colab_metadata[0]


_read_cache: dict[tuple[str, float], dict] = {}


def _jupyter_notebook(namespace: dict) -> dict | None:
    """The notebook file of this kernel's Jupyter session: jupyter_server (2.x) puts its absolute path in
    the kernel's environment (JPY_SESSION_NAME), and ipykernel copies it to ``__session__`` in the user
    namespace; VS Code sets ``__vsc_ipynb_file__``."""
    session = namespace.get("__session__") or namespace.get("__vsc_ipynb_file__") or os.environ.get("JPY_SESSION_NAME")
    path = notebook_path(session if isinstance(session, str) else None)
    if path is None:
        return None
    key = (str(path), path.stat().st_mtime)
    if key not in _read_cache:
        with open(path, encoding="utf-8") as f:
            _read_cache[key] = json.load(f)
    return _read_cache[key]


def notebook_path(session: str | None) -> Path | None:
    """The session's notebook: an absolute path, a path relative to the working folder, or (a server
    path relative to its root) the file of that name in the working folder, which is the notebook's own."""
    if not session or not session.endswith(".ipynb"):
        return None
    for candidate in (Path(session), Path.cwd() / session, Path.cwd() / Path(session).name):
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# What the student sees

PASSED, NOT_YET = N_("Passed"), N_("Not yet")
HIDDEN_LATER = N_("Hidden checks run when your work is graded.")


def shown_name(probe: ProbeResult, language: str | None = None) -> str:
    """A probe's label (a hidden one's says only which kind of input), else its expression."""
    label = probe.shown("label", language) if isinstance(probe, ProbeResult) else probe.label
    if probe.hidden:
        if label:
            return message("a hidden check ({label})", label=label).render(language)
        return i18n.translate(N_("a hidden check"), language)
    return label or probe.expr


def points_text(result: ItemResult, language: str | None, spaced: bool = False) -> str:
    template = N_("{score:g} / {points:g} points") if spaced else N_("{score:g}/{points:g} points")
    return message(template, score=result.score, points=result.points).render(language)


def format_text(result: ItemResult, language: str | None = None) -> str:
    mark = "✔" if result.passed else "✘"
    lines = [f"{mark} {result.id}: {points_text(result, language)}"]
    for probe in result.probes:
        if not probe.passed:
            where = shown_name(probe, language)
            lines.append(f"  - {where}: {probe.shown('message', language)}")
            if probe.hint:
                lines.append(message("    hint: {hint}", hint=probe.shown("hint", language)).render(language))
    return "\n".join(lines)


def hint_line(probe: ProbeResult, language: str | None) -> str:
    return message("Hint: {hint}", hint=probe.shown("hint", language)).render(language)


def format_html(result: ItemResult, hidden_skipped: bool = False, language: str | None = None) -> str:
    colour = "#1a7f37" if result.passed else "#cf222e"
    rows = "".join(
        f"<li><code>{html.escape(shown_name(p, language))}</code>: {html.escape(p.shown('message', language))}"
        + (f"<br><em>{html.escape(hint_line(p, language))}</em>" if p.hint else "") + "</li>"
        for p in result.probes if not p.passed
    )
    note = (f"<br><small>{html.escape(i18n.translate(HIDDEN_LATER, language))}</small>"
            if hidden_skipped and result.passed else "")
    verdict = i18n.translate(PASSED if result.passed else NOT_YET, language)
    return (f'<div class="autograder-check" style="border-left:4px solid {colour};padding:4px 8px">'
            f'<b style="color:{colour}">{html.escape(verdict)}</b> '
            f"{html.escape(result.id)}: {points_text(result, language)}"
            f'{"<ul>" + rows + "</ul>" if rows else ""}{note}</div>')


def show(result: ItemResult, hidden_skipped: bool = False, language: str | None = None) -> None:
    ipython = sys.modules.get("IPython")
    if ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None:
        from IPython.display import HTML, display

        if result.passed:  # a failure is shown once, by the exception
            display(HTML(format_html(result, hidden_skipped, language)))
        return
    if result.passed:
        print(format_text(result, language))
