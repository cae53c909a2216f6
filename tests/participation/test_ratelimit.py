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


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        # No proxy: the connection's address, whatever the header says.
        (0, "203.0.113.9", "127.0.0.1"),
        # One proxy (nginx sets the header): its entry, the right-most one.
        (1, "203.0.113.9", "203.0.113.9"),
        # Entries a client wrote itself, to the left of the proxy's, are ignored.
        (1, "10.9.9.9, 198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (1, " 10.9.9.9 ,203.0.113.9 ", "203.0.113.9"),
        # Two proxies: the second entry from the right (the first proxy's peer).
        (2, "10.9.9.9, 203.0.113.9, 172.18.0.5", "203.0.113.9"),
        # Fewer entries than proxies, no header, an empty one: the connection's address.
        (2, "203.0.113.9", "127.0.0.1"),
        (1, None, "127.0.0.1"),
        (1, " ", "127.0.0.1"),
        # Not an address (a misconfigured proxy, or a hostile one): the connection's address.
        (1, "10.9.9.9, unknown", "127.0.0.1"),
        (1, "10.9.9.9, 203.0.113.9<script>", "127.0.0.1"),
        # IPv6, normalised; a port is dropped.
        (1, "2001:DB8:0:0::1", "2001:db8::1"),
        (1, "10.9.9.9, [2001:db8::7]:51234", "2001:db8::7"),
        (1, "203.0.113.9:443", "203.0.113.9"),
    ],
)
def test_client_address_is_the_entry_of_our_outermost_proxy(
    rf, settings, proxies, forwarded, address
):
    settings.TRUSTED_PROXIES = proxies
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", **headers)
    assert client_address(request) == address


def test_allauth_and_the_audit_log_read_the_same_address(rf, settings):
    """One function: allauth's limits and sessions list ask the adapter, which asks ours."""
    from allauth.account.adapter import get_adapter

    settings.TRUSTED_PROXIES = 1
    request = rf.post("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert get_adapter(request).get_client_ip(request) == "203.0.113.9"
    # A write in a signed-in user's request is audited with the client's address, not the proxy's.
    from auditlog.models import LogEntry
    from django.http import HttpResponse

    from participation.middleware import audit_actor
    from participation.roles import Role
    from tests.participation.factories import grant

    # A staff member: residents are logged without name or address (participation.audit).
    request.user = UserFactory()
    grant(request.user, Role.COORDINATOR)

    def write(request):
        grant(UserFactory(), Role.COORDINATOR)
        return HttpResponse()

    audit_actor(write)(request)
    entry = LogEntry.objects.get(actor=request.user)
    assert entry.remote_addr == "203.0.113.9"


def test_counter_restarts_after_the_period(rf, tight_limits):
    from django.core.cache import cache

    request = rf.post("/", REMOTE_ADDR="198.51.100.7")
    assert allow(request, "grant_application")
    assert allow(request, "grant_application")
    assert not allow(request, "grant_application")
    cache.delete("ratelimit:grant_application:address:198.51.100.7")
    assert allow(request, "grant_application")
