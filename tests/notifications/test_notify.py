import pytest

from notifications.models import ContactPreference, Topic
from notifications.services import notify_resident
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db


def _notify(user, **kwargs):
    notify_resident(
        topic=Topic.UPDATES,
        subject="Votre question a été transmise",
        lines=["Votre question a été transmise à Tours Habitat."],
        sms_text="Votre question a été transmise.",
        user=user,
        **kwargs,
    )


def test_an_account_never_asked_gets_the_email(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user)
    assert [message.to for message in mailoutbox] == [[user.email]]
    body = mailoutbox[0].body
    assert "Votre question a été transmise à Tours Habitat." in body
    assert "/compte/" in body


def test_no_email_when_the_resident_turned_it_off(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory()
    ContactPreference.objects.create(user=user, email_updates=False)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user)
    assert mailoutbox == []


def test_a_guest_gets_the_email_at_the_address_given(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(None, email="invitee@example.org")
    assert [message.to for message in mailoutbox] == [["invitee@example.org"]]


def test_sms_to_an_account_that_chose_it(clock, sms_outbox, django_capture_on_commit_callbacks):
    from notifications.models import TextMessage

    user = UserFactory()
    ContactPreference.objects.create(
        user=user, phone="+33612345678", sms_updates=True, email_updates=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user)
    [message] = TextMessage.objects.all()
    assert (message.phone, message.topic, message.status) == ("+33612345678", "updates", "sent")
    assert message.text.startswith("Votre question a été transmise. http")
    assert message.text.endswith("/compte/")
    assert [sms.phone for sms in sms_outbox] == ["+33612345678"]


def test_no_sms_for_a_topic_not_chosen(clock, sms_outbox, django_capture_on_commit_callbacks):
    from notifications.models import TextMessage

    user = UserFactory()
    ContactPreference.objects.create(user=user, phone="+33612345678", sms_reminders=True)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user)
    assert not TextMessage.objects.exists()
    assert sms_outbox == []


def test_no_sms_for_an_account_never_asked(clock, sms_outbox, django_capture_on_commit_callbacks):
    from notifications.models import TextMessage

    with django_capture_on_commit_callbacks(execute=True):
        _notify(UserFactory())
    assert not TextMessage.objects.exists()


def test_a_guest_who_gave_a_phone_gets_the_sms(
    clock, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(None, phone="06 12 34 56 78", link="https://example.org/r/abc")
    assert [(sms.phone, sms.text) for sms in sms_outbox] == [
        ("+33612345678", "Votre question a été transmise. https://example.org/r/abc")
    ]


def test_at_night_the_sms_waits_for_the_morning(
    clock, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    from notifications.models import TextMessage

    clock.set(2026, 1, 15, 22, 0)
    user = UserFactory()
    ContactPreference.objects.create(user=user, phone="+33612345678", sms_updates=True)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user)
    assert len(mailoutbox) == 1  # the email goes at once
    assert sms_outbox == []
    assert TextMessage.objects.get().status == "held"
