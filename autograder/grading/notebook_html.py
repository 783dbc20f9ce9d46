"""The student's executed notebook as inert HTML, with each check's verdict at its check cell.

Shown on the feedback page below the summary, as nbgrader's feedback does. Everything in the
notebook came from the student, so nothing of it is ever rendered active: code, text outputs
and tracebacks are escaped; Markdown is rendered with raw HTML escaped and unsafe links removed,
then cleaned by bleach to a short list of tags; images are kept only as validated base64 PNG,
JPEG or GIF data. The page also carries a Content-Security-Policy that allows no script at all.
"""

from __future__ import annotations

import base64
import binascii
import html
import re

import bleach
import mistune

from autograder import i18n
from autograder.grading.reference import is_check_cell
from autograder.i18n import N_

NOT_GRADED = N_("This check was not graded.")
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
MARKDOWN_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote",
                 "a", "br", "hr", "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub"}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
MAX_IMAGE_CHARS = 2_000_000
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
_markdown = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def markdown_html(source: str) -> str:
    rendered = _markdown(source)
    return bleach.clean(rendered, tags=MARKDOWN_TAGS, attributes={"a": ["href", "title"]},
                        protocols={"http", "https", "mailto"}, strip=True)


def pre(text: str, css: str = "") -> str:
    return f'<pre class="{css}">{html.escape(ANSI.sub("", text))}</pre>'


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def image_html(mime: str, data) -> str:
    """An <img> for base64 image data that really is base64, else nothing."""
    text = _text(data).replace("\n", "")
    if len(text) > MAX_IMAGE_CHARS:
        return ""
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return f'<img alt="output image" src="data:{mime};base64,{text}">'


def output_html(output) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return pre(_text(output.get("text")), "stderr" if output.get("name") == "stderr" else "stdout")
    if kind == "error":
        trace = "\n".join(_text(line) for line in output.get("traceback") or [])
        return pre(trace or f"{output.get('ename', '')}: {output.get('evalue', '')}", "error")
    if kind in ("execute_result", "display_data"):
        data = output.get("data") or {}
        for mime in IMAGE_TYPES:
            if mime in data:
                shown = image_html(mime, data[mime])
                if shown:
                    return shown
        if "text/plain" in data:
            return pre(_text(data["text/plain"]), "result")
    return ""


def check_ids(nb) -> list[str]:
    """The grade_ids of a notebook's check cells."""
    return [c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "") for c in nb.get("cells", []) if is_check_cell(c)]


class NotebookRenderer:
    """Renders a notebook's cells; ``verdicts`` maps a check cell's grade_id to its verdict HTML
    (already in ``language``, the language of the page's own words)."""

    def __init__(self, verdicts: dict[str, str], language: str | None = None):
        self.verdicts, self.language = verdicts, language

    def render(self, nb) -> str:
        return "\n".join(self.cell_html(cell) for cell in nb.get("cells", []))

    def cell_html(self, cell) -> str:
        source = _text(cell.get("source"))
        if cell.get("cell_type") == "markdown":
            return f'<div class="cell markdown">{markdown_html(source)}</div>'
        if cell.get("cell_type") != "code":
            return f'<div class="cell raw">{pre(source)}</div>'
        if is_check_cell(cell):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            not_graded = html.escape(i18n.translate(NOT_GRADED, self.language))
            verdict = self.verdicts.get(grade_id, f"<p>{not_graded}</p>")
            source = HIDDEN_TESTS.sub("", source).rstrip()  # nbgrader restores them; feedback never shows them
            return f'<div class="cell check">{pre(source, "source")}<div class="verdict">{verdict}</div></div>'
        outputs = "".join(output_html(o) for o in cell.get("outputs", []))
        return f'<div class="cell code">{pre(source, "source")}{outputs}</div>'


STYLE = (".cell{margin:.6em 0}.cell pre{margin:0;padding:.4em;white-space:pre-wrap;overflow-wrap:anywhere}"
         ".cell pre.source{background:#f6f8fa;border-left:3px solid #999}.cell pre.stderr,.cell pre.error{background:#fff0f0}"
         ".cell.check .verdict{border:1px solid #ccc;padding:.2em .8em;margin-top:.2em}.cell img{max-width:100%}")
