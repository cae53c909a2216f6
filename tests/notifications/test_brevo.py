"""The Brevo backend against a local stub of Brevo's API (http.server on 127.0.0.1, random port):
the stub checks the method, the path, the headers and the JSON body, as Brevo documents them."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.models import TextMessage, TextStatus
from notifications.sms import queue_sms, text_message_send, text_messages_send_due

pytestmark = pytest.mark.django_db

API_KEY = "xkeysib-test-0123456789"


class StubBrevo(ThreadingHTTPServer):
    """Answers each POST with the next of `answers` (status, JSON body) and records the request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.answers: list[tuple[int, dict]] = []
        self.requests: list[dict] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v3"


class StubHandler(BaseHTTPRequestHandler):
    server: StubBrevo

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": {key.lower(): value for key, value in self.headers.items()},
                "body": json.loads(self.rfile.read(length)),
            }
        )
        status, answer = self.server.answers.pop(0)
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args) -> None:  # quiet: the test reads `requests`
        pass


@pytest.fixture
def brevo(settings):
    server = StubBrevo()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "notifications.backends.BrevoSmsBackend"
    settings.SMS_BREVO_API_URL = server.base_url
    settings.SMS_BREVO_API_KEY = API_KEY
    settings.SMS_SENDER = "Quartiers"
    settings.SMS_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _queue(text="Votre question a été transmise à Tours Habitat.", **kwargs):
    return queue_sms(phone="06 12 34 56 78", text=text, topic="updates", **kwargs)


def test_a_message_is_posted_as_brevo_documents_it(clock, brevo):
    brevo.answers = [(201, {"messageId": 1511882900176220})]
    message = _queue()
    assert text_message_send(message_id=message.pk) == "sent"
    [request] = brevo.requests
    assert request["method"] == "POST"
    assert request["path"] == "/v3/transactionalSMS/send"
    assert request["headers"]["api-key"] == API_KEY
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["accept"] == "application/json"
    assert request["body"] == {
        "sender": "Quartiers",
        "recipient": "33612345678",
        "content": "Votre question a été transmise à Tours Habitat.",
        "type": "transactional",
        "tag": "qed-updates",
        "unicodeEnabled": False,
    }
    message.refresh_from_db()
    assert message.status == TextStatus.SENT
    assert message.provider_ref == "1511882900176220"


def test_a_ucs2_text_is_sent_as_unicode(clock, brevo):
    """Else Brevo would turn ê into e, and the segments billed would not be the ones counted."""
    brevo.answers = [(201, {"messageId": 7})]
    message = _queue(text="Fête du quartier samedi")
    assert text_message_send(message_id=message.pk) == "sent"
    assert brevo.requests[0]["body"]["unicodeEnabled"] is True
    assert brevo.requests[0]["body"]["content"] == "Fête du quartier samedi"


def test_the_former_endpoints_answer_is_read_too(clock, brevo):
    brevo.answers = [
        (201, {"reference": "ab1cde2fgh3i4jklmno", "messageId": 42, "smsCount": 1}),
    ]
    message = _queue()
    text_message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.provider_ref == "42"


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (500, {"code": "internal_error", "message": "Internal error"}),
        (503, {}),
        (429, {"code": "too_many_requests", "message": "Rate limit"}),
        (402, {"code": "not_enough_credits", "message": "Not enough credits"}),
    ],
)
def test_provider_errors_are_retried_an_hour_later(clock, brevo, status, answer):
    brevo.answers = [(status, answer), (201, {"messageId": 9})]
    message = _queue()
    assert text_message_send(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (TextStatus.QUEUED, 1)
    assert message.error.startswith(f"Brevo answered {status}")
    assert message.not_before == clock.now + timedelta(hours=1)
    assert text_messages_send_due(now=clock.now + timedelta(minutes=30)) == {}
    assert text_messages_send_due(now=clock.now + timedelta(hours=1, minutes=1)) == {"sent": 1}
    assert len(brevo.requests) == 2
    message.refresh_from_db()
    assert (message.status, message.provider_ref, message.error) == (TextStatus.SENT, "9", "")


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (400, {"code": "invalid_parameter", "message": "Invalid recipient"}),
        (401, {"code": "unauthorized", "message": "Key not found"}),
    ],
)
def test_a_refused_request_fails_and_is_not_retried(clock, brevo, status, answer):
    brevo.answers = [(status, answer)]
    message = _queue()
    assert text_message_send(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == TextStatus.FAILED
    assert message.error == f"Brevo answered {status}: {answer['code']} {answer['message']}"
    assert text_messages_send_due(now=clock.now + timedelta(days=2)) == {}
    assert len(brevo.requests) == 1


def test_an_unreachable_provider_is_retried(clock, brevo, settings):
    brevo.answers = []
    settings.SMS_BREVO_API_URL = "http://127.0.0.1:9/v3"  # the discard port: nobody listens
    message = _queue()
    assert text_message_send(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert message.error.startswith("Brevo unreachable")
    assert TextMessage.objects.get().status == TextStatus.QUEUED
