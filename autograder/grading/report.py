"""What the grader tells people: the grade CSV, per-student feedback HTML, a summary table."""

from __future__ import annotations

import csv
import html
import os
from collections import Counter
from pathlib import Path

from autograder import i18n
from autograder.grading.integrity import REVIEW
from autograder.grading.notebook_html import CSP, NotebookRenderer, check_ids
from autograder.grading.notebook_html import STYLE as NOTEBOOK_STYLE
from autograder.i18n import N_, message

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


def feedback_language(notebooks: list | None) -> str:
    """The language of the notebook the student submitted (its metadata survives grading), else English."""
    for _, nb in notebooks or []:
        language = i18n.notebook_language(nb)
        if language != i18n.ENGLISH:
            return language
    return i18n.ENGLISH


# Status words as the feedback page shows them (the CSV keeps the English ones).
STATUS_WORDS = {"ok": N_("ok"), "timeout": N_("timeout"), "error": N_("error"), "crashed": N_("crashed"),
                "invalid": N_("invalid"), "missing": N_("missing")}


def feedback_html(result, notebooks: list | None = None, language: str | None = None) -> str:
    """Each item's result and hints, then the student's executed notebooks (``(name, notebook)``
    pairs) with each verdict at its check cell; hidden probes are named, with no inputs or answers.

    The page is in ``language``, by default the language of the submitted notebook; the result
    itself is language-neutral (see :mod:`autograder.i18n`)."""
    lang = language or feedback_language(notebooks)
    status = i18n.translate(STATUS_WORDS.get(result.status, result.status), lang)
    heading = message(HEADING, assignment=result.assignment, student=result.student).render(lang)
    status_note = message(STATUS_NOTE, status=status).render(lang)
    parts = [f"<h1>{html.escape(heading)}</h1>",
             f"<p><b>{html.escape(score_text(result, lang))}</b> {html.escape(status_note)}</p>"]
    if result.detail:
        parts.append(f"<p>{html.escape(result.detail)}</p>")
    if result.notes:
        parts.append(f"<p>{html.escape(i18n.translate(CHANGES, lang))}</p><ul>"
                     + "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) + "</ul>")
    at_cells = {gid for _, nb in notebooks or [] for gid in check_ids(nb)}
    # Items whose check cell is shown below get one summary line here and their details there.
    parts.append("<ul>" + "".join(f"<li>{item_line(item, lang)}</li>" for item in result.items if item.id in at_cells) + "</ul>")
    parts += [item_html(item, "h2", lang) for item in result.items if item.id not in at_cells]
    renderer = NotebookRenderer({item.id: item_html(item, "h3", lang) for item in result.items}, lang)
    for name, nb in notebooks or []:
        parts.append(f"<h2>{html.escape(message(YOUR_NOTEBOOK, name=name).render(lang))}</h2>{renderer.render(nb)}")
    style = "body{font-family:sans-serif;max-width:50em;margin:2em auto}code{background:#eee}" + NOTEBOOK_STYLE
    return (f"<!doctype html>{_html_lang(lang)}<meta charset='utf-8'><meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            f"<title>{html.escape(result.assignment)}</title><style>{style}</style>" + "\n".join(parts))


HEADING, STATUS_NOTE = N_("{assignment}: feedback for {student}"), N_("(status: {status})")
CHANGES, YOUR_NOTEBOOK = N_("Changes made before grading:"), N_("Your notebook: {name}")


def _html_lang(language: str) -> str:
    return "" if language == i18n.ENGLISH else f'<html lang="{html.escape(language)}">'


def score_text(result, language: str) -> str:
    return message("Score: {score:g} / {max_score:g}", score=result.score, max_score=result.max_score).render(language)


def item_line(item, language: str | None = None) -> str:
    mark = "✔" if item.passed else "✘"
    title = i18n.translate(item.title, language)
    return f"{mark} {html.escape(item.id)} {html.escape(title)}: {item.score:g} / {item.points:g}"


def item_html(item, heading: str, language: str | None = None) -> str:
    """One item's score and the verdict of each of its probes."""
    parts = [f"<{heading}>{item_line(item, language)}</{heading}><ul>"]
    for probe in item.probes:
        verdict = html.escape(i18n.translate(PASSED, language)) if probe.passed else html.escape(shown(probe, "message", language))
        hint = f"<br><em>{html.escape(hint_line(probe, language))}</em>" if probe.hint else ""
        parts.append(f"<li>{probe_name(probe, language)}: {verdict}{hint}</li>")
    return "".join(parts) + "</ul>"


PASSED = N_("passed")


def shown(probe, name: str, language: str | None) -> str:
    """A probe's message, hint or label in ``language`` (from its stored template where it has one)."""
    return i18n.render(getattr(probe, name, ""), getattr(probe, "texts", {}).get(name), language)


def hint_line(probe, language: str | None) -> str:
    return message("Hint: {hint}", hint=shown(probe, "hint", language)).render(language)


def probe_name(probe, language: str | None = None) -> str:
    """A probe as feedback names it: its label (hidden: the kind of input), never a hidden input."""
    label = shown(probe, "label", language)
    if probe.hidden:
        if label:
            return html.escape(message("hidden check: {label}", label=label).render(language))
        return html.escape(i18n.translate(N_("hidden check"), language))
    return html.escape(label) if label and probe.label != probe.expr else f"<code>{html.escape(probe.expr)}</code>"


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
