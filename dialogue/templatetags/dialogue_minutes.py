"""The published minutes of a meeting, in templates, without a query when they were selected.

Lists and pages load `select_related("minutes")`; a meeting without minutes then raises
`RelatedObjectDoesNotExist` on `meeting.minutes`, which a template would treat as an undefined
variable. This filter turns that into None, and drafts into None too: a draft is never public.
"""

from __future__ import annotations

from django import template

from dialogue.models import Meeting, Minutes

register = template.Library()


@register.filter
def published_minutes(meeting: Meeting) -> Minutes | None:
    minutes = getattr(meeting, "minutes", None)  # RelatedObjectDoesNotExist is an AttributeError
    if minutes is not None and minutes.is_published:
        return minutes
    return None


@register.filter
def minutes_or_none(meeting: Meeting) -> Minutes | None:
    """The minutes whatever their status (staff pages), or None."""
    return getattr(meeting, "minutes", None)
