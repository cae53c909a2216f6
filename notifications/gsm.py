"""How long an SMS is: its encoding and the number of segments it is billed as (GSM 03.38).

A text made only of the GSM 7-bit alphabet travels 160 characters to an SMS, or 153 per segment
once it is split (the rest carries the joining header); the extension characters (€, [, ], {, },
\\, ^, ~, | and the form feed) take two of those places each. Any other character (ê, ç, œ, an
emoji...) turns the whole text to UCS-2: 70 UTF-16 units to an SMS, 67 per segment, an emoji taking
two units. French reads well in GSM-7 with é, è, à, ù but not with ê, â, î, ô, û, ç, ë, ï: staff see
the count as they type (`describe_length`, the counter in notifications/includes/sms_counter.html).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# The GSM 03.38 default alphabet, in table order (0x00 to 0x7F); 0x1B is the escape to the extension
# table, left out here. 0x09 is the capital Ç: the small ç is not in the alphabet.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x1B is removed below
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
).replace("\x1b", "")
# The extension table: each character is sent as the escape and itself, two septets.
GSM7_EXTENSION = "\f^{}\\[~]|€"

_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7 = "gsm7"
UCS2 = "ucs2"

# Units per SMS: one whole message, or one segment of a split one.
SINGLE = {GSM7: 160, UCS2: 70}
PER_SEGMENT = {GSM7: 153, UCS2: 67}


class SmsLength(NamedTuple):
    """What a text costs: characters typed, segments billed, and the encoding that decides it."""

    chars: int
    segments: int
    encoding: str


def encoding_of(text: str) -> str:
    """GSM-7 when every character is in the GSM 03.38 alphabet (basic or extension), else UCS-2."""
    return GSM7 if all(char in _BASIC or char in _EXTENSION for char in text) else UCS2


def _units(text: str, encoding: str) -> list[int]:
    """The size of each character: septets in GSM-7 (2 for the extension), UTF-16 units in UCS-2."""
    if encoding == GSM7:
        return [2 if char in _EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _segments(units: list[int], encoding: str) -> int:
    total = sum(units)
    if total == 0:
        return 0
    if total <= SINGLE[encoding]:
        return 1
    # Split: a character is never cut across two segments (an escape pair, a surrogate pair), so
    # pack them one by one rather than dividing the total.
    size, segments, used = PER_SEGMENT[encoding], 1, 0
    for unit in units:
        if used + unit > size:
            segments += 1
            used = 0
        used += unit
    return segments


_GSM7 = frozenset(GSM7_BASIC + GSM7_EXTENSION)
_FRENCH_QUOTES = re.compile("«[\u00a0\u202f ]?|[\u00a0\u202f ]?»")
# Typography that has a plain GSM-7 twin; other characters lose their accent (ê -> e), and what
# has none is dropped.
_TWINS = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "·": "-",
        "…": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "ç": "c",
        "œ": "oe",
        "Œ": "OE",
    }
)


def gsm7(text: str) -> str:
    """The text in the GSM 7-bit alphabet: é, è, à, ù stay; ê, ç, ’, « » become e, c, ', "."""
    # French quotation marks take a (non-breaking) space inside; straight quotes do not.
    text = _FRENCH_QUOTES.sub(lambda match: '"', text)
    folded = []
    for char in text.translate(_TWINS):
        if char in _GSM7:
            folded.append(char)
            continue
        base = "".join(
            part
            for part in unicodedata.normalize("NFKD", char)
            if part in _GSM7 and not unicodedata.combining(part)
        )
        folded.append(base)
    return "".join(folded)


def sms_text(text: str) -> str:
    """The text as sent: a form's line breaks (CR LF) become one LF, as phones write them."""
    return text.replace("\r\n", "\n")


def describe_length(text: str) -> SmsLength:
    """`(chars, segments, encoding)` of an SMS text: what a live counter shows to staff."""
    text = sms_text(text)
    encoding = encoding_of(text)
    return SmsLength(
        chars=len(text), segments=_segments(_units(text, encoding), encoding), encoding=encoding
    )


def units_left(text: str) -> int:
    """Room left in the last segment before the text needs one more (for the counter)."""
    text = sms_text(text)
    encoding = encoding_of(text)
    units = _units(text, encoding)
    total = sum(units)
    if total <= SINGLE[encoding]:
        return SINGLE[encoding] - total
    size, used = PER_SEGMENT[encoding], 0
    for unit in units:
        if used + unit > size:
            used = 0
        used += unit
    return size - used
