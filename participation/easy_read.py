"""Easy-read summaries ("En bref, facile à lire") of meetings, answers and news (issue 18).

Staff write an optional short summary beside the full text; residents see it first. The rules of
its counter live here once: the server computes the figures shown under the field (so the form
says them without JavaScript, and after a refused submission), and static/js/easy-read.js computes
the same figures with the same rules while staff type. Keep the two in step.

- characters: every character of the text, line breaks counted as one (as the database stores it),
  spaces at either end left out (as the form drops them);
- sentences: pieces of text ended by ".", "!", "?" or "…" followed by a space or the end, or by a
  line break (a summary written as a list has one sentence a line); a piece without a letter does
  not count. A long sentence has more than LONG_SENTENCE_WORDS words;
- words: runs of letters ("aujourd'hui" is "aujourd" and "hui"); a long word has LONG_WORD_LETTERS
  letters or more ("renseignements", "accompagnement", "intercommunal"): counting letters is what
  staff can check by eye, where French syllables are not;
- abbreviations: words of two capital letters or more ("QPV", "NPNRU", "CAF"), to write out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

EASY_READ_MAX_LENGTH = 600
LONG_WORD_LETTERS = 12
LONG_SENTENCE_WORDS = 15

_SENTENCE_END = re.compile(r"[.!?…]+(?:\s+|$)|\n+")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class EasyReadFigures:
    chars: int
    sentences: int
    long_sentences: int
    long_words: tuple[str, ...]
    abbreviations: tuple[str, ...]

    @property
    def over(self) -> int:
        return max(self.chars - EASY_READ_MAX_LENGTH, 0)


def _distinct(words: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for word in words:
        seen.setdefault(word.lower(), word)
    return tuple(seen.values())


def normalise_newlines(text: str) -> str:
    """A browser sends a textarea's line breaks as CR LF: one character each, as typed and shown."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def easy_read_figures(text: str) -> EasyReadFigures:
    # Spaces and line breaks at either end do not count: the form drops them.
    text = normalise_newlines(text or "").strip()
    sentences = [piece for piece in _SENTENCE_END.split(text) if _WORD.search(piece)]
    words = _WORD.findall(text)
    return EasyReadFigures(
        chars=len(text),
        sentences=len(sentences),
        long_sentences=sum(
            1 for sentence in sentences if len(_WORD.findall(sentence)) > LONG_SENTENCE_WORDS
        ),
        long_words=_distinct([word for word in words if len(word) >= LONG_WORD_LETTERS]),
        abbreviations=_distinct([word for word in words if len(word) >= 2 and word.isupper()]),
    )


# The counter's lines: "{name}" placeholders, filled by counter_lines() and, as staff type, by
# static/js/easy-read.js (which reads them from the page).
COUNTER_TEMPLATES = {
    "chars": _("Characters: {chars} of {max}."),
    "over": _("Characters: {chars} of {max}, {over} too many: make it shorter."),
    "sentences": _("Sentences: {sentences}. Long ones (more than {words} words): {long}."),
    "long_words": _("Long words ({letters} letters or more): {list}."),
    "abbreviations": _("Abbreviations to write out in full: {list}."),
    "none": _("none"),
}


def counter_lines(figures: EasyReadFigures) -> list[str]:
    values = {
        "chars": figures.chars,
        "max": EASY_READ_MAX_LENGTH,
        "over": figures.over,
        "sentences": figures.sentences,
        "words": LONG_SENTENCE_WORDS,
        "long": figures.long_sentences,
        "letters": LONG_WORD_LETTERS,
    }
    none = str(COUNTER_TEMPLATES["none"])

    def fill(key: str, **extra: object) -> str:
        line = str(COUNTER_TEMPLATES[key])
        for name, value in {**values, **extra}.items():
            line = line.replace("{" + name + "}", str(value))
        return line

    return [
        fill("over" if figures.over else "chars"),
        fill("sentences"),
        fill("long_words", list=", ".join(figures.long_words) or none),
        fill("abbreviations", list=", ".join(figures.abbreviations) or none),
    ]


TOO_LONG = _(
    "The easy-read summary has %(show_value)d characters: %(limit_value)d at most. Make it shorter."
)


def clean_easy_read(text: str) -> str:
    """The summary as the services store it, or ValueError(message) when it is too long."""
    text = normalise_newlines(text).strip()
    if len(text) > EASY_READ_MAX_LENGTH:
        raise ValueError(TOO_LONG % {"show_value": len(text), "limit_value": EASY_READ_MAX_LENGTH})
    return text


class EasyReadField(forms.CharField):
    """The optional summary in a staff form: at most EASY_READ_MAX_LENGTH characters, line breaks
    counted once. The textarea has no `maxlength`: a browser would cut a pasted text without a
    word, where the counter shows the excess and the server refuses it with a clear message.
    Rendered by templates/includes/easy_read_field.html (guidance and counter beside it)."""

    widget = forms.Textarea

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Easy-read summary (optional)"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", EASY_READ_MAX_LENGTH)
        kwargs.setdefault("error_messages", {"max_length": TOO_LONG})
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_newlines(value) if value else value

    def widget_attrs(self, widget) -> dict:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        attrs["rows"] = 4
        return attrs
