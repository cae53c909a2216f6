"""Tell a resident that something they gave changed: by email and/or SMS, as they chose (issue 17).

`notify_resident` is the one door: the apps call it inside their transaction, at the change. The
message is short (what changed, in one or two sentences) and links to "Mon espace" for accounts, or
to the page given for guests. The email is queued on commit (participation.mail), the SMS too
(notifications.sms).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import PENDING, ContactPreference, TextMessage, TextStatus, Topic
from notifications.phones import normalise_mobile
from notifications.sms import queue_sms
from participation.mail import absolute, queue_email, render_email
from participation.models import User

STATUS_CHANGE_TEMPLATE = "notifications/emails/status_change"


def preference_of(user: User | None) -> ContactPreference:
    """The account's choices, or the defaults (email only) for a guest or an account never asked."""
    if user is None or user.pk is None:
        return ContactPreference()
    return ContactPreference.objects.filter(user=user).first() or ContactPreference(user=user)


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
) -> None:
    """One message for one change.

    `lines`: the email's sentences (what changed, the reason, the next step); `sms_text`: the same
    in one short sentence (the link to "Mon espace" is added). An account is written to at its
    address when it keeps email for the topic, and by SMS when it chose SMS for it; a guest gets the
    email at `email` (and an SMS at `phone` when they gave a number instead of an email). `link`
    defaults to "Mon espace" for an account.
    """
    preference = preference_of(user)
    if user is not None and not link:
        link = absolute(reverse("account_home"))
    address = email or (user.email if user is not None else "")
    if address and preference.wants_email(topic):
        context = {
            "name": name or (user.full_name if user is not None else ""),
            "lines": lines,
            "link": link,
            "is_account": user is not None,
        }
        queue_email(
            render_email(STATUS_CHANGE_TEMPLATE, subject=subject, to=address, context=context)
        )
    number = phone or (preference.phone if preference.wants_sms(topic) else "")
    if number:
        text = f"{sms_text} {link}".strip() if link else sms_text
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


def text_messages_forget_old(*, now: datetime | None = None) -> int:
    """Blank the number and text of SMS written more than SMS_RETENTION_DAYS ago (daily)."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.SMS_RETENTION_DAYS)
    return (
        TextMessage.objects.filter(created_at__lt=limit)
        .exclude(status__in=PENDING)
        .exclude(phone="", text="")
        .update(phone="", text="")
    )
