"""Sharing a meeting from its page: the invitation to a neighbour and the link preview's line
(dialogue.sharing writes both)."""

from __future__ import annotations

from django import template

from dialogue import sharing
from dialogue.models import Meeting

register = template.Library()


@register.simple_tag(takes_context=True)
def meeting_invitation(context: template.Context, meeting: Meeting) -> sharing.Invitation:
    """The invitation, with the meeting's absolute link as the request reached us."""
    url = context["request"].build_absolute_uri(meeting.get_absolute_url())
    return sharing.invitation(meeting, url=url)


@register.simple_tag
def meeting_preview(meeting: Meeting) -> str:
    return sharing.meeting_preview(meeting)
