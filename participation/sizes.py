"""File sizes as people read them: "245,3 Ko", "1,5 Mo" in French (never Django's "Kio").

Django's `filesizeformat` counts in powers of 1024 and prints the binary units (French "Kio",
"Mio"), which nobody outside computing reads. Sizes here are in powers of 1000 with the units of
everyday French: octets, Ko, Mo, Go. Used by the `file_size` template filter and by messages.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop, ngettext

UNITS = (
    (1000**3, gettext_noop("%(size)s GB")),
    (1000**2, gettext_noop("%(size)s MB")),
    (1000, gettext_noop("%(size)s KB")),
)


def file_size(value: int | float | str | None) -> str:
    """A size in bytes for people to read, in the active language (French: "1,5 Mo")."""
    try:
        size = int(value or 0)
    except (TypeError, ValueError):
        size = 0
    for factor, template in UNITS:
        if size >= factor:
            amount = number_format(round(size / factor, 1), decimal_pos=1, force_grouping=True)
            return gettext(template) % {"size": amount}
    return ngettext("%(size)s byte", "%(size)s bytes", size) % {"size": size}
