"""Celery tasks of the SMS outbox: thin wrappers, the rows hold the state (notifications.sms)."""

from celery import shared_task

from notifications.services import text_messages_forget_old
from notifications.sms import text_message_send, text_messages_send_due


@shared_task
def send_text_message(message_id: int) -> str:
    """Send one SMS, queued on commit by queue_sms. Retries are rows set for later, not Celery
    retries: they survive a Redis restart, and the sweep sends them."""
    return text_message_send(message_id=message_id)


@shared_task
def send_due_text_messages() -> dict[str, int]:
    """Every minute (beat): the SMS whose time came (morning, retry) or whose task was lost."""
    return text_messages_send_due()


@shared_task
def forget_old_text_messages() -> int:
    """Daily: the numbers and texts of old SMS are blanked (SMS_RETENTION_DAYS)."""
    return text_messages_forget_old()
