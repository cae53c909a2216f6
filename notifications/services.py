"""Tell a resident that something they gave changed: by email and/or SMS, as they chose (issue 17).

`notify_resident` is the one door: the apps call it inside their transaction, at the change. The
message is short (what changed, in one or two sentences) and links to "Mon espace" for accounts, or
to the page given for guests. The email is queued on commit (participation.mail), the SMS too
(notifications.sms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.gsm import gsm7
from notifications.models import (
    PENDING,
    ContactPreference,
    OptOutSource,
    SmsOptOut,
    TextMessage,
    TextStatus,
    Topic,
)
from notifications.phones import normalise_mobile
from notifications.selectors import preference_of
from notifications.sms import cancel_pending_to, queue_sms
from participation.mail import absolute, queue_email, render_email
from participation.models import User
from participation.unsubscribe import InvalidUnsubscribeLink, sign, unsign

STATUS_CHANGE_TEMPLATE = "notifications/emails/status_change"


# Stopping the emails of a topic from the email itself (participation.unsubscribe).
EMAIL_UNSUBSCRIBE_SALT = "notifications.email.unsubscribe"
UNSUBSCRIBE_REASONS = {
    Topic.UPDATES: _(
        "You receive this email because you chose to be told by email what becomes of what you "
        "gave (questions, ideas, applications to the fund)."
    ),
    Topic.REMINDERS: _(
        "You receive this reminder because you chose to be reminded of your meetings by email."
    ),
}


def email_unsubscribe_path(*, user_id: int, topic: str) -> str:
    signed = sign([user_id, str(topic)], salt=EMAIL_UNSUBSCRIBE_SALT)
    return reverse("notifications:email_unsubscribe", kwargs={"signed": signed})


def email_unsubscribe_target(signed: str) -> tuple[int, Topic]:
    """The account and topic a link stops, or InvalidUnsubscribeLink."""
    value = unsign(signed, salt=EMAIL_UNSUBSCRIBE_SALT)
    match value:
        case [int() as user_id, str() as topic] if topic in Topic.values:
            return user_id, Topic(topic)
    raise InvalidUnsubscribeLink()


@transaction.atomic
def email_unsubscribe(*, user_id: int, topic: Topic) -> bool:
    """No more emails of `topic` for the account (its SMS choices stay); True if it had them."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    preference, _created = ContactPreference.objects.select_for_update().get_or_create(user=user)
    field = "email_updates" if topic == Topic.UPDATES else "email_reminders"
    if not getattr(preference, field):
        return False
    setattr(preference, field, False)
    preference.save(update_fields=[field, "updated_at"])
    return True


def notify_resident(
    *,
    topic: Topic,
    subject: str,
    lines: list[str],
    sms_text: str,
    user: User | None = None,
    name: str = "",
    email: str = "",
    phone: str = "",
    link: str = "",
    meeting_id: int | None = None,
    template: str = STATUS_CHANGE_TEMPLATE,
    context: dict | None = None,
) -> None:
    """One message for one change.

    `lines`: the email's sentences (what changed, the reason, the next step); `sms_text`: the same
    in one short sentence (the link to "Mon espace" is added). An account is written to at its
    address when it keeps email for the topic, and by SMS when it chose SMS for it; a guest gets the
    email at `email` (and an SMS at `phone` when they gave a number instead of an email). `link`
    defaults to "Mon espace" for an account. `template` and `context`: a fuller email of the
    caller's (an answer's text), sent with the same choices; the SMS stays `sms_text`.
    """
    preference = preference_of(user)
    if user is not None and not link:
        link = absolute(reverse("account_home"))
    address = email or (user.email if user is not None else "")
    if address and preference.wants_email(topic):
        email_context = {
            **(context or {}),
            "name": name or (user.full_name if user is not None else ""),
            "lines": lines,
            "link": link,
            "is_account": user is not None,
        }
        # An account chose email for the topic, and may stop it from the email. A guest's
        # messages follow what they gave, once, and stop with it: nothing to unsubscribe from.
        unsubscribe_url = ""
        if user is not None:
            unsubscribe_url = absolute(email_unsubscribe_path(user_id=user.pk, topic=topic))
            email_context["unsubscribe_reason"] = UNSUBSCRIBE_REASONS[topic]
        queue_email(
            render_email(
                template,
                subject=subject,
                to=address,
                context=email_context,
                unsubscribe_url=unsubscribe_url,
            )
        )
    number = phone or (preference.phone if preference.wants_sms(topic) else "")
    if number:
        # In the GSM 7-bit alphabet («», …, ê become ", ..., e): 160 characters a message, not 70.
        text = gsm7(f"{sms_text} {link}".strip() if link else sms_text)
        queue_sms(phone=number, text=text, topic=topic, meeting_id=meeting_id)


