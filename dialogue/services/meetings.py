"""Writes of the espace pro: dialogue spaces and their meetings (plan, series, edit, cancel).

Registrants are told of what concerns them (dialogue.emails queues the messages on commit): a change
of time or place, a cancellation. A capacity raised moves the waiting list at once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from dialogue import emails
from dialogue.models import (
    DialogueSpace,
    Meeting,
    MeetingStatus,
    RegistrationStatus,
)
from dialogue.services.registrations import meeting_fill_free_seats
from participation.contract import in_contract, outside_contract_error
from participation.easy_read import clean_easy_read
from participation.models import User
from qpv.models import QPV

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_SERIES_OCCURRENCES = 60
MAX_SERIES_WEEKS_APART = 8

SPACE_FIELDS = frozenset(
    {"name", "format", "origin", "host_organisation", "facilitated_by", "charter", "is_active"}
)
MEETING_FIELDS = frozenset(
    {
        "title",
        "starts_at",
        "ends_at",
        "venue",
        "address",
        "access_notes",
        "accessibility_notes",
        "step_free",
        "mode",
        "online_url",
        "capacity",
        "registration_required",
        "agenda",
        "easy_read",
        "childcare",
        "interpreting",
        "food",
    }
)

# What registrants are told has changed, by the fields that changed (in this order in the email).
CHANGE_LABELS = {
    "schedule": _("Date and time"),
    "place": _("Venue or address"),
    "mode": _("Attendance mode (in person or online)"),
    "online_url": _("Link to join online"),
}
_CHANGE_FIELDS = {
    "schedule": ("starts_at", "ends_at"),
    "place": ("venue", "address"),
    "mode": ("mode",),
    "online_url": ("online_url",),
}


class MeetingError(ValidationError):
    """A write refused for a reason the staff member can read; `field` names the form field."""

    def __init__(
        self,
        message: StrOrPromise,
        code: str | None = None,
        params: dict[str, Any] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.field = field


def _check_fields(fields: dict, allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")


# Spaces ----------------------------------------------------------------------------------------


@transaction.atomic
def space_create(*, qpv: QPV, by: User, **fields: Any) -> DialogueSpace:
    """A new dialogue space of `qpv`; `by` has dialogue.create_space on it (checked by the view)."""
    _check_fields(fields, SPACE_FIELDS)
    space = DialogueSpace(qpv=qpv, **fields)
    space.full_clean()
    space.save()
    return space


@transaction.atomic
def space_update(*, space: DialogueSpace, by: User, **fields: Any) -> DialogueSpace:
    _check_fields(fields, SPACE_FIELDS)
    for name, value in fields.items():
        setattr(space, name, value)
    space.full_clean()
    space.save()
    return space


# Meetings --------------------------------------------------------------------------------------


def one_year_after(day: date) -> date:
    """The same day a year later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def series_occurrences(
    *, starts_at: datetime, ends_at: datetime, every_weeks: int, until: date
) -> list[tuple[datetime, datetime]]:
    """Start and end of every meeting of a series, the first included, the last on or before `until`.

    Each occurrence keeps the first one's wall-clock times in Europe/Paris: 18:00 stays 18:00 across
    the changes to and from summer time. So the dates are built as local (naive) datetimes first and
    only then made aware; adding 7 days to an aware datetime would shift the hour by one.
    """
    first_start = timezone.localtime(starts_at).replace(tzinfo=None)
    first_end = timezone.localtime(ends_at).replace(tzinfo=None)
    occurrences = []
    step = timedelta(weeks=every_weeks)
    local_start, local_end = first_start, first_end
    while local_start.date() <= until:
        occurrences.append((timezone.make_aware(local_start), timezone.make_aware(local_end)))
        if len(occurrences) > MAX_SERIES_OCCURRENCES:
            break  # enough to refuse the series: do not build thousands
        local_start += step
        local_end += step
    return occurrences


def _check_meeting(meeting: Meeting) -> None:
    try:
        meeting.easy_read = clean_easy_read(meeting.easy_read)
    except ValueError as error:
        raise MeetingError(str(error), code="easy_read_too_long", field="easy_read") from None
    if meeting.ends_at <= meeting.starts_at:
        raise MeetingError(
            _("The meeting must end after it starts."), code="end_before_start", field="end_time"
        )
    if not (in_contract(meeting.starts_at) and in_contract(meeting.ends_at)):
        outside = outside_contract_error()
        raise MeetingError(outside.message, code=outside.code, params=outside.params, field="date")


@transaction.atomic
def meeting_create(*, space: DialogueSpace, by: User, **fields: Any) -> Meeting:
    """Plan one meeting of `space`; `by` has dialogue.manage_meeting on it (checked by the view)."""
    _check_fields(fields, MEETING_FIELDS)
    meeting = Meeting(
        dialogue_space=space, status=MeetingStatus.PLANNED, created_by=by, series=None, **fields
    )
    _check_meeting(meeting)
    meeting.save()
    return meeting


