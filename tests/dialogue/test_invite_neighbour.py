"""'Inviter un voisin' on a meeting's public page: the message, its sms: link, the buttons that
wait for JavaScript, and the meetings it is not offered for (issue 18, item 5)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from urllib.parse import unquote

import pytest
from django.utils import timezone

from dialogue.models import MeetingMode, MeetingStatus
from tests.dialogue.factories import MeetingFactory

pytestmark = pytest.mark.django_db

HOST = "quartiers.example.org"


@pytest.fixture(autouse=True)
def _a_public_host(settings):
    settings.ALLOWED_HOSTS = [HOST]


def section(page: str) -> str:
    match = re.search(r"<section[^>]*data-invite-neighbour.*?</section>", page, re.DOTALL)
    assert match, "no invitation on the page"
    return match.group(0)


def meeting_page(client, meeting) -> str:
    response = client.get(meeting.get_absolute_url(), headers={"host": HOST}, secure=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def meeting():
    return MeetingFactory(
        title="Café des habitants & voisins",
        starts_at=timezone.make_aware(datetime(2030, 3, 1, 18, 30)),
        ends_at=timezone.make_aware(datetime(2030, 3, 1, 20, 0)),
        venue="Centre social Pluriel",
        address="3 rue Saint-Pierre, 37000 Tours",
    )


def test_the_message_says_what_when_where_with_the_absolute_link(client, meeting):
    invite = section(meeting_page(client, meeting))
    message = html.unescape(
        re.search(r"<textarea[^>]*data-invite-message[^>]*>(.*?)</textarea>", invite, re.S).group(1)
    )
    url = f"https://{HOST}/rencontres/{meeting.pk}/"
    assert message == (
        "Bonjour ! Une rencontre pour les habitant·es du quartier : « Café des habitants & voisins ». "
        "C’est le vendredi 1er mars 2030 de 18 h 30 à 20 h 00. "
        "Lieu : Centre social Pluriel, 3 rue Saint-Pierre, 37000 Tours. "
        "On y va ensemble ? Tout est sur cette page :\n" + url
    )
    # The share sheet gets the text and the link apart (it joins them itself).
    assert html.unescape(re.search(r'data-invite-url="([^"]*)"', invite).group(1)) == url
    text = html.unescape(re.search(r'data-invite-text="([^"]*)"', invite).group(1))
    assert message == text + "\n" + url


def test_the_sms_link_carries_the_whole_message_percent_encoded(client, meeting):
    invite = section(meeting_page(client, meeting))
    href = html.unescape(re.search(r'href="(sms:[^"]*)"', invite).group(1))
    # sms:?&body= : Android reads the query, iOS looks for "&body=".
    assert href.startswith("sms:?&body=")
    body = href.removeprefix("sms:?&body=")
    # Nothing left unencoded that an app could read as a separator or a space.
    assert re.fullmatch(r"[A-Za-z0-9%_.~-]+", body), body
    assert "%20" in body and "%26" in body and "%0A" in body and "+" not in body
    message = unquote(body)
    assert message.endswith(f"\nhttps://{HOST}/rencontres/{meeting.pk}/")
    assert "Café des habitants & voisins" in message


def test_no_tracking_and_the_buttons_wait_for_javascript(client, meeting):
    invite = section(meeting_page(client, meeting))
    # The link is the page's own: no query string, no campaign parameter, nothing per person.
    assert "utm_" not in invite and f"/rencontres/{meeting.pk}/?" not in invite
    assert "<form" not in invite and "data-hx-" not in invite
    # Share and copy need the browser's APIs: hidden until the script finds them.
    assert re.search(r"<li hidden data-invite-share-item>", invite)
    assert re.search(r"<li hidden data-invite-copy-item>", invite)
    assert 'aria-live="polite"' in invite
    assert "/static/js/invite-neighbour.js" in meeting_page(client, meeting)


def test_an_online_meeting_says_online(client):
    meeting = MeetingFactory(mode=MeetingMode.ONLINE, venue="", address="")
    invite = html.unescape(section(meeting_page(client, meeting)))
    assert "Lieu : en ligne." in invite


@pytest.mark.parametrize("state", ["cancelled", "started", "held"])
def test_not_offered_for_a_cancelled_or_past_meeting(client, state):
    now = timezone.now()
    if state == "cancelled":
        meeting = MeetingFactory(status=MeetingStatus.CANCELLED, cancellation_reason="Grève.")
    elif state == "started":
        meeting = MeetingFactory(starts_at=now - timedelta(minutes=5))
    else:
        meeting = MeetingFactory(starts_at=now - timedelta(days=3), status=MeetingStatus.HELD)
    page = meeting_page(client, meeting)
    assert "data-invite-neighbour" not in page
    assert "invite-neighbour.js" not in page
