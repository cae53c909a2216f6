"""Stopping the emails an account chose per topic from the email itself (issue 20).

The emails of a topic (what becomes of what the resident gave; the reminder the day before a
meeting) carry a signed link and the List-Unsubscribe headers (RFC 2369, RFC 8058). A GET shows
what will stop (mail scanners open links); a POST, as a mail provider sends it without cookie or
CSRF token, unticks the email of that topic only. Guests' messages carry no such link: they
follow one thing they gave, once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dialogue import emails
from notifications.models import ContactPreference, Topic
from notifications.services import email_unsubscribe_path, notify_resident
from participation.mail import PARIS
from participation.unsubscribe import sign
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


def _notify(user=None, **kwargs):
    notify_resident(
        topic=Topic.UPDATES,
        subject="Votre question a une réponse",
        lines=["Votre question a une réponse."],
        sms_text="Votre question a une réponse.",
        user=user,
        **kwargs,
    )


def _link(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    url = header[1:-1]
    assert url.startswith(settings.SITE_URL)
    assert message.extra_headers["List-Unsubscribe-Post"] == ONE_CLICK
    # The same link for people, in both parts of the email.
    assert url in message.body and url in message.alternatives[0][0]
    return url.removeprefix(settings.SITE_URL)


def _one_click(path: str):
    """What a mail provider sends: no cookie, no CSRF token (checked here as in production)."""
    return Client(enforce_csrf_checks=True).post(
        path, ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )


def test_an_account_can_stop_the_news_of_what_it_gave_and_keeps_its_sms(
    django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(full_name="Inès Martin")
    ContactPreference.objects.create(
        user=user, phone="+33612345678", sms_updates=True, sms_consent_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user)
    [message] = mailoutbox
    path = _link(message)
    assert "parce que vous avez choisi" in message.body

    page = Client().get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Me désabonner" in html and "Inès" not in html and user.email not in html
    assert ContactPreference.objects.get(user=user).email_updates is True

    response = _one_click(path)
    assert response.status_code == 200
    assert "Vous êtes désabonné" in response.content.decode()
    preference = ContactPreference.objects.get(user=user)
    assert (preference.email_updates, preference.email_reminders) == (False, True)
    assert (preference.sms_updates, preference.phone) == (True, "+33612345678")

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user)
    assert mailoutbox == []
    assert _one_click(path).status_code == 200  # again: harmless


def test_a_guest_message_has_no_unsubscribe_link(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(email="invitee@example.org", name="Karim")
    [message] = mailoutbox
    assert "List-Unsubscribe" not in message.extra_headers
    assert "desabonnement" not in message.body


def _tomorrow_at(hour: int) -> datetime:
    tomorrow = timezone.localtime(timezone.now(), PARIS).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(hour), tzinfo=PARIS)


def test_the_reminder_of_an_account_can_be_stopped_not_a_guests(
    django_capture_on_commit_callbacks, mailoutbox
):
    meeting = MeetingFactory(starts_at=_tomorrow_at(18), ends_at=_tomorrow_at(20))
    user = UserFactory()
    RegistrationFactory(meeting=meeting, user=user, email=user.email)
    RegistrationFactory(meeting=meeting, email="guest@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_meeting_reminders() == 2
    by_address = {message.to[0]: message for message in mailoutbox}
    assert "List-Unsubscribe" not in by_address["guest@example.org"].extra_headers
    path = _link(by_address[user.email])
    assert path == email_unsubscribe_path(user_id=user.pk, topic=Topic.REMINDERS)
    assert Client().get(path).status_code == 200
    assert not ContactPreference.objects.filter(user=user).exists()  # a GET writes nothing
    assert _one_click(path).status_code == 200
    preference = ContactPreference.objects.get(user=user)
    assert (preference.email_updates, preference.email_reminders) == (True, False)


@pytest.mark.parametrize(
    "signed",
    [
        "garbage",
        sign([1, "everything"], salt="notifications.email.unsubscribe"),
        sign(["1", "updates"], salt="notifications.email.unsubscribe"),
        sign([1, "updates"], salt="qpv.follow.unsubscribe"),
    ],
)
def test_a_forged_link_is_a_clear_400_and_changes_nothing(signed):
    user = UserFactory()
    ContactPreference.objects.create(user=user)
    path = reverse("notifications:email_unsubscribe", kwargs={"signed": signed})
    for response in (Client().get(path), _one_click(path)):
        assert response.status_code == 400
        assert "Ce lien de désabonnement n" in response.content.decode()
    assert ContactPreference.objects.get(user=user).email_updates is True
