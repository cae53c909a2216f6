"""Registration to meetings: seats are never over-booked, the waiting list moves by itself.

Every change of seats happens inside a transaction that first locks the meeting row
(SELECT ... FOR UPDATE on PostgreSQL): concurrent registrations to one meeting are serialised, so the
count of confirmed registrations read under the lock is the truth when deciding confirmed or
waitlisted. Emails and SMS are queued on commit (dialogue.emails, dialogue.sms).

A guest gives an email, a mobile number, or both. With an email, the emailed link confirms the
registration. With a mobile number only, a 6-digit code sent by SMS does: typed on the confirmation
page, within CODE_VALID_MINUTES and CODE_MAX_ATTEMPTS tries (then a new code must be asked for).
Only the code's hash is stored. How often codes may be sent is the views' rate limit.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialogue import emails, sms
from dialogue.models import (
    CODE_MAX_ATTEMPTS,
    CODE_VALID_MINUTES,
    AgeBand,
    Gender,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
)
from participation.models import User

CODE_SALT = "dialogue.registration.code"


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
    """The seat taken or the waiting list: by email, or by SMS to a guest without one."""
    channel = sms if registration.by_sms_only else emails
    if registration.status == RegistrationStatus.CONFIRMED:
        channel.registration_confirmed(registration)
    elif registration.status == RegistrationStatus.WAITLISTED:
        channel.registration_waitlisted(registration)


def _code_hash(registration: Registration, code: str) -> str:
    return salted_hmac(CODE_SALT, f"{registration.token}:{code}", algorithm="sha256").hexdigest()


def _send_code(registration: Registration) -> None:
    """A new code (the previous one stops working), its tries counted afresh; sent by SMS."""
    code = f"{secrets.randbelow(10**6):06d}"
    registration.code_hash = _code_hash(registration, code)
    registration.code_sent_at = timezone.now()
    registration.code_attempts = 0
    registration.save(update_fields=["code_hash", "code_sent_at", "code_attempts"])
    sms.registration_code(registration, code=code)


def _duplicate(*, by_phone: bool) -> RegistrationError:
    if by_phone:
        return RegistrationError(
            _("This phone number is already registered for this meeting."), code="duplicate"
        )
    return RegistrationError(
        _("This email address is already registered for this meeting."), code="duplicate"
    )


@transaction.atomic
def registration_create(
    *,
    meeting: Meeting,
    name: str,
    email: str = "",
    phone: str = "",
    user: User | None = None,
    comeback_opt_in: bool = False,
    gender: str = "",
    age_band: str = "",
    sms_reminders: bool = False,
) -> Registration:
    """Register someone. An account's email is already verified: the seat is decided at once.
    A guest's registration waits (status pending) for the emailed link, or, given a mobile
    number and no email, for the code sent by SMS.

    `phone` is a normalised mobile number (notifications.phones.normalise_mobile). A guest with a
    number may tick `sms_reminders` (the reminder the day before by SMS: their consent, dated).
    `comeback_opt_in` (one invitation after 3 months without coming back), `gender` and `age_band`
    are optional and self-declared; an unknown gender or age band is stored as "not said".
    """
    meeting = _locked_meeting(meeting.pk)
    _check_open(meeting)
    email = email.strip().lower()
    phone = phone.strip()
    if not email and not phone:
        raise RegistrationError(
            _("Give an email address or a mobile phone number."), code="no_contact"
        )
    by_phone = not email
    if by_phone:
        existing = meeting.registrations.active().filter(email="", phone=phone).first()
    else:
        existing = meeting.registrations.active().filter(email=email).first()
    if existing is not None:
        if existing.status == RegistrationStatus.PENDING and user is None:
            # A guest who lost the first email or code: send it again rather than refuse.
            if by_phone:
                _send_code(existing)
            else:
                emails.guest_confirmation_link(existing)
            return existing
        raise _duplicate(by_phone=by_phone)
    consent = bool(sms_reminders and phone and user is None)
    registration = Registration(
        meeting=meeting,
        user=user,
        name=name.strip(),
        email=email,
        phone=phone,
        sms_reminders=consent,
        sms_consent_at=timezone.now() if consent else None,
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
        raise _duplicate(by_phone=by_phone) from None
    if user is not None:
        _tell(registration)
    elif by_phone:
        _send_code(registration)
    else:
        emails.guest_confirmation_link(registration)
    return registration


@transaction.atomic
def registration_code_resend(*, registration: Registration) -> Registration:
    """A new code for a guest registered by mobile number who did not get or lost the first."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == RegistrationStatus.PENDING and registration.by_sms_only:
        _send_code(registration)
    return registration


def registration_confirm_code(*, registration: Registration, code: str) -> Registration:
    """The guest typed the code received by SMS: right, the registration takes a seat (or waits).

    A wrong code counts as a try even though the call then fails (the count is committed first):
    after CODE_MAX_ATTEMPTS wrong tries, or CODE_VALID_MINUTES after it was sent, the code no
    longer works and the guest asks for a new one. Typing it again once confirmed changes nothing.
    """
    confirmed, error = _check_code(registration=registration, code=code)
    if error is not None:
        raise error
    return confirmed


@transaction.atomic
def _check_code(
    *, registration: Registration, code: str
) -> tuple[Registration, RegistrationError | None]:
    # The same order of locks as every change of seats: the meeting, then the registration.
    meeting = _locked_meeting(registration.meeting_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    registration.meeting = meeting
    if registration.status != RegistrationStatus.PENDING:
        return registration, None
    if not registration.code_hash or registration.code_attempts >= CODE_MAX_ATTEMPTS:
        return registration, RegistrationError(
            _("Too many wrong codes: ask for a new code."), code="too_many_attempts"
        )
    sent_at = registration.code_sent_at or timezone.now()
    if timezone.now() > sent_at + timedelta(minutes=CODE_VALID_MINUTES):
        return registration, RegistrationError(
            _("This code has expired: ask for a new code."), code="expired_code"
        )
    if not constant_time_compare(_code_hash(registration, code.strip()), registration.code_hash):
        registration.code_attempts += 1
        registration.save(update_fields=["code_attempts"])
        left = CODE_MAX_ATTEMPTS - registration.code_attempts
        if left <= 0:
            return registration, RegistrationError(
                _("Too many wrong codes: ask for a new code."), code="too_many_attempts"
            )
        return registration, RegistrationError(
            ngettext(
                "This code is not the right one. You have %(count)s more try.",
                "This code is not the right one. You have %(count)s more tries.",
                left,
            )
            % {"count": left},
            code="wrong_code",
        )
    registration.code_hash = ""
    registration.save(update_fields=["code_hash"])
    _check_open(meeting)
    _take_seat_or_wait(meeting, registration)
    registration.save(update_fields=["status", "confirmed_at", "waitlisted_at"])
    _tell(registration)
    return registration, None


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
    """Free the seat; the first person on the waiting list takes it and is told (email or SMS)."""
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
        if registration.by_sms_only:
            sms.registration_promoted(registration)
        else:
            emails.registration_promoted(registration)
    return promoted
