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

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue import sms, tokens
from dialogue.calendar import meeting_ics
from dialogue.models import Meeting, MeetingStatus, Registration, RegistrationStatus
from notifications.models import Topic
from notifications.services import UNSUBSCRIBE_REASONS, email_unsubscribe_path
from participation.dates import date_format
from participation.mail import PARIS, OutgoingEmail, absolute, in_french, queue_email, render_email
from qpv.markdown import excerpt

# French formats, spelled out: "jeudi 3 décembre 2026", "18 h 00" (day and month names come from
# Django's own French catalogue under override("fr")).
DAY_FORMAT = "l j F Y"
TIME_FORMAT = r"G \h i"
ICS_FILENAME = "rencontre.ics"
ICS_MIMETYPE = "text/calendar"
# A first digest covers at most the last week: following a QPV after months of activity should
# not start with a flood (the QPV page already showed the upcoming meetings).
FIRST_DIGEST_LOOKBACK = timedelta(days=7)


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


def _email(
    name: str,
    *,
    subject: str,
    to: str,
    context: dict,
    attachments: Iterable[tuple[str, str, str]] = (),
    unsubscribe_url: str = "",
) -> OutgoingEmail:
    return render_email(
        f"dialogue/emails/{name}",
        subject=subject,
        to=to,
        context=context,
        attachments=attachments,
        unsubscribe_url=unsubscribe_url,
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


def _numbers(registrations: list[Registration]) -> list[str]:
    """The mobile numbers to text about a change, in the order of the registrations."""
    return [number for registration in registrations if (number := sms.number_for(registration))]


@in_french
def meeting_changed(meeting: Meeting, *, changes: list[str]) -> int:
    """Tell everyone holding a place (confirmed or waitlisted) the new time or place.

    `changes` are human-readable lines ("Start", "Venue"...), listed in the email. Pending guests
    are not told: they have not confirmed yet, and the link they will open shows the meeting as it
    is now. Confirmed people get the updated .ics (same UID), which updates their calendar entry.
    One email per person: registrants never see each other's address. Those who gave a mobile
    number for last-minute changes (or chose SMS for their meeting reminders) get an SMS too
    (dialogue.sms.number_for); a guest registered by number only gets the SMS alone.
    Returns the number of people told.
    """
    meeting_context = {**_meeting_context(meeting), "changes": changes}
    registrations = list(
        meeting.registrations.holding_a_place().select_related("user__contact_preference")
    )
    sms.meeting_changed(meeting, numbers=_numbers(registrations))
    for registration in registrations:
        if not registration.email:
            continue
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
    The numbers of `meeting_changed` get an SMS too.
    """
    meeting_context = {
        **_meeting_context(meeting),
        "agenda_url": absolute(meeting.dialogue_space.qpv.get_absolute_url()),
    }
    registrations = list(meeting.registrations.active().select_related("user__contact_preference"))
    sms.meeting_cancelled(meeting, numbers=_numbers(registrations))
    for registration in registrations:
        if not registration.email:
            continue
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

    By email (except accounts that turned the email reminder off) and, for those who chose it, by
    SMS (dialogue.sms.number_for: accounts per their contact preferences, guests who ticked it at
    registration): one of each at most per registration. Idempotent: `reminder_sent_at` is set in
    the same transaction that queues the messages, and the rows are locked (skipping rows locked
    by a concurrent run), so running twice sends once; the SMS carry a deduplication key besides.
    Returns the number of registrations reminded (by email, SMS or both).
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
            "meeting__dialogue_space__qpv__commune",
            "meeting__dialogue_space__host_organisation",
            "user__contact_preference",
        )
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("meeting__starts_at", "pk")
    )
    meeting_contexts: dict[int, dict] = {}
    reminded = 0
    for registration in registrations:
        meeting = registration.meeting
        by_email = sms.wants_email_reminder(registration)
        number = sms.number_for(registration, reminder=True)
        if number:
            sms.meeting_reminder(registration, number=number)
        if by_email:
            if meeting.pk not in meeting_contexts:
                meeting_contexts[meeting.pk] = _meeting_context(meeting)
            context = _registration_context(registration, meeting_contexts[meeting.pk])
            # An account chose the reminder in its contact preferences, and may stop it here.
            unsubscribe_url = ""
            if registration.user_id is not None:
                unsubscribe_url = absolute(
                    email_unsubscribe_path(user_id=registration.user_id, topic=Topic.REMINDERS)
                )
                context["unsubscribe_reason"] = UNSUBSCRIBE_REASONS[Topic.REMINDERS]
            queue_email(
                _email(
                    "meeting_reminder",
                    subject=_("Reminder: %(title)s tomorrow") % {"title": meeting.title},
                    to=registration.email,
                    context=context,
                    unsubscribe_url=unsubscribe_url,
                )
            )
        reminded += bool(number or by_email)
    # Every row is marked, reminded or not (an account that turned both off): it was decided.
    Registration.objects.filter(pk__in=[r.pk for r in registrations]).update(reminder_sent_at=now)
    return reminded


@in_french
@transaction.atomic
def send_follow_digests(*, now: datetime | None = None) -> int:
    """One weekly email per follower: what is new in their QPV since the last digest.

    New for a follow: the upcoming meetings of its QPV created, and the news of its QPV published,
    after the follow's last digest (or, for a first digest, after the later of the follow's
    creation and a week ago). The metropole-wide news published since the earliest of these go
    once in each follower's email, in a section of their own. Nothing is sent to a follower with
    nothing new. Three queries whatever the number of followers, meetings and news: the follows
    (with users and QPV), the candidate meetings, the candidate news, shared out in Python.
    Returns the number of emails queued.
    """
    from qpv.models import Follow, NewsItem
    from qpv.services.follows import follow_unsubscribe_path

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

    followed_qpv_ids = {follow.qpv_id for follow in follows}
    earliest = min(since(follow) for follow in follows)
    meetings_by_qpv: dict[int, list[Meeting]] = defaultdict(list)
    meetings = (
        Meeting.objects.public()
        .filter(
            status=MeetingStatus.PLANNED,
            starts_at__gt=now,
            dialogue_space__qpv_id__in=followed_qpv_ids,
            created_at__gt=earliest,
            # Later meetings belong to the next digest: last_digest_at is set to `now` below.
            created_at__lte=now,
        )
        .with_place()
        .order_by("starts_at", "pk")
    )
    for meeting in meetings:
        meetings_by_qpv[meeting.dialogue_space.qpv_id].append(meeting)

    # News published in the window (a scheduled item reaches the digest after its publication).
    news_by_qpv: dict[int | None, list[NewsItem]] = defaultdict(list)
    news_items = (
        NewsItem.objects.published(now=now)
        .filter(Q(qpv_id__in=followed_qpv_ids) | Q(qpv__isnull=True), published_at__gt=earliest)
        .order_by("-published_at", "-pk")
    )
    for item in news_items:
        news_by_qpv[item.qpv_id].append(item)

    def news_entries(items: list[NewsItem]) -> list[dict]:
        return [
            {
                "news": item,
                "date": date_format(timezone.localtime(item.published_at), DAY_FORMAT),
                "url": absolute(item.get_absolute_url()),
                # Plain text, each block ending its sentence (qpv.markdown.excerpt).
                "excerpt": excerpt(item.body_html, 40),
            }
            for item in items
        ]

    by_user: dict[int, list[Follow]] = defaultdict(list)
    for follow in follows:
        by_user[follow.user_id].append(follow)

    sent = 0
    for user_follows in by_user.values():
        sections: list[dict[str, Any]] = []
        for follow in user_follows:
            new = [m for m in meetings_by_qpv[follow.qpv_id] if m.created_at > since(follow)]
            # Published news have their date (published_at).
            news = [n for n in news_by_qpv[follow.qpv_id] if n.published_at > since(follow)]  # type: ignore[operator]
            if new or news:
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
                        "news": news_entries(news),
                        "unsubscribe_url": absolute(follow_unsubscribe_path([follow.pk])),
                    }
                )
        user_since = min(since(follow) for follow in user_follows)
        metropole_news = news_entries(
            [n for n in news_by_qpv[None] if n.published_at > user_since]  # type: ignore[operator]  # idem
        )
        if not sections and not metropole_news:
            continue
        user = user_follows[0].user
        # The header unsubscribes from every QPV of this digest; each section's link from one.
        all_url = absolute(follow_unsubscribe_path([follow.pk for follow in user_follows]))
        has_news = bool(metropole_news) or any(section["news"] for section in sections)
        has_meetings = any(section["meetings"] for section in sections)
        if len(sections) == 1 and not metropole_news:
            qpv_name = {"qpv": sections[0]["qpv"].name}
            if has_meetings and has_news:
                subject = _("New meetings and news — %(qpv)s") % qpv_name
            elif has_news:
                subject = _("News — %(qpv)s") % qpv_name
            else:
                subject = _("New meetings — %(qpv)s") % qpv_name
        elif has_news:
            subject = _("What is new in the neighbourhoods you follow")
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
                    "metropole_news": metropole_news,
                    "has_meetings": has_meetings,
                    "has_news": has_news,
                },
                unsubscribe_url=all_url,
            )
        )
        sent += 1
    Follow.objects.filter(pk__in=[follow.pk for follow in follows]).update(last_digest_at=now)
    return sent


# Minutes: thanks to the attendees, news to the followers, reminders to the staff ------------------

# Staff are reminded of minutes still unpublished a week after the meeting; meetings older than the
# window are left alone, so that turning the reminders on does not email about years of history.
MINUTES_REMINDER_AFTER = timedelta(days=7)
MINUTES_REMINDER_WINDOW = timedelta(days=60)


def _minutes_context(minutes, meeting_context: dict, *, now: datetime | None = None) -> dict:
    from django.urls import reverse

    meeting = meeting_context["meeting"]
    next_meeting = Meeting.objects.next_of_space(meeting, now=now)
    return {
        **meeting_context,
        "minutes": minutes,
        "qpv_url": absolute(meeting.dialogue_space.qpv.get_absolute_url()),
        "minutes_url": absolute(reverse("dialogue:minutes", kwargs={"pk": meeting.pk})),
        "attachment_url": (
            absolute(reverse("dialogue:minutes_attachment", kwargs={"pk": meeting.pk}))
            if minutes.attachment
            else ""
        ),
        "next_meeting": (
            {
                "meeting": next_meeting,
                "when": meeting_when(next_meeting),
                "place": ", ".join(p for p in (next_meeting.venue, next_meeting.address) if p),
                "url": absolute(next_meeting.get_absolute_url()),
            }
            if next_meeting
            else None
        ),
    }


def minutes_recipients(meeting: Meeting) -> tuple[list[Registration], list]:
    """Who receives published minutes: the attendees with an email, then the QPV's followers who
    were not there. One entry per address (two queries): nobody gets the minutes twice.
    """
    from qpv.models import Follow

    seen: set[str] = set()
    attendees = []
    registrations = meeting.registrations.filter(attended=True).exclude(email="").order_by("pk")
    for registration in registrations:
        address = registration.email.lower()
        if address not in seen:
            seen.add(address)
            attendees.append(registration)
    followers = []
    follows = (
        Follow.objects.filter(qpv_id=meeting.dialogue_space.qpv_id, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    for follow in follows:
        address = follow.user.email.lower()
        if address not in seen:
            seen.add(address)
            followers.append(follow)
    return attendees, followers


@in_french
def minutes_published(minutes, *, now: datetime | None = None) -> int:
    """The minutes are public: thank the attendees (with the next meeting of the space) and tell the
    followers of the QPV. Returns the number of emails queued (one per address).
    """
    from qpv.services.follows import follow_unsubscribe_path

    meeting = minutes.meeting
    context = _minutes_context(minutes, _meeting_context(meeting), now=now)
    attendees, follows = minutes_recipients(meeting)
    for registration in attendees:
        queue_email(
            _email(
                "minutes_attendee",
                subject=_("Thank you for coming: the minutes of %(title)s")
                % {"title": meeting.title},
                to=registration.email,
                context={**context, "name": registration.name},
            )
        )
    for follow in follows:
        unsubscribe_url = absolute(follow_unsubscribe_path([follow.pk]))
        queue_email(
            _email(
                "minutes_follower",
                subject=_("New minutes published — %(qpv)s") % {"qpv": context["qpv"].name},
                to=follow.user.email,
                context={
                    **context,
                    "name": follow.user.full_name,
                },
                unsubscribe_url=unsubscribe_url,
            )
        )
    return len(attendees) + len(follows)


def _minutes_staff(meetings: list[Meeting]) -> dict[int, dict]:
    """The staff to remind, by user: facilitators of each meeting's space or QPV and referents of
    its commune, with the meetings that concern each of them. One query for all the meetings.
    """
    from django.db.models import Q

    from participation.models import RoleAssignment
    from participation.roles import Role

    space_ids = {meeting.dialogue_space_id for meeting in meetings}
    qpv_ids = {meeting.dialogue_space.qpv_id for meeting in meetings}
    commune_ids = {meeting.dialogue_space.qpv.commune_id for meeting in meetings}
    rows = (
        RoleAssignment.objects.filter(user__is_active=True)
        .filter(
            Q(role=Role.FACILITATOR, dialogue_space_id__in=space_ids)
            | Q(role=Role.FACILITATOR, qpv_id__in=qpv_ids)
            | Q(role=Role.REFERENT, commune_id__in=commune_ids)
        )
        .values_list(
            "user_id",
            "user__email",
            "user__full_name",
            "role",
            "dialogue_space_id",
            "qpv_id",
            "commune_id",
        )
        .order_by("user__email", "pk")
    )
    staff: dict[int, dict] = {}
    for user_id, email, full_name, role, space_id, qpv_id, commune_id in rows:
        person = staff.setdefault(user_id, {"email": email, "name": full_name, "meetings": []})
        for meeting in meetings:
            space = meeting.dialogue_space
            concerned = (
                space.qpv.commune_id == commune_id
                if role == Role.REFERENT
                else space.pk == space_id or space.qpv_id == qpv_id
            )
            if concerned and meeting not in person["meetings"]:
                person["meetings"].append(meeting)
    return staff


@in_french
@transaction.atomic
def send_minutes_reminders(*, now: datetime | None = None) -> int:
    """Remind the staff of each held meeting whose minutes are still unpublished a week later.

    One reminder per meeting (`minutes_reminder_sent_at`, set in the transaction that queues the
    emails, rows locked and skipped by a concurrent run), and one email per staff member listing
    all their meetings concerned. Three queries whatever the numbers of meetings and staff.
    Returns the number of emails queued.
    """
    from django.urls import reverse
    from django.utils.translation import ngettext

    from dialogue.models import MinutesStatus

    now = now or timezone.now()
    meetings = list(
        Meeting.objects.public()
        .filter(
            status=MeetingStatus.HELD,
            starts_at__lt=now - MINUTES_REMINDER_AFTER,
            starts_at__gte=now - MINUTES_REMINDER_WINDOW,
            minutes_reminder_sent_at__isnull=True,
        )
        .exclude(minutes__status=MinutesStatus.PUBLISHED)
        .with_place()
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("starts_at", "pk")
    )
    if not meetings:
        return 0
    sent = 0
    for person in _minutes_staff(meetings).values():
        items = [
            {
                "meeting": meeting,
                "when": meeting_when(meeting),
                "edit_url": absolute(reverse("dialogue:minutes_edit", kwargs={"pk": meeting.pk})),
            }
            for meeting in person["meetings"]
        ]
        if len(items) == 1:
            subject = _("Minutes to publish: %(title)s") % {"title": items[0]["meeting"].title}
        else:
            subject = ngettext(
                "%(count)s meeting awaits its minutes",
                "%(count)s meetings await their minutes",
                len(items),
            ) % {"count": len(items)}
        queue_email(
            _email(
                "minutes_reminder",
                subject=subject,
                to=person["email"],
                context={"name": person["name"], "items": items},
            )
        )
        sent += 1
    Meeting.objects.filter(pk__in=[meeting.pk for meeting in meetings]).update(
        minutes_reminder_sent_at=now
    )
    return sent


# After a meeting: the anonymous survey; months later, the come-back invitation -------------------


def _next_meeting_context(meeting: Meeting, *, now: datetime) -> dict | None:
    """The next planned meeting of the same space, with what the email shows of it."""
    next_meeting = Meeting.objects.next_of_space(meeting, now=now)
    if next_meeting is None:
        return None
    return {
        "meeting": next_meeting,
        "when": meeting_when(next_meeting),
        "place": ", ".join(part for part in (next_meeting.venue, next_meeting.address) if part),
        "meeting_url": absolute(next_meeting.get_absolute_url()),
    }


@in_french
def feedback_invitations(
    meeting: Meeting,
    *,
    recipients: dict[str, str],
    tokens: list[str],
    deadline: datetime,
    now: datetime,
) -> None:
    """Thank each attendee (email -> name) with an email carrying their own survey link (token).

    The caller (dialogue.services.feedback.feedback_invitations_send) chose the recipients, claimed
    the meeting and created the tokens, in the transaction these emails are queued in.
    """
    from django.urls import reverse

    meeting_context = {
        **_meeting_context(meeting),
        "online_url": "",
        "day": date_format(timezone.localtime(meeting.starts_at), DAY_FORMAT),
        "deadline": date_format(timezone.localtime(deadline), DAY_FORMAT),
        "next": _next_meeting_context(meeting, now=now),
    }
    for (email, name), token in zip(sorted(recipients.items()), tokens, strict=True):
        queue_email(
            _email(
                "feedback_invitation",
                subject=_("Thank you for coming: %(title)s") % {"title": meeting.title},
                to=email,
                context={
                    **meeting_context,
                    "name": name,
                    "survey_url": absolute(reverse("dialogue:feedback", args=[token])),
                },
            )
        )


@in_french
def comeback_invitation(
    *, email: str, name: str, attended_on: datetime, meeting: Meeting, registration_id: int
) -> None:
    """One invitation to the next meeting of the QPV of someone who came once, months ago.
    `registration_id`: the attendance that caused it, named by the link that stops them."""
    queue_email(
        _email(
            "comeback_invitation",
            subject=_("We would be glad to see you again: %(title)s") % {"title": meeting.title},
            to=email,
            context={
                **_meeting_context(meeting),
                "online_url": "",
                "name": name,
                "attended_day": date_format(timezone.localtime(attended_on), DAY_FORMAT),
            },
            unsubscribe_url=absolute(tokens.comeback_unsubscribe_path(registration_id)),
        )
    )
