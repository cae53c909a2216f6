"""Words for sharing a meeting: the "invite a neighbour" message and the link preview's line.

The message carries the meeting's own link and nothing else: no campaign parameter, no code per
person. Whoever shares it sends it from their own phone; the server never learns to whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.utils.translation import gettext as _

from dialogue.emails import meeting_when
from dialogue.models import Meeting, MeetingMode


@dataclass(frozen=True)
class Invitation:
    text: str
    url: str

    @property
    def sms_href(self) -> str:
        """An `sms:` link with the message and no recipient (the phone asks for one).

        `sms:?&body=`: Android's messaging apps read the query (`?…`) and skip its empty first
        parameter; iOS (8 and later) looks for `&body=` and ignores the RFC 5724 form `sms:?body=`.
        The body is percent-encoded whole (spaces as %20, not "+", which some apps keep).
        """
        return "sms:?&body=" + quote(self.message, safe="")

    @property
    def message(self) -> str:
        """The text and its link, as sent."""
        return f"{self.text}\n{self.url}"


def meeting_place(meeting: Meeting) -> str:
    """Where, in one line: the venue and its address, or "online"; "" when not known yet."""
    if meeting.mode == MeetingMode.ONLINE:
        return _("online")
    return ", ".join(part for part in (meeting.venue, meeting.address) if part)


def invitation(meeting: Meeting, *, url: str) -> Invitation:
    """The message a resident sends to a neighbour, in the active language."""
    place = meeting_place(meeting)
    params = {"title": meeting.title, "when": meeting_when(meeting), "place": place}
    if place:
        text = _(
            "Hello! A meeting for the residents of the neighbourhood: “%(title)s”. "
            "It is on %(when)s. Place: %(place)s. Shall we go together? "
            "Everything is on this page:"
        )
    else:
        text = _(
            "Hello! A meeting for the residents of the neighbourhood: “%(title)s”. "
            "It is on %(when)s. Shall we go together? Everything is on this page:"
        )
    return Invitation(text=text % params, url=url)


def meeting_preview(meeting: Meeting) -> str:
    """The line under the title in a link preview: when, where and in which neighbourhood."""
    qpv = meeting.dialogue_space.qpv
    neighbourhood = f"{qpv.name} ({qpv.commune.name})"
    place = meeting_place(meeting)
    when = meeting_when(meeting)
    if place:
        return _("Meeting on %(when)s. Place: %(place)s. Neighbourhood: %(qpv)s.") % {
            "when": when,
            "place": place,
            "qpv": neighbourhood,
        }
    return _("Meeting on %(when)s. Neighbourhood: %(qpv)s.") % {
        "when": when,
        "qpv": neighbourhood,
    }
