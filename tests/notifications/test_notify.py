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
