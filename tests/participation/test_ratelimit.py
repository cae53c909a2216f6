"""Abuse limits: a clear French page (429) once a client passes the limit, per account when
logged in, per client address otherwise."""

from __future__ import annotations

import pytest
from django.urls import reverse

from participation.ratelimit import allow, client_address
from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_limits(settings):
    settings.RATE_LIMITS = {
        "guest_registration": (3, 600),
        "online_question": (2, 600),
        "project_idea": (2, 600),
        "grant_application": (2, 600),
        "feedback_on_the_spot": (2, 3600),
    }
    return settings


def test_guest_registration_is_limited_per_address(client, tight_limits):
    meeting = MeetingFactory()
    url = reverse("dialogue:register", args=[meeting.pk])
    for index in range(3):
        response = client.post(url, {"name": "Léa", "email": f"lea{index}@example.org"})
        assert response.status_code == 302
    response = client.post(url, {"name": "Léa", "email": "lea9@example.org"})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    # Another address is not affected; reading the page is never limited.
    other = client.post(url, {"name": "Léo", "email": "leo@example.org"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302
    assert client.get(meeting.get_absolute_url()).status_code == 200


def test_residents_logged_in_on_one_shared_address_are_counted_each_on_their_account(
    client, tight_limits
):
    """A community centre's wifi: five residents register from one address, past the limit of
    three that the address would have; each account still has its own limit."""
    meetings = [MeetingFactory() for _ in range(4)]
    residents = [UserFactory() for _ in range(5)]
    for resident in residents:
        client.force_login(resident)
        response = client.post(reverse("dialogue:register", args=[meetings[0].pk]))
        assert response.status_code == 302, resident
    assert meetings[0].registrations.count() == 5
    # The last one registers for three more meetings: their fourth attempt passes their limit.
    statuses = [
        client.post(reverse("dialogue:register", args=[meeting.pk])).status_code
        for meeting in meetings[1:]
    ]
    assert statuses == [302, 302, 429]
    # A guest on the same address is counted on the address, untouched by the accounts.
    client.logout()
    guest = client.post(
        reverse("dialogue:register", args=[meetings[1].pk]),
        {"name": "Léa", "email": "lea@example.org"},
    )
    assert guest.status_code == 302


@pytest.mark.parametrize(
    ("action", "url_name", "kwargs", "login"),
    [
        ("online_question", "questions:question_ask", {"slug": "sanitas"}, False),
        ("project_idea", "projects:project_propose", {"slug": "sanitas"}, True),
    ],
)
def test_online_forms_are_limited(client, tight_limits, action, url_name, kwargs, login):
    if login:
        client.force_login(UserFactory())
    url = reverse(url_name, kwargs=kwargs)
    statuses = [client.post(url, {}).status_code for _ in range(3)]
    assert statuses[:2] != [429, 429]
    assert statuses[2] == 429


def test_forwarded_address_is_used_only_when_configured(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1")
    settings.USE_X_FORWARDED_FOR = False
    assert client_address(request) == "127.0.0.1"
    settings.USE_X_FORWARDED_FOR = True
    assert client_address(request) == "203.0.113.9"


def test_counter_restarts_after_the_period(rf, tight_limits):
    from django.core.cache import cache

    request = rf.post("/", REMOTE_ADDR="198.51.100.7")
    assert allow(request, "grant_application")
    assert allow(request, "grant_application")
    assert not allow(request, "grant_application")
    cache.delete("ratelimit:grant_application:address:198.51.100.7")
    assert allow(request, "grant_application")
