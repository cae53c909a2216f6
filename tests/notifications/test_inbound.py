"""The inbound SMS webhook: a reply STOP opts the number out; a wrong secret is a 404; malformed
input a 400, never a 500."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from notifications.models import ContactPreference, SmsOptOut, TextKind, TextMessage, TextStatus
from notifications.services import is_stop
from notifications.sms import queue_sms
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cret-webhook-0123456789abcdef"
NUMBER = "+33612345678"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SMS_INBOUND_SECRET = SECRET


def _post(client, payload, *, secret=SECRET, raw=None):
    return client.post(
        reverse("notifications:inbound_sms", args=[secret]),
        data=raw if raw is not None else json.dumps(payload),
        content_type="application/json",
    )


def brevo_reply(text: str, to: str = "33612345678") -> dict:
    """A reply event as Brevo's transactional SMS webhook sends it."""
    return {
        "id": 26570,
        "to": to,
        "sms_count": 1,
        "credits_used": 0,
        "messageId": 1511882900176220,
        "msg_status": "replied",
        "date": "2026-01-15 10:00:00",
        "type": "transactional",
        "reference": {"1": "ab1cde2fgh3i4jklmno"},
        "reply": text,
        "ts_event": 1768467600,
    }


@pytest.mark.parametrize(
    "text", ["STOP", "stop", "Stop.", "STOP SMS", "stop sms", "Stop Sms !", " STOP\n", "STOPSMS"]
)
def test_stop_in_any_form(text):
    assert is_stop(text)


@pytest.mark.parametrize("text", ["Stop texting me", "merci", "", "STOPPER", "NON STOP"])
def test_other_replies_are_not_stop(text):
    assert not is_stop(text)


def test_stop_opts_the_number_out_everywhere(client, clock):
    user = UserFactory()
    ContactPreference.objects.create(
        user=user, phone=NUMBER, sms_updates=True, sms_reminders=True, sms_consent_at=clock.now
    )
    queued = queue_sms(phone=NUMBER, text="Rappel : demain 18h", topic=TextKind.REMINDERS)
    code = queue_sms(phone=NUMBER, text="Votre code : 123456", topic=TextKind.CODE)
    response = _post(client, brevo_reply("Stop."))
    assert response.status_code == 200
    opt_out = SmsOptOut.objects.get()
    assert (opt_out.phone, opt_out.source) == (NUMBER, "keyword")
    preference = ContactPreference.objects.get(user=user)
    assert (preference.sms_updates, preference.sms_reminders) == (False, False)
    assert preference.sms_consent_at is None
    queued.refresh_from_db()
    assert queued.status == TextStatus.CANCELLED
    code.refresh_from_db()
    assert code.status == TextStatus.QUEUED
    # Later messages are cancelled as they are written.
    later = queue_sms(phone=NUMBER, text="Votre question a reçu une réponse.", topic="updates")
    assert later.status == TextStatus.CANCELLED


def test_a_batch_of_events_and_other_events_are_acknowledged(client):
    delivered = {**brevo_reply(""), "msg_status": "delivered"}
    delivered.pop("reply")
    response = _post(
        client, [delivered, brevo_reply("Merci !"), brevo_reply("STOP", "33781234567")]
    )
    assert response.status_code == 200
    assert list(SmsOptOut.objects.values_list("phone", flat=True)) == ["+33781234567"]


def test_an_inbound_message_named_from_is_read_too(client):
    response = _post(client, {"from": "+33612345678", "to": "38100", "text": "STOP"})
    assert response.status_code == 200
    assert SmsOptOut.objects.filter(phone=NUMBER).exists()


def test_stop_twice_keeps_one_opt_out(client):
    _post(client, brevo_reply("STOP"))
    _post(client, brevo_reply("STOP SMS"))
    assert SmsOptOut.objects.count() == 1


@pytest.mark.parametrize("secret", ["wrong", SECRET[:-1], SECRET + "x"])
def test_a_wrong_secret_is_a_404(client, secret):
    assert _post(client, brevo_reply("STOP"), secret=secret).status_code == 404
    assert not SmsOptOut.objects.exists()


def test_no_secret_configured_turns_the_webhook_off(client, settings):
    settings.SMS_INBOUND_SECRET = ""
    assert _post(client, brevo_reply("STOP")).status_code == 404


def test_the_webhook_takes_no_csrf_token(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert _post(strict, brevo_reply("STOP")).status_code == 200


def test_get_is_not_allowed(client):
    response = client.get(reverse("notifications:inbound_sms", args=[SECRET]))
    assert response.status_code == 405


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "{",
        "not json",
        "[1, 2]",
        '"STOP"',
        "42",
        "[]",
        "null",
        b"\xff\xfe{}",
        json.dumps([{"to": "33612345678", "reply": "STOP", "msg_status": "replied"}] * 501),
    ],
)
def test_malformed_input_is_a_400_and_changes_nothing(client, raw):
    response = _post(client, None, raw=raw)
    assert response.status_code == 400
    assert not SmsOptOut.objects.exists()


@pytest.mark.parametrize(
    "event",
    [
        {"to": 33612345678, "reply": "STOP", "msg_status": "replied"},  # a number, not a string
        {"to": None, "reply": "STOP", "msg_status": "replied"},
        {"to": "0247216000", "reply": "STOP", "msg_status": "replied"},  # a landline
        {"to": ["33612345678"], "reply": {"text": "STOP"}, "msg_status": "replied"},
        {"to": "33612345678", "reply": "STOP", "msg_status": 12},
        {},
    ],
)
def test_odd_events_never_fail(client, event):
    response = _post(client, event)
    assert response.status_code == 200
    assert SmsOptOut.objects.filter(phone=NUMBER).count() <= 1
    assert not TextMessage.objects.exists()
