"""What a student reads, in the language of their notebook.

Design: every result stays language-neutral. A :class:`~autograder.decide.ProbeResult` keeps its
English ``message``/``hint``/``label`` (what the CSV, the gradebook and the tests read) and, next
to them, each text that was built from values as a :class:`Message`: an English template (the
gettext msgid) plus its parameters, in plain JSON. Whoever shows a result to a student
(``check()`` in the notebook, the feedback page) renders it at that moment with
:func:`render` for the notebook's language: translate the template, then format it. So a stored
result can be shown in any language later, and the same code gets the same scores in every
language, because nothing that decides a score ever sees a translation.

Translations are a gettext catalog shipped inside the package
(``autograder/locale/<lang>/LC_MESSAGES/autograder.mo``, compiled from the ``.po`` next to it by
``python -m autograder.course.messages compile``), read with the standard library only, so a Colab
install needs nothing more. A text without a translation stays English. The language is never
taken from the machine's locale: it is an argument, read from the notebook's metadata.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path
from typing import Any

DOMAIN = "autograder"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
LANGUAGES = ("en", "ja")
METADATA_KEY = "autograd_course"  # notebook metadata: {"autograd_course": {"language": "ja"}}


def N_(text: str) -> str:
    """Marks a fixed English text as a msgid (the catalog's extractor looks for it); returns it as is."""
    return text


@cache
def translations(language: str | None) -> gettext.NullTranslations:
    """The catalog of ``language`` (English, or any language without a catalog: no translation)."""
    if not language or language == ENGLISH:
        return gettext.NullTranslations()
    # ``languages=`` is given, so gettext never looks at LANG/LANGUAGE/LC_*.
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def translate(text: str, language: str | None) -> str:
    """``text`` in ``language`` if the catalog has it, else ``text`` unchanged (an empty text stays empty)."""
    if not text:
        return text
    return translations(language).gettext(text)


class Message(str):
    """A text built from values: its English rendering (it *is* that string, so English output and
    every ``str`` operation stay as they were), plus the template (the msgid) and the values, which
    may be Messages too, to render it in another language."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, params: dict[str, Any] | None = None):
        params = dict(params or {})
        # A text without values is its own template, taken literally (braces and all).
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template, self.params = template, params
        return self

    def __reduce__(self):  # copy/deepcopy (dataclasses.asdict) keep the template
        return (Message, (self.template, self.params))

    def render(self, language: str | None) -> str:
        if language in (None, ENGLISH):
            return str(self)
        if not self.params:
            return translate(self.template, language)
        values = {k: v.render(language) if isinstance(v, Message) else v for k, v in self.params.items()}
        try:
            return translate(self.template, language).format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation must not hide the feedback
            return self.template.format(**values)

    def to_plain(self) -> dict:
        return {"template": self.template,
                "params": {k: v.to_plain() if isinstance(v, Message) else v for k, v in self.params.items()}}

    @classmethod
    def from_plain(cls, data: dict) -> Message:
        params = {k: cls.from_plain(v) if _is_plain_message(v) else v for k, v in data.get("params", {}).items()}
        return cls(data["template"], params)


def _is_plain_message(value) -> bool:
    return isinstance(value, dict) and set(value) == {"template", "params"}


def message(template: str, **params) -> Message:
    """A translatable text built from values: ``message("expected {want}, got {got}", want=..., got=...)``."""
    return Message(template, params)


def fixed(text: str) -> Message:
    """A translatable text without values (its template is the text itself, braces and all)."""
    return Message(text)


def as_message(text: str | None) -> Message | None:
    """``text`` as a Message (a plain string is a fixed text: translated when the catalog has it)."""
    if text is None or isinstance(text, Message):
        return text
    return fixed(text)


def parts(text: str) -> dict | None:
    """What to store beside an English text so that it can be rendered in another language."""
    return text.to_plain() if isinstance(text, Message) and text.params else None


def render(text: str, parts: dict | None, language: str | None) -> str:
    """A stored text in ``language``: from its stored template if it has one, else its fixed English text."""
    if language in (None, ENGLISH):
        return text
    if parts:
        return Message.from_plain(parts).render(language)
    return translate(text, language)


def notebook_language(nb) -> str:
    """The language a notebook is written in (its metadata); English when it says nothing usable."""
    try:
        language = (nb.get("metadata") or {}).get(METADATA_KEY, {}).get("language")
    except AttributeError:
        return ENGLISH
    return language if isinstance(language, str) and language in LANGUAGES else ENGLISH
