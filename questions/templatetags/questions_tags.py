"""Questions shown on pages of the apps below this one (a meeting page), without those apps
importing questions: the page's template asks for them."""

from __future__ import annotations

import math

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialogue.models import Meeting, today_in_paris
from questions.selectors import public_questions_of

register = template.Library()


@register.inclusion_tag("questions/includes/qa_meeting_questions.html")
def meeting_questions(meeting: Meeting) -> dict:
    """The public questions asked at the meeting, in the order they were noted (one query)."""
    questions = public_questions_of(today=today_in_paris(), meeting=meeting)[::-1]
    return {"meeting": meeting, "asked_questions": questions}


@register.filter
def answer_delay(days: float | None) -> str:
    """A delay of answer of the transparency figures, in words: never a bare "0" or a missing value.

    `{{ figures.median_delay_days|answer_delay }}`: "le jour même", "moins d'un jour",
    "2,5 jours ou moins", "pas encore de réponse".
    """
    if days is None:
        return _("no answer yet")
    if days == 0:
        return _("the same day")
    if days < 1:
        return _("less than a day")
    shown = number_format(days, decimal_pos=0 if days == int(days) else 1)
    return ngettext("%(days)s day or less", "%(days)s days or less", math.ceil(days)) % {
        "days": shown
    }
