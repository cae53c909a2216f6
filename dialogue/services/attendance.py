"""Writes of the check-in at the door: presence of registrants, walk-ins, saving the attendance.

The door opens two hours before the start: nothing can be ticked on a meeting starting later, nor on
a cancelled one. After the meeting, the check-in stays open so the attendance can be completed or
corrected from the paper sign-in sheet. Saving the attendance marks the meeting held and sends the
feedback survey to the attendees (once: feedback_invitations_send is idempotent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from dialogue.models import (
    AgeBand,
    AttendeeCategory,
    Gender,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
    WalkIn,
)
from dialogue.services.feedback import feedback_invitations_send
from participation.dates import date_format
from participation.models import User

CHECKIN_OPENS_BEFORE = timedelta(hours=2)
MAX_WALK_INS_AT_ONCE = 500
EXPECTED_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class AttendanceError(ValidationError):
    """A check-in write refused for a reason the staff member can read."""


def checkin_opens_at(meeting: Meeting) -> datetime:
    return meeting.starts_at - CHECKIN_OPENS_BEFORE


def checkin_refusal(meeting: Meeting, *, now: datetime | None = None) -> str | None:
    """Why nobody can be checked in at this meeting (now), if so."""
    now = now or timezone.now()
    if meeting.status == MeetingStatus.CANCELLED:
        return _("This meeting has been cancelled: there is no attendance to take.")
    opens_at = checkin_opens_at(meeting)
    if now < opens_at:
        local = timezone.localtime(opens_at)
        return _("The check-in opens two hours before the start: on %(day)s at %(time)s.") % {
            "day": date_format(local, "l j F Y"),
            "time": time_format(local, "H:i"),
        }
    return None


def save_refusal(meeting: Meeting, *, now: datetime | None = None) -> str | None:
    """Why the attendance of this meeting cannot be saved (now), if so."""
    now = now or timezone.now()
    if meeting.status == MeetingStatus.CANCELLED:
        return _("This meeting has been cancelled: there is no attendance to save.")
    if now < meeting.starts_at:
        return _("The attendance can be saved once the meeting has started.")
    return None


def _check(refusal: str | None) -> None:
    if refusal:
        raise AttendanceError(refusal, code="closed")


@dataclass(frozen=True)
class Presence:
    """A registration's presence as it was: what an undo puts back."""

    registration_id: int
    attended: bool | None
    checked_in_at: datetime | None


@transaction.atomic
def registration_set_present(
    *, meeting: Meeting, registration: Registration, present: bool, now: datetime | None = None
) -> Presence:
    """Tick (or untick) a registrant; returns the presence before, for the undo."""
    now = now or timezone.now()
    _check(checkin_refusal(meeting, now=now))
    if registration.meeting_id != meeting.pk or registration.status not in EXPECTED_STATUSES:
        raise AttendanceError(_("This person is not registered to this meeting."), code="other")
    before = Presence(registration.pk, registration.attended, registration.checked_in_at)
    registration.attended = present
    registration.checked_in_at = now if present else None
    registration.save(update_fields=["attended", "checked_in_at"])
    return before


@transaction.atomic
def registration_restore(*, meeting: Meeting, presence: Presence) -> int:
    """Put a registrant's presence back as it was (undo); returns the number of rows changed."""
    _check(checkin_refusal(meeting))
    return Registration.objects.filter(meeting=meeting, pk=presence.registration_id).update(
        attended=presence.attended, checked_in_at=presence.checked_in_at
    )


@transaction.atomic
def walk_in_add(*, meeting: Meeting, category: str, by: User | None = None) -> WalkIn:
    """Count one person who came without registering (one tap at the door)."""
    _check(checkin_refusal(meeting))
    if category not in AttendeeCategory.values:
        raise AttendanceError(_("Choose who came."), code="category")
    return WalkIn.objects.create(meeting=meeting, category=category, created_by=by)


@transaction.atomic
def walk_in_describe(*, meeting: Meeting, walk_in: WalkIn, details: Mapping[str, object]) -> WalkIn:
    """Set the optional gender, age band and "first time" of a walk-in (only the keys given)."""
    _check(checkin_refusal(meeting))
    allowed = {"gender", "age_band", "first_time"}
    unknown = set(details) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for field, value in details.items():
        setattr(walk_in, field, value)
    if details:
        walk_in.save(update_fields=list(details))
    return walk_in


def _spread(total: int, counts: Mapping[str, int]) -> list[str]:
    """One value per person: `counts[value]` people get each value, the rest get ""."""
    values = [value for value, count in counts.items() for _ in range(count)]
    if len(values) > total:
        raise AttendanceError(_("A breakdown counts more people than the walk-ins."), code="absurd")
    return values + [""] * (total - len(values))


@transaction.atomic
def walk_ins_add_many(
    *,
    meeting: Meeting,
    category: str,
    count: int,
    genders: Mapping[str, int] | None = None,
    age_bands: Mapping[str, int] | None = None,
    first_time: int = 0,
    returning: int = 0,
    by: User | None = None,
) -> list[WalkIn]:
    """Count several walk-ins of one category at once, with optional breakdowns (one query)."""
    now = timezone.now()
    _check(checkin_refusal(meeting, now=now))
    if category not in AttendeeCategory.values:
        raise AttendanceError(_("Choose who came."), code="category")
    if not 1 <= count <= MAX_WALK_INS_AT_ONCE:
        raise AttendanceError(
            _("Between 1 and %(max)s walk-ins at once.") % {"max": MAX_WALK_INS_AT_ONCE}
        )
    genders = dict(genders or {})
    age_bands = dict(age_bands or {})
    if set(genders) - set(Gender.values) or set(age_bands) - set(AgeBand.values):
        raise TypeError("Unknown gender or age band.")
    counts = [*genders.values(), *age_bands.values(), first_time, returning]
    if any(value < 0 for value in counts):
        raise AttendanceError(_("A number of people cannot be negative."), code="negative")
    gender_of = _spread(count, genders)
    age_band_of = _spread(count, age_bands)
    first_time_of = _spread(count, {"yes": first_time, "no": returning})
    walk_ins = [
        WalkIn(
            meeting=meeting,
            category=category,
            gender=gender_of[index],
            age_band=age_band_of[index],
            first_time={"yes": True, "no": False}.get(first_time_of[index]),
            created_at=now,
            created_by=by,
        )
        for index in range(count)
    ]
    return WalkIn.objects.bulk_create(walk_ins)


@transaction.atomic
def walk_ins_remove(*, meeting: Meeting, walk_in_ids: list[int]) -> int:
    """Remove walk-ins counted by mistake (undo); returns how many were removed."""
    _check(checkin_refusal(meeting))
    deleted, _by_model = WalkIn.objects.filter(meeting=meeting, pk__in=walk_in_ids).delete()
    return deleted


@transaction.atomic
def attendance_save(*, meeting: Meeting, now: datetime | None = None) -> Meeting:
    """Close the check-in's count: the meeting is held, the registrants not ticked were absent.

    Saving again later (corrections) updates the time; the feedback survey is sent only once.
    """
    now = now or timezone.now()
    # Lock the row (a second device saving at the same moment waits), and decide on fresh data.
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check(save_refusal(locked, now=now))
    meeting.registrations.filter(status__in=EXPECTED_STATUSES, attended__isnull=True).update(
        attended=False
    )
    meeting.attendance_saved_at = now
    meeting.status = MeetingStatus.HELD
    meeting.feedback_sent_at = locked.feedback_sent_at
    meeting.save(update_fields=["attendance_saved_at", "status", "updated_at"])
    feedback_invitations_send(meeting)
    return meeting
