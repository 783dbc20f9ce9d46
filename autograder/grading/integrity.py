"""Signs that a notebook tampered with the probe harness or the kernel's reply path.

Anything in the student's process can be forged by code in that process, so these checks are
no defence: points come from secret inputs (see :mod:`autograder.spec`). They only catch the
usual ways of forging, so that the instructor can look: the harness's objects are noted right
after it is defined, before any student code runs, and compared at every check cell; each probe
request also carries a canary, an expression whose value the grader knows and the notebook
cannot (fresh random numbers), which a forged reply path gets wrong.
"""

from __future__ import annotations

import ast
import secrets

REVIEW = "review: probe harness tampered"


def fingerprint(harness: str) -> str:
    """An expression for the identities of the harness and of the functions the grader calls."""
    parts = [f"id({harness})"]
    for name in ("probe", "to_plain", "FixedDefaults"):
        parts += [f"id({harness}.get({name!r}))", f"id(getattr({harness}.get({name!r}), '__code__', None))"]
    return "[" + ", ".join(parts) + "]"


class HarnessWatch:
    """Notes the harness once, then checks every probe reply; ``reasons`` says what was seen."""

    def __init__(self, harness: str):
        self.harness = harness
        self.baseline: str | None = None
        self.canary: str = ""
        self.reasons: list[str] = []

    def baseline_expressions(self) -> dict:
        return {"fingerprint": fingerprint(self.harness)}

    def set_baseline(self, reply) -> None:
        self.baseline = _text(reply, "fingerprint")

    def expressions(self) -> dict:
        a, b = secrets.randbelow(10**9) + 10**9, secrets.randbelow(10**9) + 10**9
        self.canary = str(a * b)
        return {"fingerprint": fingerprint(self.harness), "canary": f"{a} * {b}"}

    def check(self, reply, where: str) -> None:
        if reply is None:
            return  # no reply at all: a crash or a timeout, which the status already says
        if _text(reply, "canary") != self.canary:
            self._note(f"the kernel's reply at {where} did not carry the grader's canary")
        seen = _text(reply, "fingerprint")
        if self.baseline is not None and seen != self.baseline:
            self._note(f"the probe harness was replaced or changed before {where}")

    def _note(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def summary(self) -> str:
        return f"{REVIEW} ({'; '.join(self.reasons)})" if self.reasons else ""


def _text(reply, key: str) -> str | None:
    """The text/plain value of one user expression in an execute reply, or None."""
    try:
        data = reply["content"]["user_expressions"][key]
        if data.get("status") != "ok":
            return None
        text = data["data"]["text/plain"]
    except (KeyError, TypeError, AttributeError):
        return None
    if not isinstance(text, str) or len(text) > 2000:
        return None
    try:
        return repr(ast.literal_eval(text))  # a normal form, so formatting alone never differs
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


# A second look at one visible probe per item, written differently: a forger that answers probes
# it recognises by their text answers the first and not the copy. An honest notebook whose answer
# evaluated a moment ago cannot have lost that answer's name, or its body, in between.
NOT_WRITTEN = ("NameError", "NotImplementedError")


def disguised_copy(probes: list) -> tuple[int, str] | None:
    """(index, expression): one visible probe of ``probes`` re-written with a fresh nonce, or None."""
    visible = [i for i, probe in enumerate(probes) if not probe.hidden]
    if not visible:
        return None
    index = visible[secrets.randbelow(len(visible))]
    return index, f"[{probes[index].expr}, {secrets.randbelow(10**9)}][0]"


def copy_contradicts(original, copy) -> bool:
    """Did the copy find no answer where the original, just before, found one?"""
    return (isinstance(original, dict) and original.get("ok") is True and isinstance(copy, dict)
            and copy.get("ok") is False and copy.get("error") in NOT_WRITTEN)
