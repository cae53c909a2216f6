"""Data retention: the personal data of guests (no account) are purged some months after the meeting.

Names, phones and emails go; the rows stay, so attendance and every indicator computed from them are
unchanged. The email is replaced by a pseudonym derived from it (the same address always gives the
same pseudonym), so "distinct residents" and "returning residents" keep counting the same people;
a guest registered by mobile number only gets the pseudonym of their number in the email field
(the person key of dialogue.models.PERSON_KEY), and the number goes.

The copies go too: the SMS about those meetings to those numbers, the come-back invitations sent to
those addresses (pseudonymised) and the STOP of a number nothing holds any more. The audit log
never held these rows (registrations are not audited); guests' questions: purge_guest_question_contacts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dialogue.models import ComebackInvitation, Registration
from notifications.models import ContactPreference, TextMessage
from notifications.phones import normalise_mobile
from notifications.services import sms_opt_outs_forget

PURGED_DOMAIN = "purged.invalid"


def pseudonym(email: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{email.strip().lower()}".encode()).hexdigest()
    return f"{digest[:24]}@{PURGED_DOMAIN}"


@transaction.atomic
def purge_guest_personal_data(*, now: datetime | None = None) -> dict[str, int]:
    """Purge guests' registrations of meetings ended more than GUEST_DATA_RETENTION_DAYS ago.
    Returns the count purged. (Guests' questions: questions.services.purge_guest_question_contacts.)"""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.GUEST_DATA_RETENTION_DAYS)
    registrations = list(
        Registration.objects.filter(user__isnull=True, meeting__ends_at__lt=limit)
        .exclude(email__endswith=f"@{PURGED_DOMAIN}")
        .only("pk", "meeting_id", "email", "phone")
    )
    numbers = {normalise_mobile(r.phone) or r.phone for r in registrations if r.phone}
    meeting_ids = {registration.meeting_id for registration in registrations}
    originals = [registration.email for registration in registrations]
    for registration in registrations:
        registration.email = pseudonym(registration.email or registration.phone)
        registration.name = ""
        registration.phone = ""
    Registration.objects.bulk_update(registrations, ["email", "name", "phone"], batch_size=1000)
    # The SMS about those meetings to those numbers: blanked too (the outbox blanks every SMS after
    # SMS_RETENTION_DAYS anyway; this holds if that delay is ever set longer). The rows stay, for
    # the counts; SMS to the same numbers about later meetings are left alone.
    if numbers:
        TextMessage.objects.filter(meeting_id__in=meeting_ids, phone__in=numbers).update(
            phone="", text=""
        )
    # A STOP of a number nothing holds any more (no later registration, no account) goes too.
    if numbers:
        held = set(
            Registration.objects.filter(phone__in=numbers).values_list("phone", flat=True)
        ) | set(ContactPreference.objects.filter(phone__in=numbers).values_list("phone", flat=True))
        sms_opt_outs_forget(numbers - held)
    # The come-back invitations sent to those addresses: the "one a month" limit keeps working on
    # the pseudonym, as account_delete does. An address still in use at a later meeting keeps its
    # invitations until that registration is purged in turn.
    addresses = {email.strip().lower() for email in originals if email}
    still_used = set(
        Registration.objects.filter(email__in=addresses).values_list("email", flat=True)
    )
    for address in addresses - still_used:
        ComebackInvitation.objects.filter(email__iexact=address).update(email=pseudonym(address))
    return {"registrations": len(registrations)}
