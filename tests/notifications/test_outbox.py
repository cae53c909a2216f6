"""The SMS outbox: a row written with the change, sent on commit through Celery, never at night,
never twice, never to a number that sent STOP; retried for hours, then failed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from notifications.models import SmsOptOut, TextKind, TextMessage, TextStatus
from notifications.sms import queue_sms, text_message_send, text_messages_send_due
from tests.dialogue.factories import MeetingFactory
from tests.notifications.conftest import paris, provider_down, refused

pytestmark = pytest.mark.django_db

PHONE = "06 12 34 56 78"
NUMBER = "+33612345678"


def _queue(**kwargs):
    values = {"phone": PHONE, "text": "Votre question a reçu une réponse.", "topic": "updates"}
    return queue_sms(**{**values, **kwargs})


def test_the_row_is_written_and_sent_once_the_transaction_commits(
    clock, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()
        assert sms_outbox == []
        assert TextMessage.objects.get().status == TextStatus.QUEUED
    message.refresh_from_db()
    assert message.status == TextStatus.SENT
    assert message.phone == NUMBER
    assert message.sent_at == clock.now
    assert message.attempts == 1
    assert message.provider_ref == "locmem-1"
    assert [(sms.phone, sms.text, sms.topic) for sms in sms_outbox] == [
        (NUMBER, "Votre question a reçu une réponse.", "updates")
    ]


def test_a_rolled_back_change_writes_and_sends_nothing(
    clock, sms_outbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        _queue()
        1 / 0  # noqa: B018  # the change that caused the SMS fails
    assert not TextMessage.objects.exists()
    assert sms_outbox == []


def test_encoding_and_segments_are_recorded(clock):
    message = _queue(text="Fête de quartier samedi : venez nombreux·ses !")
    assert (message.encoding, message.segments) == ("ucs2", 1)
    message = _queue(text="a" * 200)
    assert (message.encoding, message.segments) == ("gsm7", 2)


def test_an_unknown_purpose_is_a_programming_error(clock):
    with pytest.raises(ValueError, match="purpose"):
        _queue(topic="marketing")


# Quiet hours -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "status", "sent_from"),
    [
        ((2026, 1, 15, 19, 59), TextStatus.QUEUED, (2026, 1, 15, 19, 59)),
        ((2026, 1, 15, 20, 0), TextStatus.HELD, (2026, 1, 16, 9, 0)),
        ((2026, 1, 15, 23, 30), TextStatus.HELD, (2026, 1, 16, 9, 0)),
        ((2026, 1, 16, 0, 10), TextStatus.HELD, (2026, 1, 16, 9, 0)),
        ((2026, 1, 16, 8, 59), TextStatus.HELD, (2026, 1, 16, 9, 0)),
        ((2026, 1, 16, 9, 0), TextStatus.QUEUED, (2026, 1, 16, 9, 0)),
        # The night the clocks go forward (29 March 2026): 09:00 is summer time, 07:00 UTC.
        ((2026, 3, 28, 22, 0), TextStatus.HELD, (2026, 3, 29, 9, 0)),
        # And back (25 October 2026): still 09:00 Paris, 08:00 UTC.
        ((2026, 10, 25, 1, 30), TextStatus.HELD, (2026, 10, 25, 9, 0)),
    ],
)
def test_never_at_night(written, status, sent_from):
    message = _queue(now=paris(*written))
    assert message.status == status
    assert message.not_before == paris(*sent_from)


def test_a_confirmation_code_goes_at_any_hour(clock, sms_outbox):
    clock.set(2026, 1, 15, 23, 30)
    message = _queue(text="Votre code : 123456", topic=TextKind.CODE)
    assert message.status == TextStatus.QUEUED
    assert message.not_before == clock.now
    assert message.expires_at == clock.now + timedelta(minutes=15)
    assert text_message_send(message_id=message.pk) == "sent"


def test_a_message_held_at_night_goes_at_nine_through_the_sweep(
    clock, sms_outbox, django_capture_on_commit_callbacks
):
    clock.set(2026, 1, 15, 21, 0)
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()
    # Too far ahead for a countdown: no task ran, nothing sent.
    assert sms_outbox == []
    assert text_messages_send_due(now=paris(2026, 1, 16, 8, 59)) == {}
    assert text_messages_send_due(now=paris(2026, 1, 16, 9, 1)) == {"sent": 1}
    message.refresh_from_db()
    assert (message.status, message.sent_at) == (TextStatus.SENT, paris(2026, 1, 16, 9, 1))
    assert len(sms_outbox) == 1


def test_a_task_running_too_early_sends_nothing(clock, sms_outbox):
    message = _queue(not_before=paris(2026, 1, 15, 10, 30))
    assert message.status == TextStatus.QUEUED
    assert text_message_send(message_id=message.pk) == "not due"
    assert sms_outbox == []


def test_a_message_reached_late_at_night_waits_for_the_morning(clock, sms_outbox):
    clock.set(2026, 1, 15, 19, 58)
    message = _queue()
    # The worker was down; the sweep finds it at 20:05.
    assert text_messages_send_due(now=paris(2026, 1, 15, 20, 5)) == {"held": 1}
    message.refresh_from_db()
    assert (message.status, message.not_before) == (TextStatus.HELD, paris(2026, 1, 16, 9, 0))
    assert sms_outbox == []


# Never twice -------------------------------------------------------------------------------------


def test_a_lost_task_is_made_up_by_the_sweep_and_nothing_goes_twice(
    clock, sms_outbox, django_capture_on_commit_callbacks
):
    # The commit happened but the task never ran (Redis restarted): callbacks not executed.
    with django_capture_on_commit_callbacks(execute=False):
        message = _queue()
    assert text_messages_send_due(now=clock.now + timedelta(seconds=30)) == {}  # its task's minute
    assert text_messages_send_due(now=clock.now + timedelta(minutes=2)) == {"sent": 1}
    assert text_messages_send_due(now=clock.now + timedelta(minutes=3)) == {}
    # The task turns up after all: the row is sent, it does nothing.
    assert text_message_send(message_id=message.pk) == "skipped"
    assert len(sms_outbox) == 1


def test_the_same_dedupe_key_queues_one_message(
    clock, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue(dedupe_key="reminder:1:42")
        second = _queue(dedupe_key="reminder:1:42", text="Un autre texte")
    assert first.pk == second.pk
    assert TextMessage.objects.count() == 1
    assert len(sms_outbox) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_being_sent_by_one_worker_is_skipped_by_another(clock, sms_outbox):
    # Written as queue_sms does, without its task (which, outside a transaction, would run at once).
    message = TextMessage.objects.create(
        phone=NUMBER, text="Bonjour", topic="updates", not_before=clock.now, created_at=clock.now
    )
    locked, release = threading.Event(), threading.Event()

    def first_worker():
        from django.db import connection as own_connection

        with transaction.atomic():
            TextMessage.objects.select_for_update().get(pk=message.pk)
            locked.set()
            release.wait(10)
        own_connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    assert locked.wait(10)
    try:
        assert text_message_send(message_id=message.pk) == "skipped"
        assert text_messages_send_due(now=clock.now + timedelta(minutes=5)) == {"skipped": 1}
    finally:
        release.set()
        worker.join()
    assert sms_outbox == []
    assert text_message_send(message_id=message.pk) == "sent"


# Consent -----------------------------------------------------------------------------------------


def test_a_number_that_sent_stop_gets_nothing_and_the_row_is_kept(clock, sms_outbox):
    SmsOptOut.objects.create(phone=NUMBER, source="keyword")
    message = _queue()
    assert message.status == TextStatus.CANCELLED
    assert "STOP" in message.error
    assert text_messages_send_due(now=clock.now + timedelta(minutes=5)) == {}
    assert sms_outbox == []


def test_stop_after_queueing_cancels_at_sending_time(clock, sms_outbox):
    message = _queue()
    SmsOptOut.objects.create(phone=NUMBER, source="keyword")
    assert text_message_send(message_id=message.pk) == "cancelled"
    message.refresh_from_db()
    assert message.status == TextStatus.CANCELLED
    assert sms_outbox == []


def test_a_confirmation_code_asked_for_is_sent_even_after_stop(clock, sms_outbox):
    SmsOptOut.objects.create(phone=NUMBER, source="keyword")
    message = _queue(text="Votre code : 123456", topic=TextKind.CODE)
    assert text_message_send(message_id=message.pk) == "sent"


@pytest.mark.parametrize("phone", ["02 47 21 60 00", "n'importe quoi", ""])
def test_a_number_that_is_no_french_mobile_gives_a_cancelled_row(clock, sms_outbox, phone):
    message = _queue(phone=phone)
    assert message.status == TextStatus.CANCELLED
    assert message.error == "Not a French mobile number."
    assert sms_outbox == []


def test_an_expired_code_is_cancelled(clock, sms_outbox):
    message = _queue(text="Votre code : 123456", topic=TextKind.CODE)
    clock.now += timedelta(minutes=16)
    assert text_message_send(message_id=message.pk) == "cancelled"
    assert sms_outbox == []


def test_a_reminder_whose_meeting_has_started_is_cancelled(clock, sms_outbox):
    meeting = MeetingFactory(starts_at=paris(2026, 1, 15, 18, 0))
    message = _queue(topic=TextKind.REMINDERS, meeting_id=meeting.pk)
    clock.set(2026, 1, 15, 18, 5)
    assert text_message_send(message_id=message.pk) == "cancelled"
    assert sms_outbox == []


def test_a_deleted_meeting_leaves_its_sms_counted(clock):
    meeting = MeetingFactory()
    message = _queue(topic=TextKind.REMINDERS, meeting_id=meeting.pk)
    meeting.delete()
    message.refresh_from_db()
    assert message.meeting_id is None


# Retries -----------------------------------------------------------------------------------------


def test_provider_errors_are_retried_for_hours_then_failed(clock, troubled_backend):
    troubled_backend.failures = [provider_down() for _ in range(5)]
    message = _queue()
    start = clock.now
    assert text_message_send(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (TextStatus.QUEUED, 1)
    assert message.not_before == start + timedelta(hours=1)
    assert message.error == "Provider answered 503"
    # The sweep does not touch it before its time; then 1 h, 2 h, 4 h, 8 h (the last one is held
    # until the morning: 10:00 + 15 h = 01:00).
    assert text_messages_send_due(now=start + timedelta(minutes=59)) == {}
    assert text_messages_send_due(now=start + timedelta(hours=1, minutes=1)) == {"retry": 1}
    message.refresh_from_db()
    assert message.not_before == start + timedelta(hours=1, minutes=1) + timedelta(hours=2)
    assert text_messages_send_due(now=message.not_before + timedelta(minutes=1)) == {"retry": 1}
    message.refresh_from_db()
    assert message.attempts == 3
    assert text_messages_send_due(now=message.not_before + timedelta(minutes=1)) == {"retry": 1}
    message.refresh_from_db()
    assert message.status == TextStatus.HELD
    assert message.not_before == paris(2026, 1, 16, 9, 0)
    assert text_messages_send_due(now=paris(2026, 1, 16, 9, 5)) == {"failed": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts) == (TextStatus.FAILED, 5)
    assert text_messages_send_due(now=paris(2026, 1, 17, 12, 0)) == {}
    assert troubled_backend.sent == []


def test_a_retry_that_works_sends_the_message(clock, troubled_backend):
    troubled_backend.failures = [provider_down()]
    message = _queue()
    assert text_message_send(message_id=message.pk) == "retry"
    assert text_messages_send_due(now=clock.now + timedelta(hours=2)) == {"sent": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (TextStatus.SENT, 2, "")
    assert len(troubled_backend.sent) == 1


def test_a_refused_message_fails_at_once(clock, troubled_backend):
    troubled_backend.failures = [refused()]
    message = _queue()
    assert text_message_send(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (TextStatus.FAILED, 1)
    assert "invalid_parameter" in message.error
    assert text_messages_send_due(now=clock.now + timedelta(days=1)) == {}


def test_a_code_is_retried_within_minutes_then_failed(clock, troubled_backend):
    troubled_backend.failures = [provider_down() for _ in range(3)]
    message = _queue(text="Votre code : 123456", topic=TextKind.CODE)
    assert text_message_send(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert message.not_before == clock.now + timedelta(minutes=1)
    assert text_messages_send_due(now=clock.now + timedelta(minutes=2)) == {"retry": 1}
    assert text_messages_send_due(now=clock.now + timedelta(minutes=5)) == {"failed": 1}


def test_a_forms_line_breaks_are_sent_as_phones_write_them(clock):
    message = _queue(text="Rappel :\r\ndemain 18h")
    assert message.text == "Rappel :\ndemain 18h"
