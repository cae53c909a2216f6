"""The counter of an easy-read summary in a staff form (templates/includes/easy_read_field.html)."""

from __future__ import annotations

import json

from django import template

from participation.easy_read import (
    COUNTER_TEMPLATES,
    EASY_READ_MAX_LENGTH,
    LONG_SENTENCE_WORDS,
    LONG_WORD_LETTERS,
    counter_lines,
    easy_read_figures,
)

register = template.Library()


@register.simple_tag
def easy_read_counter(value) -> dict:
    """The counter's lines for the field's current value, and what static/js/easy-read.js needs
    to compute them again as staff type (the rules' numbers and the translated lines)."""
    return {
        "lines": counter_lines(easy_read_figures(str(value or ""))),
        "settings": json.dumps(
            {
                "max": EASY_READ_MAX_LENGTH,
                "longWordLetters": LONG_WORD_LETTERS,
                "longSentenceWords": LONG_SENTENCE_WORDS,
                "templates": {key: str(text) for key, text in COUNTER_TEMPLATES.items()},
            }
        ),
    }
