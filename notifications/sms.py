"""SMS to residents (issue 17, item 4): a durable outbox, sent through Celery, never at night.

`queue_sms` writes a `TextMessage` row in the caller's transaction and, once it commits, queues a
thin Celery task that sends it (`notifications.tasks.send_text_message`). The row, not the task, is
the source of truth: a sweep every minute (`text_messages_send_due`, Celery beat) sends the rows
whose time has come and whose task was lost (a Redis restart) or never queued (held for the
morning, retried later). Sending locks the row (`select_for_update(skip_locked=True)`) and checks
its status, so a message goes out once even when the task and the sweep reach it together.

- Never at night: a message written between 20:00 and 09:00 (Paris) waits until 09:00, and one
  found at night by the sweep waits too. Confirmation codes are the exception: the person is on
  the page, waiting for it.
- A number that sent STOP (`SmsOptOut`) gets nothing: its rows are kept, cancelled. Codes again
  excepted: the person typed the number and asked for the code a moment ago.
- Provider or network errors are retried after SMS_RETRY_DELAY (one hour), then twice as long
  each time, SMS_MAX_ATTEMPTS in all; then the message is marked failed. Codes are retried after a
  minute, three times at most: a late code is useless.
"""

from __future__ import annotations

import logging
import time as clock
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.backends import OutgoingSms, SmsRejected, SmsTemporaryError, get_backend
from notifications.gsm import describe_length, sms_text
from notifications.models import SmsOptOut, TextKind, TextMessage, TextStatus
from notifications.phones import masked, normalise_mobile
from participation.celery import task_named

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
QUIET_FROM = time(20, 0)
QUIET_UNTIL = time(9, 0)
# A confirmation code retried for longer than this would arrive after it expired.
CODE_MAX_ATTEMPTS = 3


def current_time() -> datetime:
    """The clock of the outbox (a module function, so that a test can set the hour)."""
    return timezone.now()


# Quiet hours ------------------------------------------------------------------------------------


def morning_after(moment: datetime) -> datetime | None:
    """The 09:00 (Paris) that ends the night `moment` falls in, or None in the daytime."""
    local = moment.astimezone(PARIS)
    if local.time() >= QUIET_FROM:
        day = local.date() + timedelta(days=1)
    elif local.time() < QUIET_UNTIL:
        day = local.date()
    else:
        return None
    return datetime.combine(day, QUIET_UNTIL, tzinfo=PARIS)


def earliest_send_time(moment: datetime, *, topic: str) -> datetime:
    """`moment`, or the next morning when it falls at night (never for a confirmation code)."""
    if topic == TextKind.CODE:
        return moment
    return morning_after(moment) or moment


def is_opted_out(phone: str) -> bool:
    return bool(phone) and SmsOptOut.objects.filter(phone=phone).exists()


# Writing ----------------------------------------------------------------------------------------