@transaction.atomic
def forget_phone(phone: str) -> int:
    """Leave no trace of a number in the outbox (account deletion, guest purge): what was still to
    be sent to it is cancelled, and the number and text of every row are blanked. The rows stay,
    so the counts per meeting and per month do not change. Returns the rows blanked."""
    numbers = {phone.strip(), normalise_mobile(phone) or ""} - {""}
    if not numbers:
        return 0
    rows = TextMessage.objects.filter(phone__in=numbers)
    rows.filter(status__in=PENDING).update(
        status=TextStatus.CANCELLED, error="The number was erased."
    )
    return rows.update(phone="", text="")


def sms_opt_outs_forget(numbers: Iterable[str]) -> int:
    """Delete the STOP of numbers the portal no longer holds anywhere (an account deleted, a
    guest's data purged; the callers check that no registration or account still gives them):
    the STOP would only keep the number. Given again, a number comes with a new consent. Returns
    the opt-outs deleted."""
    normalised = {normalise_mobile(number) or number.strip() for number in numbers if number}
    if not normalised:
        return 0
    deleted, _counts = SmsOptOut.objects.filter(phone__in=normalised).delete()
    return deleted


def text_messages_forget_old(*, now: datetime | None = None) -> int:
    """Blank the number and text of SMS written more than SMS_RETENTION_DAYS ago (daily), and never
    later than the guests' data (GUEST_DATA_RETENTION_DAYS): the guest purge leaves no number here."""
    now = now or timezone.now()
    days = min(settings.SMS_RETENTION_DAYS, settings.GUEST_DATA_RETENTION_DAYS)
    limit = now - timedelta(days=days)
    return (
        TextMessage.objects.filter(created_at__lt=limit)
        .exclude(status__in=PENDING)
        .exclude(phone="", text="")
        .update(phone="", text="")
    )


# Consent and opt-out ----------------------------------------------------------------------------


@transaction.atomic
def sms_opt_out(*, phone: str, source: str, now: datetime | None = None) -> SmsOptOut | None:
    """A number wants no more SMS (STOP by SMS, or "Arrêter tous les SMS" in the settings): it is
    recorded, the SMS boxes of the accounts that gave it are unticked, and what was still to be
    sent to it is cancelled (confirmation codes excepted: they are asked for on the spot).
    Returns the opt-out, or None when `phone` is no French mobile number."""
    number = normalise_mobile(phone)
    if number is None:
        return None
    now = now or timezone.now()
    opt_out, _created = SmsOptOut.objects.get_or_create(
        phone=number, defaults={"at": now, "source": source}
    )
    ContactPreference.objects.filter(phone=number).update(
        sms_updates=False, sms_reminders=False, sms_consent_at=None
    )
    cancel_pending_to(number, reason="The number opted out (STOP).")
    return opt_out


@transaction.atomic
def sms_stop_for_account(*, user: User) -> None:
    """ "Arrêter tous les SMS" in the settings: the account's SMS boxes are unticked and its number
    opted out (as by STOP: other accounts and guests giving it get no SMS either)."""
    preference = ContactPreference.objects.select_for_update().filter(user=user).first()
    if preference is None:
        return
    if preference.phone:
        sms_opt_out(phone=preference.phone, source=OptOutSource.SETTINGS)
    preference.sms_updates = preference.sms_reminders = False
    preference.sms_consent_at = None
    preference.save(update_fields=["sms_updates", "sms_reminders", "sms_consent_at", "updated_at"])


@transaction.atomic
def contact_preference_update(
    *,
    user: User,
    email_updates: bool,
    email_reminders: bool,
    phone: str,
    sms_updates: bool,
    sms_reminders: bool,
    now: datetime | None = None,
) -> ContactPreference:
    """Save the account's choices. Ticking an SMS box is an explicit consent, dated: a new one when
    there was none or the number changed, and it lifts an earlier STOP of that number. Unticking
    both withdraws it. `phone` must be a valid French mobile (the form checks it) or empty, and is
    required when an SMS box is ticked."""
    now = now or timezone.now()
    number = normalise_mobile(phone) if phone else ""
    if number is None or ((sms_updates or sms_reminders) and not number):
        raise ValueError("SMS need a French mobile number.")
    preference, _created = ContactPreference.objects.select_for_update().get_or_create(user=user)
    wants_sms = sms_updates or sms_reminders
    had_consent = preference.sms_consent_at is not None and (
        preference.sms_updates or preference.sms_reminders
    )
    if wants_sms and (not had_consent or preference.phone != number):
        preference.sms_consent_at = now
        SmsOptOut.objects.filter(phone=number).delete()
    elif not wants_sms:
        preference.sms_consent_at = None
    preference.email_updates = email_updates
    preference.email_reminders = email_reminders
    preference.phone = number
    preference.sms_updates = sms_updates
    preference.sms_reminders = sms_reminders
    preference.save()
    return preference


def is_stop(text: str) -> bool:
    """An SMS that asks to stop: STOP, "Stop.", "stop sms", "STOP SMS !"... in any case."""
    return bool(_STOP.fullmatch(text.strip().upper().rstrip(".!? \u00a0")))


_STOP = re.compile(r"STOP\s*(?:SMS)?")
