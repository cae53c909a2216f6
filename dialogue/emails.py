"""The emails of meetings and follows, always in French, each with a plain-text part and HTML.

Every function renders its messages at once (inside the caller's transaction, so they show the state
being saved) and hands them to `queue_email`, which sends them through Celery once the transaction
commits: a rolled-back registration sends nothing, and a mail server that is down is retried by the
task without touching the registration.

Templates live in templates/dialogue/emails/<name>.txt and .html; their msgids are English, and
`translation.override("fr")` picks the French catalogue whatever the language of the request that
triggered the email (a resident browsing in English still gets the French email of the portal).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dialogue import tokens
from dialogue.calendar import meeting_ics
from dialogue.models import Meeting, MeetingStatus, Registration, RegistrationStatus
from participation.mail import OutgoingEmail, queue_email

PARIS = ZoneInfo("Europe/Paris")
# French formats, spelled out: "jeudi 3 décembre 2026", "18 h 00" (day and month names come from
# Django's own French catalogue under override("fr")).
DAY_FORMAT = "l j F Y"
TIME_FORMAT = r"G \h i"
ICS_FILENAME = "rencontre.ics"
ICS_MIMETYPE = "text/calendar"
# A first digest covers at most the last week: following a QPV after months of activity should
# not start with a flood (the QPV page already showed the upcoming meetings).
FIRST_DIGEST_LOOKBACK = timedelta(days=7)

P = ParamSpec("P")
R = TypeVar("R")


def in_french(function: Callable[P, R]) -> Callable[P, R]:
    """Run in French and Paris time, whatever the request or the worker had activated."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override("fr"), timezone.override(PARIS):
            return function(*args, **kwargs)

    return wrapper


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def meeting_when(meeting: Meeting) -> str:
    """ "jeudi 3 décembre 2026 de 18 h 00 à 20 h 00", in the active language and time zone."""
    start = timezone.localtime(meeting.starts_at)
    end = timezone.localtime(meeting.ends_at)
    if start.date() == end.date():
        return _("%(day)s from %(start)s to %(end)s") % {
            "day": date_format(start, DAY_FORMAT),
            "start": date_format(start, TIME_FORMAT),
            "end": date_format(end, TIME_FORMAT),
        }
    return _("from %(start_day)s at %(start)s to %(end_day)s at %(end)s") % {
        "start_day": date_format(start, DAY_FORMAT),
        "start": date_format(start, TIME_FORMAT),
        "end_day": date_format(end, DAY_FORMAT),
        "end": date_format(end, TIME_FORMAT),
    }


def _meeting_context(meeting: Meeting) -> dict:
    space = meeting.dialogue_space
    return {
        "meeting": meeting,
        "when": meeting_when(meeting),
        "place": ", ".join(part for part in (meeting.venue, meeting.address) if part),
        "meeting_url": absolute(meeting.get_absolute_url()),
        "space": space,
        "qpv": space.qpv,
        "host": space.host_organisation,
    }


def _registration_context(registration: Registration, meeting_context: dict) -> dict:
    meeting = meeting_context["meeting"]
    return {
        **meeting_context,
        "registration": registration,
        "name": registration.name,
        "manage_url": absolute(tokens.manage_path(registration)),
        # The online link goes to people with a seat only, not to the waiting list.
        "online_url": (
            meeting.online_url
            if meeting.is_online and registration.status == RegistrationStatus.CONFIRMED
            else ""
        ),
    }


_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")


def _tidy(text: str) -> str:
    """Template tags leave blank lines behind; a plain-text email keeps at most one in a row."""
    text = _TRAILING_SPACES.sub("\n", text.replace("\r\n", "\n"))
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


def _email(
    name: str,
    *,
    subject: str,
    to: str,
    context: dict,
    attachments: Iterable[tuple[str, str, str]] = (),
    headers: dict[str, str] | None = None,
) -> OutgoingEmail:
    context = {**context, "subject": subject, "site_url": settings.SITE_URL}
    return OutgoingEmail(
        subject=subject,
        body=_tidy(render_to_string(f"dialogue/emails/{name}.txt", context)),
        html=render_to_string(f"dialogue/emails/{name}.html", context),
        to=[to],
        headers=headers or {},
        attachments=list(attachments),
    )


def _ics_attachment(meeting: Meeting) -> tuple[str, str, str]:
    # OutgoingEmail travels through the broker as JSON: the calendar goes as text.
    return (ICS_FILENAME, meeting_ics(meeting).decode("utf-8"), ICS_MIMETYPE)


