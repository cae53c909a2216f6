"""Fixtures of the SMS tests: a clock set to a chosen Paris time, and a backend that fails."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from notifications import sms
from notifications.backends import OutgoingSms, SmsBackend, SmsRejected, SmsTemporaryError

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


class Clock:
    def __init__(self) -> None:
        self.now = paris(2026, 1, 15, 10, 0)

    def set(self, *args: int) -> datetime:
        self.now = paris(*args)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The outbox's clock (notifications.sms.current_time), at 10:00 on a Thursday unless set."""
    the_clock = Clock()
    monkeypatch.setattr(sms, "current_time", lambda: the_clock.now)
    return the_clock


class TroubledBackend(SmsBackend):
    """Fails as told: `TroubledBackend.failures` lists the errors of the next sends."""

    failures: list[Exception] = []
    sent: list[OutgoingSms] = []

    def send(self, message: OutgoingSms) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return "ok"


@pytest.fixture
def troubled_backend(settings) -> type[TroubledBackend]:
    settings.SMS_BACKEND = "tests.notifications.conftest.TroubledBackend"
    TroubledBackend.failures = []
    TroubledBackend.sent = []
    return TroubledBackend


def provider_down() -> SmsTemporaryError:
    return SmsTemporaryError("Provider answered 503")


def refused() -> SmsRejected:
    return SmsRejected("Provider answered 400: invalid_parameter")