def queue_sms(
    *,
    phone: str,
    text: str,
    topic: str,
    meeting_id: int | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> TextMessage:
    """Write one SMS in the caller's transaction; it is sent after the commit.

    `phone`: a French mobile number in any usual form (normalised to E.164; another number gives a
    cancelled row, never an error for the caller). `topic`: a `TextKind` value ("updates",
    "reminders", "code"). `not_before`: do not send earlier. `expires_at`: do not send later
    (confirmation codes default to SMS_CODE_LIFETIME from now). `dedupe_key`: a second call with
    the same key returns the first row and queues nothing. Returns the row.
    """
    if topic not in TextKind.values:
        raise ValueError(f"Unknown SMS purpose {topic!r}.")
    now = now or current_time()
    if dedupe_key:
        existing = TextMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    number = normalise_mobile(phone)
    text = sms_text(text)
    length = describe_length(text)
    wanted = max(now, not_before) if not_before else now
    send_at = earliest_send_time(wanted, topic=topic)
    if topic == TextKind.CODE and expires_at is None:
        expires_at = now + timedelta(seconds=settings.SMS_CODE_LIFETIME)
    message = TextMessage(
        phone=number or phone.strip()[:20],
        text=text,
        topic=topic,
        meeting_id=meeting_id,
        status=TextStatus.HELD if send_at > wanted else TextStatus.QUEUED,
        encoding=length.encoding,
        segments=length.segments,
        not_before=send_at,
        expires_at=expires_at,
        dedupe_key=dedupe_key or None,
        created_at=now,
    )
    if number is None:
        message.status, message.error = TextStatus.CANCELLED, "Not a French mobile number."
    elif not text.strip():
        message.status, message.error = TextStatus.CANCELLED, "Empty text."
    elif topic != TextKind.CODE and is_opted_out(number):
        message.status, message.error = TextStatus.CANCELLED, "The number opted out (STOP)."
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # The same key written at the same moment by another transaction, now committed.
        if dedupe_key:
            return TextMessage.objects.get(dedupe_key=dedupe_key)
        raise
    if message.status in (TextStatus.QUEUED, TextStatus.HELD):
        message_id, eta = message.pk, message.not_before
        transaction.on_commit(lambda: _send_later(message_id, eta, now))
    return message


def _send_later(message_id: int, eta: datetime, now: datetime) -> None:
    """Queue the task. A message due much later is left to the sweep: Redis hands an unacknowledged
    task to another worker after the visibility timeout, so a long countdown would be run twice
    (harmless, the send is idempotent, but wasteful)."""
    send = task_named("notifications.tasks.send_text_message")
    delay = (eta - now).total_seconds()
    try:
        if delay <= 1:
            send.delay(message_id)
        elif delay <= settings.SMS_LONGEST_COUNTDOWN:
            send.apply_async(args=[message_id], eta=eta)
    except Exception:
        # The row is committed: the sweep will send it. The caller's page must not fail for it.
        logger.exception("SMS %s: task not queued, the sweep will send it.", message_id)


# Sending ----------------------------------------------------------------------------------------


def _retry_delay(message: TextMessage) -> timedelta | None:
    """How long before the next try, or None when the message has had all its attempts."""
    if message.topic == TextKind.CODE:
        if message.attempts >= CODE_MAX_ATTEMPTS:
            return None
        return timedelta(seconds=60 * 2 ** (message.attempts - 1))
    if message.attempts >= settings.SMS_MAX_ATTEMPTS:
        return None
    return timedelta(seconds=settings.SMS_RETRY_DELAY * 2 ** (message.attempts - 1))


def _why_not_now(message: TextMessage, now: datetime) -> str:
    """A reason to cancel the message instead of sending it, or ""."""
    if message.expires_at and now >= message.expires_at:
        return "Expired before it could be sent."
    if message.topic == TextKind.REMINDERS and message.meeting_id is not None:
        starts_at = (
            TextMessage.objects.filter(pk=message.pk).values_list("meeting__starts_at", flat=True)
        ).first()
        if starts_at and now >= starts_at:
            return "The meeting had started."
    if message.topic != TextKind.CODE and is_opted_out(message.phone):
        return "The number opted out (STOP)."
    return ""


def text_message_send(*, message_id: int, now: datetime | None = None) -> str:
    """Send one queued message if its time has come; returns what happened ("sent", "failed",
    "retry", "held", "cancelled", "not due", or "skipped" when it is sent, cancelled or being
    sent by another worker)."""
    now = now or current_time()
    with transaction.atomic():
        message = (
            TextMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .pending()
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            return "skipped"
        if message.not_before > now:
            return "not due"
        reason = _why_not_now(message, now)
        if reason:
            message.status, message.error = TextStatus.CANCELLED, reason
            message.save(update_fields=["status", "error"])
            return "cancelled"
        morning = morning_after(now) if message.topic != TextKind.CODE else None
        if morning is not None:
            message.status, message.not_before = TextStatus.HELD, morning
            message.save(update_fields=["status", "not_before"])
            return "held"
        return _deliver(message, now)


def _deliver(message: TextMessage, now: datetime) -> str:
    sms = OutgoingSms(
        message_id=message.pk,
        phone=message.phone,
        text=message.text,
        topic=message.topic,
        encoding=message.encoding,
        segments=message.segments,
    )
    message.attempts += 1
    fields = ["attempts", "status", "error", "not_before", "provider_ref", "sent_at"]
    try:
        message.provider_ref = get_backend().send(sms)
    except SmsTemporaryError as error:
        message.error = str(error)[:500]
        delay = _retry_delay(message)
        if delay is None:
            message.status = TextStatus.FAILED
            logger.warning("SMS %s to %s failed: %s", message.pk, masked(message.phone), error)
            message.save(update_fields=fields)
            return "failed"
        next_try = now + delay
        send_at = earliest_send_time(next_try, topic=message.topic)
        message.status = TextStatus.HELD if send_at > next_try else TextStatus.QUEUED
        message.not_before = send_at
        message.save(update_fields=fields)
        return "retry"
    except SmsRejected as error:
        message.status, message.error = TextStatus.FAILED, str(error)[:500]
        logger.warning("SMS %s to %s refused: %s", message.pk, masked(message.phone), error)
        message.save(update_fields=fields)
        return "failed"
    message.status, message.sent_at, message.error = TextStatus.SENT, now, ""
    message.save(update_fields=fields)
    return "sent"


def text_messages_send_due(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep (Celery beat, every minute): send the rows whose time has come.

    Rows of the last minute are left to their own task, queued on commit. The sweep stops after
    SMS_SWEEP_SECONDS so that two sweeps barely overlap while a provider is slow; what is left
    waits for the next one. Returns the count of each outcome.
    """
    now = now or current_time()
    started = clock.monotonic()
    ids = list(
        TextMessage.objects.due(now - timedelta(seconds=60))
        .order_by("not_before", "pk")
        .values_list("pk", flat=True)[: settings.SMS_SWEEP_BATCH]
    )
    outcomes: Counter[str] = Counter()
    for message_id in ids:
        if clock.monotonic() - started > settings.SMS_SWEEP_SECONDS:
            break
        outcomes[text_message_send(message_id=message_id, now=now)] += 1
    return dict(outcomes)


def cancel_pending_to(phone: str, *, reason: str, keep_codes: bool = True) -> int:
    """Cancel what is still to be sent to a number (after STOP); returns the count."""
    rows = TextMessage.objects.pending().filter(phone=phone)
    if keep_codes:
        rows = rows.exclude(topic=TextKind.CODE)
    return rows.update(status=TextStatus.CANCELLED, error=reason)
