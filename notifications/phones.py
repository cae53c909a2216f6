"""French mobile numbers: what residents type (06 12 34 56 78, +33 7..., 0033 6...) in one form.

SMS go to French mobiles only (06 and 07), written in E.164 (+33612345678). Landlines and anything
else are refused with one plain sentence, the same in every form that asks for a number.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Spaces, dots, dashes, slashes and brackets are how people group digits; they carry nothing.
_SEPARATORS = re.compile(r"[\s.\-/()\u00a0\u202f]")
_NATIONAL_MOBILE = re.compile(r"0([67]\d{8})")
# "+33 (0)6 ..." is common on business cards: the brackets are gone, the 0 may stay.
_INTERNATIONAL_MOBILE = re.compile(r"(?:\+|00)330?([67]\d{8})")
E164_FRENCH_MOBILE = re.compile(r"\+33[67]\d{8}")

NOT_A_MOBILE = _(
    "Enter a French mobile number, starting with 06 or 07 (for example 06 12 34 56 78)."
)


def normalise_mobile(value: str) -> str | None:
    """The number in E.164 (+336..., +337...), or None when it is not a French mobile number."""
    compact = _SEPARATORS.sub("", value or "")
    if len(compact) > 20:
        return None
    for pattern in (_NATIONAL_MOBILE, _INTERNATIONAL_MOBILE):
        match = pattern.fullmatch(compact)
        if match:
            return "+33" + match.group(1)
    return None


def validate_mobile(value: str) -> str:
    """For forms: the E.164 number, or a ValidationError in plain French."""
    number = normalise_mobile(value)
    if number is None:
        raise ValidationError(NOT_A_MOBILE, code="not_a_mobile")
    return number


def masked(number: str) -> str:
    """For logs and staff screens that need no more: the last two digits only."""
    return f"••• {number[-2:]}" if number else ""