@transaction.atomic
def meeting_create_series(
    *, space: DialogueSpace, by: User, every_weeks: int, until: date, **fields: Any
) -> list[Meeting]:
    """Plan a meeting every `every_weeks` weeks until `until` (a local date), all in one series."""
    _check_fields(fields, MEETING_FIELDS)
    if not 1 <= every_weeks <= MAX_SERIES_WEEKS_APART:
        raise MeetingError(
            _("A series repeats every 1 to %(max)s weeks."),
            code="series_interval",
            params={"max": MAX_SERIES_WEEKS_APART},
            field="repeat_every_weeks",
        )
    starts_at, ends_at = fields.pop("starts_at"), fields.pop("ends_at")
    occurrences = series_occurrences(
        starts_at=starts_at, ends_at=ends_at, every_weeks=every_weeks, until=until
    )
    if len(occurrences) > MAX_SERIES_OCCURRENCES:
        raise MeetingError(
            _("A series can have at most %(max)s meetings: choose an earlier end date."),
            code="too_many_occurrences",
            params={"max": MAX_SERIES_OCCURRENCES},
            field="repeat_until",
        )
    series = uuid.uuid4()
    meetings = [
        Meeting(
            dialogue_space=space,
            status=MeetingStatus.PLANNED,
            created_by=by,
            series=series,
            starts_at=start,
            ends_at=end,
            **fields,
        )
        for start, end in occurrences
    ]
    for meeting in meetings:
        _check_meeting(meeting)
    return Meeting.objects.bulk_create(meetings)


def _refuse_unless_planned(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError(_("This meeting has been cancelled."), code="cancelled")
    if meeting.status == MeetingStatus.HELD:
        raise MeetingError(_("This meeting has already been held."), code="held")


def changed_labels(keys: list[str]) -> list[str]:
    """The registrants' words for what changed: French, whatever the staff member's language."""
    with translation.override("fr"):
        return [str(CHANGE_LABELS[key]) for key in keys]


@transaction.atomic
def meeting_update(*, meeting: Meeting, by: User, **fields: Any) -> Meeting:
    """Change a planned meeting that has not started; registrants are told of a new time or place.

    The row is locked first: a registration taking the last seat cannot slip between the count of
    confirmed registrations and the new, lower capacity.
    """
    _check_fields(fields, MEETING_FIELDS)
    locked = (
        Meeting.objects.select_for_update().select_related("dialogue_space__qpv").get(pk=meeting.pk)
    )
    _refuse_unless_planned(locked)
    if locked.has_started:
        raise MeetingError(_("This meeting has already started."), code="started")
    confirmed = locked.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    capacity = fields.get("capacity", locked.capacity)
    if capacity is not None and capacity < confirmed:
        raise MeetingError(
            _(
                "The capacity cannot be lower than the number of confirmed registrations "
                "(%(count)s)."
            ),
            code="capacity_below_confirmed",
            params={"count": confirmed},
            field="capacity",
        )
    more_seats = locked.capacity is not None and (capacity is None or capacity > locked.capacity)
    changes = [
        key
        for key, names in _CHANGE_FIELDS.items()
        if any(name in fields and fields[name] != getattr(locked, name) for name in names)
    ]
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_meeting(locked)
    locked.save()
    if more_seats:
        meeting_fill_free_seats(meeting=locked)
    if "schedule" in changes:
        # A reminder sent for the old date says nothing of the new one: remind again.
        locked.registrations.filter(reminder_sent_at__isnull=False).update(reminder_sent_at=None)
    if changes:
        emails.meeting_changed(locked, changes=changed_labels(changes))
    return locked


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, reason: str, by: User) -> Meeting:
    """Cancel a planned meeting and tell its registrants (unless it is already over).

    Registrations keep their status: they are the history of who meant to come.
    """
    reason = reason.strip()
    if not reason:
        raise MeetingError(
            _("Give the reason for the cancellation: registrants will read it."),
            code="reason_required",
            field="reason",
        )
    locked = (
        Meeting.objects.select_for_update().select_related("dialogue_space__qpv").get(pk=meeting.pk)
    )
    if locked.status == MeetingStatus.CANCELLED:
        return locked  # cancelling twice changes nothing and tells nobody again
    if locked.status == MeetingStatus.HELD:
        raise MeetingError(
            _("This meeting has already been held: it can no longer be cancelled."), code="held"
        )
    locked.status = MeetingStatus.CANCELLED
    locked.cancellation_reason = reason
    locked.save(update_fields=["status", "cancellation_reason", "updated_at"])
    if not locked.has_started:
        emails.meeting_cancelled(locked)
    return locked
