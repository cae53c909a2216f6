import smtplib
import socket

from celery import shared_task
from django.conf import settings

from participation.mail import OutgoingEmail


@shared_task(
    autoretry_for=(smtplib.SMTPException, socket.error, ConnectionError, TimeoutError),
    # 30 s then doubling up to 30 min in production (EMAIL_RETRY_DELAY = 30).
    retry_backoff=settings.EMAIL_RETRY_DELAY,
    retry_backoff_max=60 * settings.EMAIL_RETRY_DELAY,
    max_retries=12,
)
def send_email(payload: dict) -> None:
    """Deliver one email; a mail server that is down is retried for about six hours."""
    attachments = [tuple(item) for item in payload.pop("attachments", [])]
    OutgoingEmail(**payload, attachments=attachments).to_message().send()


@shared_task
def purge_ended_sessions() -> tuple[int, int]:
    from participation.services import ended_sessions_purge

    return ended_sessions_purge()
