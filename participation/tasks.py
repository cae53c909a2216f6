import smtplib
import socket

from celery import shared_task

from participation.mail import OutgoingEmail


@shared_task(
    autoretry_for=(smtplib.SMTPException, socket.error, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=12,
)
def send_email(payload: dict) -> None:
    """Deliver one email; a mail server that is down is retried for about six hours."""
    attachments = [tuple(item) for item in payload.pop("attachments", [])]
    OutgoingEmail(**payload, attachments=attachments).to_message().send()
