"""No phone number left in the SMS outbox: account deletion, old messages; the counts stay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.models import ContactPreference, TextMessage, TextStatus
from notifications.selectors import sms_count_for_meeting
from notifications.services import forget_phone, text_messages_forget_old
from notifications.sms import queue_sms
from portal.services import account_delete
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db

NUMBER = "+33612345678"


def _sent(phone=NUMBER, *, meeting=None, created_at=None, status=TextStatus.SENT):
    created_at = created_at or paris_now()
    return TextMessage.objects.create(
        phone=phone,
        text="Rappel : rencontre demain à 18h.",
        topic="reminders",
        meeting=meeting,
        status=status,
        segments=1,
        not_before=created_at,
        created_at=created_at,
        sent_at=created_at if status == TextStatus.SENT else None,
    )


def paris_now():
    from django.utils import timezone

    return timezone.now()


def test_forget_phone_blanks_the_number_and_text_and_keeps_the_counts():
    meeting = MeetingFactory()
    sent = _sent(meeting=meeting)
    failed = _sent(status=TextStatus.FAILED)
    other = _sent("+33781234567")
    pending = queue_sms(phone="06 12 34 56 78", text="Bientôt", topic="updates")
    assert forget_phone("06 12 34 56 78") == 3
    for message in (sent, failed, pending):
        message.refresh_from_db()
        assert (message.phone, message.text) == ("", "")
    pending.refresh_from_db()
    assert pending.status == TextStatus.CANCELLED
    other.refresh_from_db()
    assert other.phone == "+33781234567"
    assert sms_count_for_meeting(meeting.pk) == (1, 1)


def test_account_deletion_leaves_no_number_in_the_outbox():
    user = UserFactory()
    ContactPreference.objects.create(user=user, phone=NUMBER, sms_updates=True)
    registration = RegistrationFactory(user=user, phone="07 81 23 45 67")
    _sent(NUMBER)
    _sent("+33781234567", meeting=registration.meeting)
    stranger = _sent("+33699999999")
    account_delete(user=user)
    assert set(TextMessage.objects.values_list("phone", flat=True)) == {"", "+33699999999"}
    assert not TextMessage.objects.filter(text__contains="Rappel").exclude(pk=stranger.pk).exists()


def test_old_messages_lose_number_and_text(settings):
    settings.SMS_RETENTION_DAYS = 90
    from django.utils import timezone

    now = timezone.now()
    old = _sent(created_at=now - timedelta(days=91))
    recent = _sent(created_at=now - timedelta(days=89))
    waiting = _sent(created_at=now - timedelta(days=91), status=TextStatus.QUEUED)
    assert text_messages_forget_old(now=now) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    waiting.refresh_from_db()
    assert (old.phone, old.text, old.status) == ("", "", TextStatus.SENT)
    assert recent.phone == NUMBER
    assert waiting.phone == NUMBER


def test_never_kept_longer_than_the_guests_data(settings):
    settings.SMS_RETENTION_DAYS = 400
    settings.GUEST_DATA_RETENTION_DAYS = 30
    from django.utils import timezone

    now = timezone.now()
    old = _sent(created_at=now - timedelta(days=31))
    assert text_messages_forget_old(now=now) == 1
    old.refresh_from_db()
    assert old.phone == ""
