"""Texts written for or by residents: cut to a length without cutting a word, and the contact details
taken out of anonymous answers."""

from __future__ import annotations

import re


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


# An email address, or a French phone number however it is typed (06 12 34 56 78, 06.12.34.56.78,
# +33 6 12 34 56 78, 0033612345678, 01 23 45 67 89).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\d)"
)


def without_contact_details(text: str, *, replacement: str) -> str:
    """`text` with the email addresses and phone numbers typed in it replaced: an anonymous answer
    must not keep a way to reach its author (no purge could ever find it again)."""
    return _PHONE.sub(replacement, _EMAIL.sub(replacement, text))
