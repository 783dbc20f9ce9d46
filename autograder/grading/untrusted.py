"""Read what a kernel sent back as untrusted input: check its shape before anything uses it.

A probe reply is built by code running next to the student's, so it can hold anything JSON can:
a missing ``"value"``, numbers too large for a float (``10 ** 400``), lists nested thousands
deep, megabytes of text. Each result is checked on its own; whatever is unexpected becomes that
one probe's failure, with a plain message, and never an exception in the grader.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_REPLY_CHARS = 8_000_000  # far above what plain.py sends (10_000 values per tensor, short texts)
MAX_DEPTH = 32  # plain.py nests at most 7 containers, plus a tensor's own dimensions
MAX_NODES = 200_000  # values in one probe result
MAX_TEXT = 10_000  # characters in one string
MAX_KEYS = 1_000  # keys in one dict

INVALID = "InvalidReply"  # the error name given to a result that failed these checks


class Unreadable(ValueError):
    """A value that is not plain, bounded JSON data."""


def failure(message: str) -> dict:
    """A probe result that says, in words, why the reply could not be used."""
    return {"ok": False, "error": INVALID, "message": message}


def parse_reply_text(text: Any, count: int) -> list[dict] | None:
    """The ``count`` probe results in the JSON ``text``, each checked; None if the text is no such list."""
    if not isinstance(text, str) or len(text) > MAX_REPLY_CHARS:
        return None
    try:
        results = json.loads(text)
    except (ValueError, RecursionError):  # also ints of more than 4300 digits, and 10_000-deep nesting
        return None
    if not isinstance(results, list) or len(results) != count:
        return None
    return [checked_result(r) for r in results]


def checked_result(result: Any) -> dict:
    """One probe result as the grader expects it, or a failure saying what was wrong with it."""
    if not isinstance(result, dict) or not isinstance(result.get("ok"), bool):
        return failure("the kernel's reply for this check was not a result")
    if not result["ok"]:
        error, message = result.get("error"), result.get("message", "")
        if not isinstance(error, str) or not isinstance(message, str):
            return failure("the kernel's reply for this check named no error")
        return {"ok": False, "error": error[:100], "message": message[:MAX_TEXT]}
    if "value" not in result:
        return failure("the kernel's reply for this check had no value")
    try:
        return {"ok": True, "value": plain_value(result["value"])}
    except Unreadable as why:
        return failure(f"the value could not be read: {why}")


def plain_value(value: Any) -> Any:
    """``value`` with its size and depth checked, and numbers a float cannot hold made plain.

    Integers beyond the float range (``10 ** 400``) are no number a check can read; non-finite
    floats become ``"nan"``/``"inf"``/``"-inf"``, as plain.py writes them. The walk uses its own
    stack, so no nesting depth can exhaust Python's.
    """
    nodes = 0
    root = [value]
    stack = [(root, 0, 0)]  # (container, key, depth): fix container[key] in place
    while stack:
        container, key, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise Unreadable(f"more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise Unreadable(f"nested more than {MAX_DEPTH} deep")
        item = container[key]
        if isinstance(item, list):
            stack.extend((item, i, depth + 1) for i in range(len(item)))
        elif isinstance(item, dict):
            if len(item) > MAX_KEYS:
                raise Unreadable(f"a dict with more than {MAX_KEYS} keys")
            stack.extend((item, k, depth + 1) for k in item)
        else:
            container[key] = plain_scalar(item)
    return root[0]


def plain_scalar(item: Any) -> Any:
    if item is None or isinstance(item, bool):
        return item
    if isinstance(item, int):
        try:
            float(item)
        except OverflowError:
            raise Unreadable("a number too large for a float") from None
        return item
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        return item if math.isfinite(item) else ("inf" if item > 0 else "-inf")
    if isinstance(item, str):
        if len(item) > MAX_TEXT:
            raise Unreadable(f"a text longer than {MAX_TEXT} characters")
        return item
    raise Unreadable(f"a {type(item).__name__}")  # json.loads makes nothing else; a caller might
