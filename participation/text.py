"""Cutting a text to a length for residents: never a word cut in two."""

from __future__ import annotations


def shorten(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """The text, or its first whole words that fit in `limit` characters with the ellipsis.

    The ellipsis is "…" on pages; SMS pass "..." (the GSM 7-bit alphabet has no "…").
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—(") + ellipsis
