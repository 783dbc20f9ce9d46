"""Make everything a student produced inert before it reaches an instructor's browser.

nbgrader's formgrader renders the notebooks in ``autograded/`` as HTML in the instructor's
logged-in Jupyter session, where a script could use the contents API as the instructor. Each
class here is a small nbgrader-style preprocessor that removes one kind of active content; the
plain text, the PNG/JPEG images and the grading metadata stay.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import nbformat
from nbconvert.preprocessors import Preprocessor

from autograder import i18n

SAFE_OUTPUT_TYPES = ("text/plain", "image/png", "image/jpeg", "image/gif")
SAFE_ATTACHMENT_TYPES = ("image/png", "image/jpeg", "image/gif")
SVG = "image/svg+xml"
NOTEBOOK_METADATA_KEPT = ("kernelspec", "language_info")
CELL_METADATA_KEPT = ("nbgrader", "tags", "editable", "deletable", "collapsed", "scrolled", "jupyter", "execution")
IMAGE_SIZE_KEYS = ("width", "height", "unconfined")
MAX_SVG_CHARS = 2_000_000


def removed_note(kinds: list[str]) -> str:
    return f"[output of type {', '.join(sorted(kinds))} removed by the autograder: active content is not kept]"


class KeepInertOutputs(Preprocessor):
    """Rich outputs keep only text, raster images and script-free SVG; HTML, JavaScript, widgets,
    Markdown and LaTeX outputs go (their text/plain form, when there is one, stays)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [self.inert_output(o) for o in cell.get("outputs", [])]
        return cell, resources

    def inert_output(self, output):
        if output.get("output_type") not in ("display_data", "execute_result"):
            return output  # streams and errors are text, escaped by every renderer
        data = output.get("data", {})
        kept = {k: v for k, v in data.items() if k in SAFE_OUTPUT_TYPES}
        svg = inert_svg(data[SVG]) if SVG in data else None
        if svg is not None:
            kept[SVG] = svg
        dropped = [k for k in data if k not in kept]
        if dropped and "text/plain" not in kept:
            kept["text/plain"] = removed_note(dropped)
        output["data"] = nbformat.from_dict(kept)
        output["metadata"] = nbformat.from_dict(image_metadata(output.get("metadata", {}), kept))
        return output


def image_metadata(metadata, kept: dict) -> dict:
    """Only the display size of kept images; no flag such as ``isolated`` or ``trusted`` survives."""
    if not isinstance(metadata, dict):
        return {}
    return {mime: {k: v for k, v in value.items() if k in IMAGE_SIZE_KEYS and isinstance(v, (int, float))}
            for mime, value in metadata.items() if mime in kept and isinstance(value, dict)}


SVG_ELEMENTS = {"svg", "g", "title", "desc", "defs", "polygon", "polyline", "path", "ellipse", "circle", "rect",
                "line", "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath"}
SVG_ATTRIBUTES = {"width", "height", "viewBox", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry", "d",
                  "points", "transform", "fill", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity",
                  "fill-opacity", "opacity", "font-family", "font-size", "font-weight", "font-style",
                  "text-anchor", "class", "version", "preserveAspectRatio", "offset", "stop-color", "gradientUnits"}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NAMESPACE)  # write <svg xmlns=...>, not <ns0:svg>


def inert_svg(text) -> str | None:
    """The SVG ``text`` rebuilt from its parsed elements, if it is made only of shapes and text (as
    graphviz draws); None if it holds anything else (script, links, foreign content, entities).

    Rebuilding, rather than checking and keeping the original text, leaves no CDATA section or
    comment that an HTML parser would read differently from an XML parser. Attributes outside the
    list (event handlers, style, href, id) are dropped.
    """
    if isinstance(text, list):
        text = "".join(text)
    if not isinstance(text, str) or len(text) > MAX_SVG_CHARS or "<!ENTITY" in text:
        return None
    try:
        root = ET.fromstring(text.split("?>", 1)[-1] if text.lstrip().startswith("<?xml") else text)
    except ET.ParseError:
        return None
    for element in root.iter():
        if not (isinstance(element.tag, str) and element.tag.startswith("{" + SVG_NAMESPACE + "}")
                and _local(element.tag) in SVG_ELEMENTS):
            return None
        for name in list(element.attrib):
            if name not in SVG_ATTRIBUTES:  # namespaced names ({...}href) are never in the list
                del element.attrib[name]
    return ET.tostring(root, encoding="unicode")


def _local(name) -> str:
    """An XML name without its namespace ({http://www.w3.org/2000/svg}rect -> rect)."""
    return name.rsplit("}", 1)[-1] if isinstance(name, str) else ""


# Schemes a browser runs or renders as a page; letters may be split by whitespace or control characters.
ACTIVE_SCHEME = re.compile("|".join(r"[\x00-\x20]*".join(word) + r"[\x00-\x20]*:" for word in ("javascript", "vbscript", "data")),
                           re.I)


def inert_markdown(source: str) -> str:
    """Markdown whose raw HTML shows as text and whose links cannot run script.

    Character references are decoded first (until none is left), so ``jav&#x61;script:`` is seen as
    the scheme it spells; then ``&`` and ``<`` are escaped, so no reference or tag can be rebuilt
    later, and a dangerous scheme's colon becomes a hyphen. (Inside code spans the escapes show as
    written: a small cost for text the instructor reads, not runs.)
    """
    text = source
    while (decoded := html.unescape(text)) != text:
        text = decoded
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return ACTIVE_SCHEME.sub(lambda m: m.group(0)[:-1] + "-", text)


class InertMarkdown(Preprocessor):
    """Markdown cells: no raw HTML, no javascript:/data: links; attachments only raster images."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            cell.source = inert_markdown(source)
            attachments = cell.get("attachments")
            if attachments is not None:
                images = {name: {k: v for k, v in bundle.items() if k in SAFE_ATTACHMENT_TYPES}
                          for name, bundle in (attachments.items() if isinstance(attachments, dict) else [])
                          if isinstance(bundle, dict)}
                cell.attachments = nbformat.from_dict({name: bundle for name, bundle in images.items() if bundle})
                if not cell.attachments:
                    del cell["attachments"]
        return cell, resources


class PlainRawCells(Preprocessor):
    """Raw cells lose their target format, so no exporter passes them through as HTML."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "raw":
            for key in ("format", "raw_mimetype"):
                cell.metadata.pop(key, None)
        return cell, resources


class DropActiveMetadata(Preprocessor):
    """Notebook metadata keeps the kernel's description only (widget state and views go); cells keep
    the grading and layout keys only (a ``trusted`` flag goes)."""

    def preprocess(self, nb, resources):
        language = i18n.notebook_language(nb)  # the feedback page speaks the notebook's language: keep it, validated
        nb.metadata = nbformat.from_dict({k: v for k, v in nb.metadata.items() if k in NOTEBOOK_METADATA_KEPT})
        if language != i18n.ENGLISH:
            nb.metadata[i18n.METADATA_KEY] = nbformat.from_dict({"language": language})
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.get("metadata", {}).items() if k in CELL_METADATA_KEPT})
        return cell, resources


PIPELINE = (DropActiveMetadata, KeepInertOutputs, InertMarkdown, PlainRawCells)


def inert_notebook(nb):
    """``nb`` with every preprocessor above applied (in place, and returned)."""
    resources = {}
    for step in PIPELINE:
        nb, resources = step().preprocess(nb, resources)
    return nb


def inert_notebook_json(nb_json: str) -> str:
    return nbformat.writes(inert_notebook(nbformat.reads(nb_json, as_version=4)))
