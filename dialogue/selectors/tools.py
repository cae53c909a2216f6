"""The tools of a meeting, in one place on its staff page ("Outils de la rencontre").

Each tool is offered to whoever holds its permission on the meeting (dialogue/rules.py), and only
while it makes sense for the meeting's state: none for a cancelled meeting; before its opening, a
tool is listed without a link, with the moment it opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from dialogue.models import Meeting
from dialogue.services.attendance import checkin_opens_at
from dialogue.services.feedback import feedback_deadline
from dialogue.services.speaking import tracker_opens_at
from participation.dates import date_format
from participation.models import User


@dataclass(frozen=True)
class Tool:
    name: str
    label: str
    icon: str
    url: str
    # Why there is no link yet (or any more), in French: "Ouvre le jour de la rencontre…".
    hint: str = ""

    @property
    def available(self) -> bool:
        return not self.hint


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return _("%(day)s at %(time)s") % {
        "day": date_format(local, "l j F Y"),
        "time": time_format(local),
    }


def _opens(moment: datetime, now: datetime, text: str) -> str:
    return text % {"when": _when(moment)} if now < moment else ""


def meeting_tools(
    user: User | AnonymousUser, meeting: Meeting, *, now: datetime | None = None
) -> list[Tool]:
    """The tools `user` may use on `meeting`, in the order of the meeting's life."""
    if meeting.is_cancelled:
        return []
    now = now or timezone.now()
    pk = meeting.pk
    tools: list[Tool] = []
    if user.has_perm("dialogue.manage_meeting", meeting):
        tools.append(
            Tool(
                "poster",
                _("Poster (PDF)"),
                "bi-file-earmark-richtext",
                reverse("dialogue:meeting_poster", args=[pk]),
                _("The meeting is over: no poster to put up.") if meeting.has_ended else "",
            )
        )
    personal = user.has_perm("dialogue.view_personal_data", meeting)
    if personal:
        tools.append(
            Tool(
                "registrants",
                _("Registrants"),
                "bi-person-lines-fill",
                reverse("dialogue:meeting_registrations", args=[pk]),
            )
        )
        tools.append(
            Tool(
                "signin_sheet",
                _("Sign-in sheet (PDF)"),
                "bi-pen",
                reverse("dialogue:meeting_signin_sheet", args=[pk]),
            )
        )
    if not user.has_perm("dialogue.log_meeting", meeting):
        return tools
    tools.append(
        Tool(
            "checkin",
            _("Check-in"),
            "bi-person-check",
            reverse("dialogue:checkin", args=[pk]),
            _opens(
                checkin_opens_at(meeting),
                now,
                _("Opens on the day of the meeting, two hours before the start: %(when)s."),
            ),
        )
    )
    tools.append(
        Tool(
            "tracker",
            _("Speaking time"),
            "bi-stopwatch",
            reverse("dialogue:tracker", args=[pk]),
            _opens(
                tracker_opens_at(meeting),
                now,
                _("Opens on the day of the meeting, two hours before the start: %(when)s."),
            ),
        )
    )
    tools.append(
        Tool(
            "minutes",
            _("Minutes"),
            "bi-journal-text",
            reverse("dialogue:minutes_edit", args=[pk]),
            _opens(meeting.starts_at, now, _("Opens when the meeting starts: %(when)s.")),
        )
    )
    feedback_hint = _opens(meeting.starts_at, now, _("Opens when the meeting starts: %(when)s."))
    if not feedback_hint and now > feedback_deadline(meeting):
        feedback_hint = _("Closed: residents could answer until %(when)s.") % {
            "when": _when(feedback_deadline(meeting))
        }
    tools.append(
        Tool(
            "feedback",
            _("Feedback (QR code to answer on the spot)"),
            "bi-qr-code",
            reverse("dialogue:feedback_qr", args=[pk]),
            feedback_hint,
        )
    )
    return tools
