"""The come-back loop: one invitation for residents who came once and not since.

Who is invited (all in SQL, one row per address):
- someone with an email who attended exactly one meeting ever (registrations with attended=True,
  counted by distinct meeting), more than 3 months ago (the meeting's start);
- whose most recent registration (any meeting, any status) has `comeback_opt_in`: the last choice
  made wins, so an opt-out given later is respected;
- with no active registration (pending, confirmed, waitlisted) for a planned meeting still to come;
- not an account holding a staff role (facilitators ticked present are not "residents");
- never invited since that attendance (one invitation per lapse; since the rule needs exactly one
  attendance, a person who comes back is no longer "came once", so in practice one invitation
  ever), and not invited in the last 30 days (the monthly cap of the issue, kept as a separate
  guard should the rule later widen to "last came more than 3 months ago");
- and only when their QPV (the QPV of the meeting they attended) has a planned meeting to come,
  still open for registration: nothing is recorded otherwise, so they are considered again on the
  next daily run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.utils import timezone

from dialogue import emails
from dialogue.models import (
    ComebackInvitation,
    Meeting,
    MeetingStatus,
    Registration,
)
from participation.models import User
from qpv.models import QPV

COMEBACK_AFTER = timedelta(days=91)  # "3 months"
COMEBACK_MIN_INTERVAL = timedelta(days=30)


def _candidates(now: datetime) -> QuerySet[Registration]:
    """The attended registrations of the people to invite (one row each, duplicates aside)."""
    attendances = (
        Registration.objects.filter(attended=True, email=OuterRef("email"))
        .order_by()
        .values("email")
        .annotate(count=Count("meeting_id", distinct=True))
        .values("count")
    )
    last_choice = (
        Registration.objects.filter(email=OuterRef("email"))
        .order_by("-created_at", "-pk")
        .values("comeback_opt_in")[:1]
    )
    registered_ahead = Registration.objects.active().filter(
        email=OuterRef("email"),
        meeting__status=MeetingStatus.PLANNED,
        meeting__ends_at__gte=now,
    )
    invited_since_attendance = ComebackInvitation.objects.filter(
        email=OuterRef("email"), sent_at__gte=OuterRef("meeting__starts_at")
    )
    invited_recently = ComebackInvitation.objects.filter(
        email=OuterRef("email"), sent_at__gte=now - COMEBACK_MIN_INTERVAL
    )
    staff_emails = User.objects.filter(role_assignments__isnull=False).values("email")
    return (
        Registration.objects.filter(attended=True, meeting__starts_at__lt=now - COMEBACK_AFTER)
        .exclude(email="")
        .annotate(
            attendances=Subquery(attendances, output_field=IntegerField()),
            opted_in=Subquery(last_choice),
        )
        .filter(attendances=1, opted_in=True)
        .exclude(Exists(registered_ahead))
        .exclude(Exists(invited_since_attendance))
        .exclude(Exists(invited_recently))
        .exclude(email__in=staff_emails)
        .order_by("email", "pk")
    )


def _next_meetings(qpv_ids: set[int], now: datetime) -> dict[int, Meeting]:
    """The next planned meeting open for registration of each QPV (two queries)."""
    next_meeting = (
        Meeting.objects.public()
        .filter(dialogue_space__qpv_id=OuterRef("pk"), status=MeetingStatus.PLANNED)
        .filter(starts_at__gt=now)
        .order_by("starts_at", "pk")
        .values("pk")[:1]
    )
    next_ids = dict(
        QPV.objects.filter(pk__in=qpv_ids)
        .annotate(next_meeting_id=Subquery(next_meeting))
        .filter(next_meeting_id__isnull=False)
        .values_list("pk", "next_meeting_id")
    )
    meetings = Meeting.objects.with_place().in_bulk(next_ids.values())
    return {qpv_id: meetings[meeting_id] for qpv_id, meeting_id in next_ids.items()}


@transaction.atomic
def send_comeback_invitations(*, now: datetime | None = None) -> int:
    """Invite the people described above, one email each; returns the number of emails queued.

    A fixed number of queries whatever the number of people. The candidates' registrations are
    locked (skipping those a concurrent run holds) and the recent invitations read again after the
    lock, so two runs at the same time invite nobody twice.
    """
    now = now or timezone.now()
    rows = list(
        _candidates(now).values_list(
            "pk", "email", "name", "meeting__starts_at", "meeting__dialogue_space__qpv_id"
        )
    )
    if not rows:
        return 0
    locked = set(
        Registration.objects.select_for_update(skip_locked=True)
        .filter(pk__in=[row[0] for row in rows])
        .values_list("pk", flat=True)
    )
    emails_seen = set(
        ComebackInvitation.objects.filter(
            email__in={row[1] for row in rows}, sent_at__gte=now - COMEBACK_MIN_INTERVAL
        ).values_list("email", flat=True)
    )
    next_meetings = _next_meetings({row[4] for row in rows}, now)
    invitations = []
    for pk, email, name, attended_on, qpv_id in rows:
        meeting = next_meetings.get(qpv_id)
        if pk not in locked or email in emails_seen or meeting is None:
            continue
        emails_seen.add(email)
        invitations.append(ComebackInvitation(email=email, meeting=meeting, sent_at=now))
        emails.comeback_invitation(
            email=email, name=name, attended_on=attended_on, meeting=meeting, registration_id=pk
        )
    ComebackInvitation.objects.bulk_create(invitations)
    return len(invitations)


@transaction.atomic
def comeback_opt_out(*, registration_id: int) -> bool:
    """The link of a come-back invitation: no more of them for that address. Every registration of
    the address forgets the opt-in (the last choice wins, see above: a later registration that
    ticks the box again is a new choice). False when there was nothing to change (already done,
    or the guest's data purged since)."""
    email = Registration.objects.filter(pk=registration_id).values_list("email", flat=True).first()
    if not email:
        return False
    return bool(
        Registration.objects.filter(email=email, comeback_opt_in=True).update(comeback_opt_in=False)
    )
