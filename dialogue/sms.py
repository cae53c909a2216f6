"""The SMS of meetings: the confirmation code of a guest registered by mobile number, the seat
confirmed, waitlisted or freed, a change or cancellation, the reminder the day before.

Who gets an SMS (`number_for`): a guest at the number they gave (the reminder only if they ticked
it at registration); an account at the number of its contact preferences, when it chose SMS for
its meeting reminders (notifications.models.ContactPreference: that topic covers the reminder and
the last-minute changes). Each text is short and written in the GSM 7-bit alphabet (`gsm7`): what
residents type (a title with "ê", a venue with "’") is folded to its nearest GSM-7 letters, so a
reminder travels as one SMS of 160 characters, not as a UCS-2 text of 70.

The texts are rendered at once, in French, inside the caller's transaction, and handed to
`notifications.sms.queue_sms`, which writes the outbox row sent by Celery once it commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue import tokens
from dialogue.models import CODE_VALID_MINUTES, Meeting, Registration
from notifications.gsm import describe_length, gsm7
from notifications.models import ContactPreference, TextKind, Topic
from notifications.phones import normalise_mobile
from notifications.sms import queue_sms
from participation.dates import date_format
from participation.mail import absolute, in_french
from participation.text import shorten

SMS_DAY_FORMAT = "l j F"
SMS_TIME_FORMAT = r"G\hi"
# Room kept for what staff wrote: the title and the place are cut to these lengths, so that a
# reminder with the site's address and the meeting's link stays one SMS (160 characters).
TITLE_CHARS = 30
PLACE_CHARS = 48


def _preference(registration: Registration) -> ContactPreference:
    """The account's choices (loaded with `user__contact_preference`), or the defaults."""
    user = registration.user
    if user is None:
        return ContactPreference()
    try:
        return user.contact_preference
    except ContactPreference.DoesNotExist:
        return ContactPreference(user=user)


def number_for(registration: Registration, *, reminder: bool = False) -> str:
    """The mobile number to text about this registration, or "" (E.164 when there is one).

    A guest's number was given for last-minute changes (and, without an email, for everything);
    the reminder the day before goes only to those who ticked it. An account is texted when its
    contact preferences chose SMS for meeting reminders, with a number.
    """
    if registration.user_id is not None:
        preference = _preference(registration)
        number = preference.phone if preference.wants_sms(Topic.REMINDERS) else ""
    elif reminder and not registration.sms_reminders:
        number = ""
    else:
        number = registration.phone
    # Numbers given before they were checked may be landlines: those get no SMS.
    return (normalise_mobile(number) or "") if number else ""


def wants_email_reminder(registration: Registration) -> bool:
    """The reminder by email: to every address, except accounts that turned it off."""
    if not registration.email:
        return False
    if registration.user_id is None:
        return True
    return _preference(registration).email_reminders


def _shorten(text: str, limit: int) -> str:
    """The text, or its first words that fit with "..." (GSM 7-bit has no "…")."""
    return shorten(text, limit, ellipsis="...")


def _title(meeting: Meeting) -> str:
    return _shorten(meeting.title, TITLE_CHARS)


def _places(meeting: Meeting) -> list[str]:
    """Where, from the fullest to the shortest: the venue and its address, the venue alone, both
    cut (the meeting's page, linked, has the rest)."""
    full = ", ".join(part for part in (meeting.venue, meeting.address) if part)
    if not full:
        return [_("online") if meeting.is_online else ""]
    return list(dict.fromkeys([full, meeting.venue or full, _shorten(full, PLACE_CHARS)]))


def _with_place(template: str, meeting: Meeting, **params: str) -> str:
    """The text with the fullest place that costs no more SMS than the shortest one."""
    texts = [gsm7(template % {**params, "place": place}) for place in _places(meeting)]
    fewest = min(describe_length(text).segments for text in texts)
    return next(text for text in texts if describe_length(text).segments == fewest)


def _when(meeting: Meeting) -> str:
    start = timezone.localtime(meeting.starts_at)
    return _("%(day)s at %(time)s") % {
        "day": date_format(start, SMS_DAY_FORMAT),
        "time": date_format(start, SMS_TIME_FORMAT),
    }


