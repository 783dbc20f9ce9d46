"""What the grader tells people: the grade CSV, per-student feedback HTML, a summary table."""

from __future__ import annotations

import csv
import html
import os
from collections import Counter
from pathlib import Path

from autograder.grading.integrity import REVIEW
from autograder.grading.notebook_html import CSP, NotebookRenderer, check_ids
from autograder.grading.notebook_html import STYLE as NOTEBOOK_STYLE

CSV_FIELDS = ["student_id", "assignment", "score", "max_score", "status", "detail", "seconds", "notes", "review"]


def write_csv(path: Path, rows: list[dict], item_ids: list[str]) -> None:
    """Write ``rows`` atomically (a half-written grade file is never left behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".csv.partial")
    with open(partial, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS + item_ids, extrasaction="ignore")
        writer.writeheader()
        for row in sorted(rows, key=lambda r: (r["student_id"], r["assignment"])):
            writer.writerow(spreadsheet_safe(row))
    os.replace(partial, path)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(row: dict) -> dict:
    """``row`` with every text that a spreadsheet would run as a formula prefixed with a quote (OWASP's
    advice for CSV injection); numbers, negative ones included, stay numbers."""
    return {key: _inert_cell(value) for key, value in row.items()}


def _inert_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def feedback_html(result, notebooks: list | None = None) -> str:
    """Each item's result and hints, then the student's executed notebooks (``(name, notebook)``
    pairs) with each verdict at its check cell; hidden probes are named, with no inputs or answers."""
    parts = [f"<h1>{html.escape(result.assignment)}: feedback for {html.escape(result.student)}</h1>",
             f"<p><b>Score: {result.score:g} / {result.max_score:g}</b> (status: {html.escape(result.status)})</p>"]
    if result.detail:
        parts.append(f"<p>{html.escape(result.detail)}</p>")
    if result.notes:
        parts.append("<p>Changes made before grading:</p><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) + "</ul>")
    at_cells = {gid for _, nb in notebooks or [] for gid in check_ids(nb)}
    # Items whose check cell is shown below get one summary line here and their details there.
    parts.append("<ul>" + "".join(f"<li>{item_line(item)}</li>" for item in result.items if item.id in at_cells) + "</ul>")
    parts += [item_html(item, "h2") for item in result.items if item.id not in at_cells]
    renderer = NotebookRenderer({item.id: item_html(item, "h3") for item in result.items})
    for name, nb in notebooks or []:
        parts.append(f"<h2>Your notebook: {html.escape(name)}</h2>{renderer.render(nb)}")
    style = "body{font-family:sans-serif;max-width:50em;margin:2em auto}code{background:#eee}" + NOTEBOOK_STYLE
    return (f"<!doctype html><meta charset='utf-8'><meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            f"<title>{html.escape(result.assignment)}</title><style>{style}</style>" + "\n".join(parts))


def item_line(item) -> str:
    mark = "✔" if item.passed else "✘"
    return f"{mark} {html.escape(item.id)} {html.escape(item.title)}: {item.score:g} / {item.points:g}"


def item_html(item, heading: str) -> str:
    """One item's score and the verdict of each of its probes."""
    parts = [f"<{heading}>{item_line(item)}</{heading}><ul>"]
    for probe in item.probes:
        verdict = "passed" if probe.passed else html.escape(probe.message)
        hint = f"<br><em>Hint: {html.escape(probe.hint)}</em>" if probe.hint else ""
        parts.append(f"<li>{probe_name(probe)}: {verdict}{hint}</li>")
    return "".join(parts) + "</ul>"


def probe_name(probe) -> str:
    """A probe as feedback names it: its label (hidden: the kind of input), never a hidden input."""
    label = getattr(probe, "label", "")
    if probe.hidden:
        return f"hidden check: {html.escape(label)}" if label else "hidden check"
    return html.escape(label) if label and label != probe.expr else f"<code>{html.escape(probe.expr)}</code>"


def summary(results) -> str:
    """Count per status, mean score, the slowest notebooks, and what the class missed (item_analysis)."""
    if not results:
        return "no submissions graded"
    counts = Counter(r.status for r in results)
    scored = [r.score / r.max_score for r in results if r.max_score]
    lines = ["status    count", *(f"{s:<9} {n:>5}" for s, n in sorted(counts.items()))]
    lines.append(f"mean score: {100 * sum(scored) / len(scored):.1f}% over {len(results)} submissions")
    flagged = [r for r in results if getattr(r, "review", "")]
    if flagged:  # the instructor should look at these notebooks
        lines.append(f"{REVIEW}: " + ", ".join(f"{r.student}/{r.assignment}" for r in flagged))
    slowest = sorted(results, key=lambda r: -r.seconds)[:3]
    lines.append("slowest: " + ", ".join(f"{r.student}/{r.assignment} {r.seconds:.1f}s" for r in slowest))
    return "\n".join(lines + item_analysis(results))


TOP_HINTS = 3


def item_analysis(results) -> list[str]:
    """Per item: how many of the students whose notebook ran got full marks, and the hints they got most often.

    A hint counts once per student (two probes failing with the same hint are one mistake). Students
    with nothing graded (missing, invalid) are left out, so the share speaks of the work handed in.
    """
    lines = []
    for assignment in sorted({r.assignment for r in results}):
        graded = [r for r in results if r.assignment == assignment and r.items]
        if not graded:
            continue
        lines.append(f"item analysis for {assignment} ({len(graded)} graded): full marks, most frequent hints")
        for item_id in _item_order(graded):
            lines += _item_lines(item_id, [i for r in graded for i in r.items if i.id == item_id])
    return lines


def _item_order(graded) -> list[str]:
    order: list[str] = []
    for result in graded:
        order += [item.id for item in result.items if item.id not in order]
    return order


def _item_lines(item_id: str, items) -> list[str]:
    full = sum(1 for item in items if item.passed)
    hints = Counter(hint for item in items for hint in dict.fromkeys(p.hint for p in item.probes if not p.passed and p.hint))
    lines = [f"  {item_id:<20} {full}/{len(items)} full marks ({100 * full / len(items):.0f}%)"]
    lines += [f"      {count}x {_one_line(hint)}" for hint, count in hints.most_common(TOP_HINTS)]
    return lines


def _one_line(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