# Registrations ------------------------------------------------------------------------------------


@in_french
def guest_confirmation_link(registration: Registration) -> None:
    """To a guest: the link (valid 7 days) that makes the registration count."""
    meeting = registration.meeting
    context = _registration_context(registration, _meeting_context(meeting))
    context["confirm_url"] = absolute(tokens.confirm_path(registration))
    context["valid_days"] = tokens.CONFIRM_MAX_AGE.days
    queue_email(
        _email(
            "guest_confirmation_link",
            subject=_("Confirm your registration: %(title)s") % {"title": meeting.title},
            to=registration.email,
            context=context,
        )
    )


@in_french
def registration_confirmed(registration: Registration) -> None:
    meeting = registration.meeting
    queue_email(
        _email(
            "registration_confirmed",
            subject=_("Registration confirmed: %(title)s") % {"title": meeting.title},
            to=registration.email,
            context=_registration_context(registration, _meeting_context(meeting)),
            attachments=[_ics_attachment(meeting)],
        )
    )


@in_french
def registration_waitlisted(registration: Registration) -> None:
    meeting = registration.meeting
    queue_email(
        _email(
            "registration_waitlisted",
            subject=_("Waiting list: %(title)s") % {"title": meeting.title},
            to=registration.email,
            context=_registration_context(registration, _meeting_context(meeting)),
        )
    )


@in_french
def registration_promoted(registration: Registration) -> None:
    """A seat freed up and the waiting list moved: this person now has a seat."""
    meeting = registration.meeting
    queue_email(
        _email(
            "registration_promoted",
            subject=_("A seat has freed up: you are registered for %(title)s")
            % {"title": meeting.title},
            to=registration.email,
            context=_registration_context(registration, _meeting_context(meeting)),
            attachments=[_ics_attachment(meeting)],
        )
    )


# Changes to a meeting -----------------------------------------------------------------------------


@in_french
def meeting_changed(meeting: Meeting, *, changes: list[str]) -> int:
    """Tell everyone holding a place (confirmed or waitlisted) the new time or place.

    `changes` are human-readable lines ("Start", "Venue"...), listed in the email. Pending guests
    are not told: they have not confirmed yet, and the link they will open shows the meeting as it
    is now. Confirmed people get the updated .ics (same UID), which updates their calendar entry.
    One email per person: registrants never see each other's address.
    """
    meeting_context = {**_meeting_context(meeting), "changes": changes}
    registrations = list(meeting.registrations.holding_a_place())
    for registration in registrations:
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        queue_email(
            _email(
                "meeting_changed",
                subject=_("Change to the meeting: %(title)s") % {"title": meeting.title},
                to=registration.email,
                context=_registration_context(registration, meeting_context),
                attachments=[_ics_attachment(meeting)] if confirmed else [],
            )
        )
    return len(registrations)


@in_french
def meeting_cancelled(meeting: Meeting) -> int:
    """Tell every active registrant, pending guests included, that the meeting will not happen.

    Pending guests are told too: they asked for a seat and may come anyway, having lost the
    confirmation email. Call this before the registrations themselves are cancelled (if they ever
    are), since the recipients are the active registrations at the time of the call. Confirmed
    people get the .ics marked CANCELLED, which removes or strikes the event in their calendar.
    """
    meeting_context = {
        **_meeting_context(meeting),
        "agenda_url": absolute(meeting.dialogue_space.qpv.get_absolute_url()),
    }
    registrations = list(meeting.registrations.active())
    for registration in registrations:
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        queue_email(
            _email(
                "meeting_cancelled",
                subject=_("Meeting cancelled: %(title)s") % {"title": meeting.title},
                to=registration.email,
                context=_registration_context(registration, meeting_context),
                attachments=[_ics_attachment(meeting)]
                if confirmed and meeting.is_cancelled
                else [],
            )
        )
    return len(registrations)


# Scheduled: reminders and digests ----------------------------------------------------------------


def _paris_day_bounds(day) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=PARIS)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=PARIS)
    return start, end


