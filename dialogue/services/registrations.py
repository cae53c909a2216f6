"""Registration to meetings: seats are never over-booked, the waiting list moves by itself.

Every change of seats happens inside a transaction that first locks the meeting row
(SELECT ... FOR UPDATE on PostgreSQL): concurrent registrations to one meeting are serialised, so the
count of confirmed registrations read under the lock is the truth when deciding confirmed or
waitlisted. Emails are queued on commit (dialogue.emails).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue import emails
from dialogue.models import (
    AgeBand,
    Gender,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
)
from participation.models import User


class RegistrationError(ValidationError):
    """A registration refused for a reason the person can read (shown on the form)."""


def _locked_meeting(meeting_id: int) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting_id)


def _check_open(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise RegistrationError(_("This meeting has been cancelled."), code="cancelled")
    if meeting.status != MeetingStatus.PLANNED or meeting.has_started:
        raise RegistrationError(
            _("Registration is closed: the meeting has already started."), code="closed"
        )


def _take_seat_or_wait(meeting: Meeting, registration: Registration) -> None:
    """Under the meeting lock: confirm if a seat is free, else join the waiting list."""
    now = timezone.now()
    if meeting.capacity is None:
        confirmed = 0
    else:
        confirmed = meeting.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    if meeting.capacity is None or confirmed < meeting.capacity:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
    else:
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlisted_at = now


def _tell(registration: Registration) -> None:
    if registration.status == RegistrationStatus.CONFIRMED:
        emails.registration_confirmed(registration)
    elif registration.status == RegistrationStatus.WAITLISTED:
        emails.registration_waitlisted(registration)


@transaction.atomic
def registration_create(
    *,
    meeting: Meeting,
    name: str,
    email: str,
    phone: str = "",
    user: User | None = None,
    comeback_opt_in: bool = False,
    gender: str = "",
    age_band: str = "",
) -> Registration:
    """Register someone. An account's email is already verified: the seat is decided at once.
    A guest's registration waits for the emailed link before it counts (status pending).

    `comeback_opt_in` (one invitation after 3 months without coming back), `gender` and `age_band`
    are optional and self-declared; an unknown gender or age band is stored as "not said".
    """
    meeting = _locked_meeting(meeting.pk)
    _check_open(meeting)
    email = email.strip().lower()
    existing = meeting.registrations.active().filter(email=email).first()
    if existing is not None:
        if existing.status == RegistrationStatus.PENDING and user is None:
            # A guest who lost the first email: send the link again rather than refuse.
            emails.guest_confirmation_link(existing)
            return existing
        raise RegistrationError(
            _("This email address is already registered for this meeting."), code="duplicate"
        )
    registration = Registration(
        meeting=meeting,
        user=user,
        name=name.strip(),
        email=email,
        phone=phone.strip(),
        comeback_opt_in=bool(comeback_opt_in),
        gender=gender if gender in Gender.values else "",
        age_band=age_band if age_band in AgeBand.values else "",
    )
    if user is None:
        registration.status = RegistrationStatus.PENDING
    else:
        _take_seat_or_wait(meeting, registration)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        raise RegistrationError(
            _("This email address is already registered for this meeting."), code="duplicate"
        ) from None
    if user is None:
        emails.guest_confirmation_link(registration)
    else:
        _tell(registration)
    return registration


@transaction.atomic
def registration_confirm_guest(*, registration: Registration) -> Registration:
    """The guest clicked the emailed link: now the registration takes a seat (or waits)."""
    meeting = _locked_meeting(registration.meeting_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.PENDING:
        return registration  # clicking twice changes nothing
    _check_open(meeting)
    _take_seat_or_wait(meeting, registration)
    registration.save(update_fields=["status", "confirmed_at", "waitlisted_at"])
    registration.meeting = meeting
    _tell(registration)
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration) -> Registration:
    """Free the seat; the first person on the waiting list takes it and is told by email."""
    meeting = _locked_meeting(registration.meeting_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not registration.is_active:
        return registration
    if meeting.has_started:
        raise RegistrationError(
            _("The meeting has already started: the registration can no longer be cancelled."),
            code="closed",
        )
    held_a_seat = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    if held_a_seat:
        _promote_waitlist(meeting)
    return registration


def meeting_fill_free_seats(*, meeting: Meeting) -> list[Registration]:
    """After a capacity increase: promote as many waitlisted people as there are free seats."""
    with transaction.atomic():
        return _promote_waitlist(_locked_meeting(meeting.pk))


def _promote_waitlist(meeting: Meeting) -> list[Registration]:
    """Under the meeting lock: move people from the waiting list to free seats, in order."""
    if meeting.status != MeetingStatus.PLANNED or meeting.has_started:
        return []
    waitlist = meeting.registrations.waitlist().select_for_update()
    if meeting.capacity is None:
        promoted = list(waitlist)
    else:
        confirmed = meeting.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        free = meeting.capacity - confirmed
        promoted = list(waitlist[: max(free, 0)])
    now = timezone.now()
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.save(update_fields=["status", "confirmed_at"])
        registration.meeting = meeting
        emails.registration_promoted(registration)
    return promoted
