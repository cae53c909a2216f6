"""Emails through a real SMTP server on localhost (aiosmtpd), and a mail server that is down."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from celery.exceptions import Retry
from icalendar import Calendar

from dialogue.models import Registration, RegistrationStatus
from dialogue.services.registrations import registration_create
from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.fixture
def smtp_server(smtp_settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def test_confirmation_goes_through_a_real_smtp_server(
    smtp_server, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(title="Rencontre par SMTP")
    resident = UserFactory(full_name="Nadia Haddad", email="nadia@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(
            meeting=meeting, user=resident, name=resident.full_name, email=resident.email
        )

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["nadia@example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert "Rencontre par SMTP" in message["Subject"]
    assert message["To"] == "nadia@example.org"
    parts = {part.get_content_type(): part for part in message.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= set(parts)
    assert "Nadia Haddad," in parts["text/plain"].get_content()
    assert "Rencontre par SMTP" in parts["text/html"].get_content()
    calendar_part = parts["text/calendar"]
    assert calendar_part.get_filename() == "rencontre.ics"
    [event] = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert str(event["summary"]) == "Rencontre par SMTP"


def test_a_mail_server_that_is_down_is_retried_and_loses_no_registration(
    smtp_settings, django_capture_on_commit_callbacks, caplog
):
    # Nothing listens on smtp_settings.EMAIL_PORT: the connection is refused. With a broker the
    # task is retried later (next test); eagerly, the failure is logged and the page still works.
    meeting = MeetingFactory()
    resident = UserFactory(email="patience@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(meeting=meeting, user=resident, name="Patience", email=resident.email)
    assert "not sent (no broker to retry it)" in caplog.text
    # The email is queued once the registration is saved: its failure cannot undo the seat.
    registration = Registration.objects.get(email="patience@example.org")
    assert registration.status == RegistrationStatus.CONFIRMED


def test_the_send_task_itself_asks_for_a_retry(smtp_settings):
    from participation.mail import OutgoingEmail
    from participation.tasks import send_email

    payload = {
        "subject": "Essai",
        "body": "Corps",
        "to": ["quelqu-un@example.org"],
        "from_email": None,
        "html": None,
        "headers": {},
        "attachments": [],
    }
    assert set(payload) == set(OutgoingEmail.__dataclass_fields__)
    with pytest.raises(Retry):
        send_email.delay(payload)


def test_list_unsubscribe_headers_reach_the_smtp_server(
    smtp_server, django_capture_on_commit_callbacks
):
    """The headers travel in the Celery payload (OutgoingEmail, JSON) and come out on the wire."""
    from django.conf import settings

    from notifications.models import Topic
    from notifications.services import email_unsubscribe_path, notify_resident

    resident = UserFactory(email="ines@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notify_resident(
            topic=Topic.UPDATES,
            subject="Votre idée est publiée",
            lines=["Votre idée est publiée."],
            sms_text="Votre idée est publiée.",
            user=resident,
        )
    [envelope] = smtp_server.envelopes
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    url = settings.SITE_URL + email_unsubscribe_path(user_id=resident.pk, topic=Topic.UPDATES)
    # A long header is folded before the URL (whitespace RFC 2369 allows), never inside it.
    assert message["List-Unsubscribe"].strip() == f"<{url}>"
    assert f"<{url}>".encode() in envelope.original_content
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
