"""The ``date`` filter of every template, French typography included ("1er janvier").

Registered as a template builtin (settings.TEMPLATES), so it replaces Django's own ``date`` filter in
all templates, ours and the libraries', without a ``{% load %}``: a new template cannot forget it.
"""

from __future__ import annotations

from django import template

from participation import dates

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's ``date`` filter, through participation.dates."""
    if value in (None, ""):
        return ""
    try:
        return dates.date_format(value, arg)
    except AttributeError:
        try:
            return dates.plain_format(value, arg)
        except AttributeError:
            return ""