@in_french
@transaction.atomic
def send_meeting_reminders(*, now: datetime | None = None) -> int:
    """Remind every confirmed registrant of a planned meeting that starts tomorrow (Paris date).

    Idempotent: `reminder_sent_at` is set in the same transaction that queues the emails, and the
    rows are locked (skipping rows locked by a concurrent run), so running twice sends once.
    """
    now = now or timezone.now()
    tomorrow = timezone.localtime(now, PARIS).date() + timedelta(days=1)
    start, end = _paris_day_bounds(tomorrow)
    registrations = list(
        Registration.objects.filter(
            status=RegistrationStatus.CONFIRMED,
            reminder_sent_at__isnull=True,
            meeting__status=MeetingStatus.PLANNED,
            meeting__starts_at__gte=start,
            meeting__starts_at__lt=end,
        )
        .select_related(
            "meeting__dialogue_space__qpv__commune", "meeting__dialogue_space__host_organisation"
        )
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("meeting__starts_at", "pk")
    )
    meeting_contexts: dict[int, dict] = {}
    for registration in registrations:
        meeting = registration.meeting
        if meeting.pk not in meeting_contexts:
            meeting_contexts[meeting.pk] = _meeting_context(meeting)
        queue_email(
            _email(
                "meeting_reminder",
                subject=_("Reminder: %(title)s tomorrow") % {"title": meeting.title},
                to=registration.email,
                context=_registration_context(registration, meeting_contexts[meeting.pk]),
            )
        )
    Registration.objects.filter(pk__in=[r.pk for r in registrations]).update(reminder_sent_at=now)
    return len(registrations)


@in_french
@transaction.atomic
def send_follow_digests(*, now: datetime | None = None) -> int:
    """One weekly email per follower: the upcoming meetings of their QPV published since the last.

    A meeting is "new" for a follow when it was created after the follow's last digest (or, for a
    first digest, after the later of the follow's creation and a week ago). Nothing is sent to a
    follower with nothing new. Two queries whatever the number of followers and meetings: the
    follows (with users and QPV), then every candidate meeting, shared out in Python.
    Returns the number of emails queued.
    """
    from qpv.models import Follow
    from qpv.services import follow_unsubscribe_path

    now = now or timezone.now()
    follows = list(
        Follow.objects.filter(user__is_active=True)
        .select_related("user", "qpv")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("user_id", "qpv__name")
    )
    if not follows:
        return 0

    def since(follow: Follow) -> datetime:
        return follow.last_digest_at or max(follow.created_at, now - FIRST_DIGEST_LOOKBACK)

    meetings_by_qpv: dict[int, list[Meeting]] = defaultdict(list)
    meetings = (
        Meeting.objects.public()
        .filter(
            status=MeetingStatus.PLANNED,
            starts_at__gt=now,
            dialogue_space__qpv_id__in={follow.qpv_id for follow in follows},
            created_at__gt=min(since(follow) for follow in follows),
            # Later meetings belong to the next digest: last_digest_at is set to `now` below.
            created_at__lte=now,
        )
        .with_place()
        .order_by("starts_at", "pk")
    )
    for meeting in meetings:
        meetings_by_qpv[meeting.dialogue_space.qpv_id].append(meeting)

    by_user: dict[int, list[Follow]] = defaultdict(list)
    for follow in follows:
        by_user[follow.user_id].append(follow)

    sent = 0
    for user_follows in by_user.values():
        sections = []
        for follow in user_follows:
            new = [m for m in meetings_by_qpv[follow.qpv_id] if m.created_at > since(follow)]
            if new:
                sections.append(
                    {
                        "follow_pk": follow.pk,
                        "qpv": follow.qpv,
                        "qpv_url": absolute(follow.qpv.get_absolute_url()),
                        "meetings": [
                            {
                                "meeting": m,
                                "when": meeting_when(m),
                                "url": absolute(m.get_absolute_url()),
                            }
                            for m in new
                        ],
                        "unsubscribe_url": absolute(follow_unsubscribe_path([follow.pk])),
                    }
                )
        if not sections:
            continue
        user = user_follows[0].user
        # The header unsubscribes from every QPV of this digest; each section's link from one.
        all_url = absolute(follow_unsubscribe_path([section["follow_pk"] for section in sections]))
        if len(sections) == 1:
            subject = _("New meetings — %(qpv)s") % {"qpv": sections[0]["qpv"].name}
        else:
            subject = _("New meetings in the neighbourhoods you follow")
        queue_email(
            _email(
                "follow_digest",
                subject=subject,
                to=user.email,
                context={
                    "name": user.full_name,
                    "sections": sections,
                    "unsubscribe_url": all_url,
                },
                headers={
                    "List-Unsubscribe": f"<{all_url}>",
                    # RFC 8058: mail providers may unsubscribe with a POST, no page to click.
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
        )
        sent += 1
    Follow.objects.filter(pk__in=[follow.pk for follow in follows]).update(last_digest_at=now)
    return sent
