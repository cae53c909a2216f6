"""Dates as residents read them: French typography and machine-readable values that validate.

One place for both, used by the templates' ``date`` filter (participation.templatetags.french_dates,
a template builtin) and by the Python code that writes dates into emails, SMS and PDFs.
"""

from __future__ import annotations

import datetime
import re

from django.utils import dateformat, formats
from django.utils.translation import get_language

# A day-of-month "j" that is not escaped by a backslash.
_DAY_OF_MONTH = re.compile(r"(?<!\\)j")


def _french_first(value: datetime.date, fmt: str) -> str:
    """French writes the first day of a month as an ordinal: "1er janvier", never "1 janvier"."""
    if getattr(value, "day", None) != 1 or not (get_language() or "").startswith("fr"):
        return fmt
    return _DAY_OF_MONTH.sub(r"j\\e\\r", fmt)


def _whole_seconds(value: datetime.date, fmt: str) -> datetime.date:
    """HTML's `datetime` attribute takes at most milliseconds: ISO 8601 values drop microseconds."""
    if fmt == "c" and isinstance(value, datetime.datetime):
        return value.replace(microsecond=0)
    return value


def date_format(
    value: datetime.date, format: str | None = None, use_l10n: bool | None = None
) -> str:
    """Django's ``formats.date_format`` with "1er" for the first of the month in French."""
    fmt = str(formats.get_format(format or "DATE_FORMAT", use_l10n=use_l10n))
    return dateformat.format(_whole_seconds(value, fmt), _french_first(value, fmt))


def plain_format(value: datetime.date, fmt: str) -> str:
    """Like ``dateformat.format`` (a literal format, no named setting) with the same two rules."""
    return dateformat.format(_whole_seconds(value, fmt), _french_first(value, fmt))