def _send(
    number: str,
    text: str,
    *,
    topic: str,
    meeting: Meeting,
    expires_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Queue one SMS; about a meeting, it is not worth sending once the meeting has started
    (held at night, retried after a provider's outage...)."""
    queue_sms(
        phone=number,
        text=gsm7(text),
        topic=topic,
        meeting_id=meeting.pk,
        expires_at=expires_at or meeting.starts_at,
        dedupe_key=dedupe_key,
    )


@in_french
def registration_code(registration: Registration, *, code: str) -> None:
    """The code a guest registered by mobile number types on the confirmation page."""
    text = _(
        "Quartiers en dialogue: your code is %(code)s. Type it to confirm your registration "
        "(valid %(minutes)s min)."
    ) % {"code": code, "minutes": CODE_VALID_MINUTES}
    sent_at = registration.code_sent_at or timezone.now()
    _send(
        registration.phone,
        text,
        topic=TextKind.CODE,
        meeting=registration.meeting,
        expires_at=sent_at + timedelta(minutes=CODE_VALID_MINUTES),
    )


@in_french
def registration_confirmed(registration: Registration) -> None:
    meeting = registration.meeting
    text = _with_place(
        _("Registration confirmed: %(title)s, %(when)s, %(place)s. To cancel: %(link)s"),
        meeting,
        title=_title(meeting),
        when=_when(meeting),
        link=absolute(tokens.manage_path(registration)),
    )
    _send(registration.phone, text, topic=Topic.REMINDERS, meeting=meeting)


@in_french
def registration_waitlisted(registration: Registration) -> None:
    meeting = registration.meeting
    text = _(
        "%(title)s (%(when)s) is full: you are on the waiting list. We will text you if a seat "
        "frees up. To cancel: %(link)s"
    ) % {
        "title": _title(meeting),
        "when": _when(meeting),
        "link": absolute(tokens.manage_path(registration)),
    }
    _send(registration.phone, text, topic=Topic.REMINDERS, meeting=meeting)


@in_french
def registration_promoted(registration: Registration) -> None:
    meeting = registration.meeting
    text = _with_place(
        _(
            "A seat has freed up: you are registered for %(title)s, %(when)s, %(place)s. "
            "To cancel: %(link)s"
        ),
        meeting,
        title=_title(meeting),
        when=_when(meeting),
        link=absolute(tokens.manage_path(registration)),
    )
    _send(registration.phone, text, topic=Topic.REMINDERS, meeting=meeting)


@in_french
def meeting_changed(meeting: Meeting, *, numbers: list[str]) -> None:
    """The new time and place, to each number (one SMS per number: a number with two seats at
    the meeting, a family's phone, hears it once)."""
    text = _with_place(
        _("Change: %(title)s now takes place %(when)s, %(place)s. %(link)s"),
        meeting,
        title=_title(meeting),
        when=_when(meeting),
        link=absolute(meeting.get_absolute_url()),
    )
    for number in dict.fromkeys(numbers):
        _send(number, text, topic=Topic.REMINDERS, meeting=meeting)


@in_french
def meeting_cancelled(meeting: Meeting, *, numbers: list[str]) -> None:
    text = _("Cancelled: %(title)s of %(when)s will not take place. %(link)s") % {
        "title": _title(meeting),
        "when": _when(meeting),
        "link": absolute(meeting.get_absolute_url()),
    }
    for number in dict.fromkeys(numbers):
        _send(number, text, topic=Topic.REMINDERS, meeting=meeting)


@in_french
def meeting_reminder(registration: Registration, *, number: str) -> None:
    """The day before: time, place and the meeting's page. Once per registration (dedupe key)."""
    meeting = registration.meeting
    start = timezone.localtime(meeting.starts_at)
    text = _with_place(
        _("Reminder: %(title)s tomorrow at %(time)s, %(place)s. %(link)s"),
        meeting,
        title=_title(meeting),
        time=date_format(start, SMS_TIME_FORMAT),
        link=absolute(meeting.get_absolute_url()),
    )
    _send(
        number,
        text,
        topic=Topic.REMINDERS,
        meeting=meeting,
        dedupe_key=f"dialogue.reminder:{registration.pk}:{meeting.starts_at.isoformat()}",
    )
