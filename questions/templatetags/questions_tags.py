"""Questions shown on pages of the apps below this one (a meeting page), without those apps
importing questions: the page's template asks for them."""

from __future__ import annotations

from django import template

from dialogue.models import Meeting, today_in_paris
from questions.selectors import public_questions_of

register = template.Library()


@register.inclusion_tag("questions/includes/qa_meeting_questions.html")
def meeting_questions(meeting: Meeting) -> dict:
    """The public questions asked at the meeting, in the order they were noted (one query)."""
    questions = public_questions_of(today=today_in_paris(), meeting=meeting)[::-1]
    return {"meeting": meeting, "asked_questions": questions}
