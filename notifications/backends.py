"""SMS backends: how a message leaves (settings.SMS_BACKEND, a dotted path).

- `FileSmsBackend`, the local run's and the default: one file per message under var/sms/, its path
  printed on the console (like the emails in var/mail/).
- `LocmemSmsBackend`: the tests' outbox (`notifications.backends.outbox`).
- `BrevoSmsBackend`: Brevo's transactional SMS API, for production.

A backend raises `SmsTemporaryError` when trying again later may work (network, provider down,
rate limit, no credits left) and `SmsRejected` when it will not (a refused number, a bad request):
the outbox retries the first and marks the message failed on the second.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The message was not sent."""


class SmsTemporaryError(SmsError):
    """Not sent this time; the same message may go later."""


class SmsRejected(SmsError):
    """Not sent and never will be as it is."""


@dataclass(frozen=True)
class OutgoingSms:
    """What a backend needs: no model, so that a backend can be tested alone."""

    message_id: int
    phone: str  # E.164
    text: str
    topic: str
    encoding: str  # gsm7 or ucs2
    segments: int


class SmsBackend:
    def send(self, sms: OutgoingSms) -> str:
        """Send one message; return the provider's reference (may be empty)."""
        raise NotImplementedError


class FileSmsBackend(SmsBackend):
    """One text file per message in settings.SMS_FILE_PATH (var/sms/)."""

    def send(self, sms: OutgoingSms) -> str:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stamp}-{sms.message_id}.txt"
        path.write_text(
            f"To: {sms.phone}\n"
            f"Purpose: {sms.topic}\n"
            f"Encoding: {sms.encoding}, {sms.segments} segment(s)\n"
            f"\n{sms.text}\n",
            encoding="utf-8",
        )
        # Printed rather than logged, as for the emails, so that `make run` shows where to read it.
        print(f"SMS written to {path}", flush=True)
        return path.name


outbox: list[OutgoingSms] = []


class LocmemSmsBackend(SmsBackend):
    """The tests' outbox: messages are appended to `notifications.backends.outbox`."""

    def send(self, sms: OutgoingSms) -> str:
        outbox.append(sms)
        return f"locmem-{len(outbox)}"


class BrevoSmsBackend(SmsBackend):
    """Brevo's transactional SMS API (https://developers.brevo.com, "Send transactional SMS").

    POST {SMS_BREVO_API_URL}/transactionalSMS/send with the `api-key` header and a JSON body:
    `sender` (3 to 11 letters and digits), `recipient` (the number with its country code, no +),
    `content`, `type` ("transactional": never the marketing rules nor a STOP code added), `tag`,
    and `unicodeEnabled` (true for a UCS-2 text: false would make Brevo turn ê into e, and the
    segments counted here would no longer be the ones billed). The answer (201) carries
    `messageId`; the former endpoint, /transactionalSMS/sms (deprecated by Brevo, same body), also
    `reference` and `smsCount`. Errors answer `{"code": ..., "message": ...}` with a 4xx or 5xx.
    """

    path = "/transactionalSMS/send"
    # Worth trying again: too many requests, no credits left (until they are bought), the
    # provider's own failures. Any other 4xx (invalid_parameter, unauthorized...) will not change.
    retry_statuses = frozenset({402, 408, 425, 429})

    def __init__(self) -> None:
        self.url = settings.SMS_BREVO_API_URL.rstrip("/") + self.path
        self.api_key = settings.SMS_BREVO_API_KEY
        self.sender = settings.SMS_SENDER
        self.timeout = settings.SMS_TIMEOUT

    def payload(self, sms: OutgoingSms) -> dict:
        return {
            "sender": self.sender,
            "recipient": sms.phone.removeprefix("+"),
            "content": sms.text,
            "type": "transactional",
            "tag": f"qed-{sms.topic}",
            "unicodeEnabled": sms.encoding == "ucs2",
        }

    def send(self, sms: OutgoingSms) -> str:
        request = urllib.request.Request(  # noqa: S310  # the URL is https:// or http:// (env_http_url)
            self.url,
            data=json.dumps(self.payload(sms)).encode(),
            method="POST",
            headers={
                "api-key": self.api_key,
                "accept": "application/json",
                "content-type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as error:
            detail = _error_detail(error)
            if error.code >= 500 or error.code in self.retry_statuses:
                raise SmsTemporaryError(f"Brevo answered {error.code}: {detail}") from None
            raise SmsRejected(f"Brevo answered {error.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise SmsTemporaryError(f"Brevo unreachable: {error}") from None
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            answer = {}
        reference = answer.get("messageId") or answer.get("reference") or ""
        return str(reference)[:100]


def _error_detail(error: urllib.error.HTTPError) -> str:
    try:
        answer = json.loads(error.read(2000) or b"{}")
    except (ValueError, OSError):
        return error.reason or ""
    if isinstance(answer, dict):
        return f"{answer.get('code', '')} {answer.get('message', '')}".strip()[:300]
    return ""


@cache
def _backend_class(path: str) -> type[SmsBackend]:
    return import_string(path)


def get_backend() -> SmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
