"""The meeting page knows you (issue 17, item 5): a resident with an active registration, and a guest
who confirmed (or opened their emailed link: remembered in the session), see where they stand,
cancel from the page, add the meeting to their calendar; the anonymous page cache never shows
anyone's state nor serves a remembered guest someone else's page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dialogue import tokens
from dialogue.models import Registration, RegistrationStatus
from dialogue.remembered import SESSION_KEY
from dialogue.services.registrations import registration_create
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.helpers import PortalClient
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = "Vous êtes inscrit·e."
GUEST_FORM = 'name="email"'
CANCEL_BUTTON = "Oui, annuler mon inscription"


def link_in(message, name: str) -> str:
    match = re.search(r"https?://[^\s\"<>]+/inscriptions/" + name + r"/[^\s\"<>]+/", message.body)
    assert match, message.body
    return "/" + match.group(0).split("://", 1)[1].split("/", 1)[1]


def cancel_action(page: str) -> str:
    match = re.search(
        r'<form method="post" action="([^"]+)" class="registration-cancel-confirm"', page
    )
    assert match, "no cancel form"
    return match.group(1)


def token_of(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def full_meeting(capacity: int = 1, **fields):
    meeting = MeetingFactory(capacity=capacity, **fields)
    RegistrationFactory.create_batch(capacity, meeting=meeting)
    return meeting


def waitlist(meeting, count: int) -> list[Registration]:
    """`count` people already on the waiting list, one minute apart, the first one first."""
    now = timezone.now()
    return [
        RegistrationFactory(
            meeting=meeting,
            status=RegistrationStatus.WAITLISTED,
            confirmed_at=None,
            waitlisted_at=now - timedelta(minutes=count - index),
        )
        for index in range(count)
    ]


# ---- A resident with an account ----


def test_a_resident_who_registers_lands_on_the_page_that_says_so(client, on_commit):
    meeting = MeetingFactory()
    resident = UserFactory(full_name="Awa Diallo")
    client.force_login(resident)
    with on_commit():
        response = client.post(reverse("dialogue:register", args=[meeting.pk]), follow=True)
    assert response.redirect_chain == [(meeting.get_absolute_url(), 302)]
    page = response.content.decode()
    assert REGISTERED in page
    registration = Registration.objects.get(meeting=meeting, user=resident)
    # Cancel (a confirmation, then a POST to the existing cancel view, back to this page) and
    # the meeting's calendar file; no form to register again.
    assert cancel_action(page) == reverse("dialogue:my_registration_cancel", args=[registration.pk])
    assert "Annuler mon inscription" in page and CANCEL_BUTTON in page
    assert '<details class="registration-cancel">' in page
    assert f'name="next" value="{meeting.get_absolute_url()}"' in page
    assert page.count(reverse("dialogue:meeting_ics", args=[meeting.pk])) == 1
    assert reverse("dialogue:register", args=[meeting.pk]) not in page
    # On a phone the state is told above the practical information too.
    assert 'class="alert alert-light border d-lg-none d-print-none registration-banner"' in page


def test_a_waitlisted_resident_sees_their_position(client):
    meeting = full_meeting()
    ahead = waitlist(meeting, 2)
    resident = UserFactory()
    client.force_login(resident)
    client.post(reverse("dialogue:register", args=[meeting.pk]))
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Vous êtes sur liste d'attente, position 3." in page
    assert REGISTERED not in page
    # The first one leaves: everyone moves up.
    ahead[0].status = RegistrationStatus.CANCELLED
    ahead[0].save()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "position 2." in page


def test_the_waiting_list_position_is_computed_by_the_database(django_assert_num_queries):
    meeting = full_meeting()
    same_time = timezone.now()
    first, second = (
        RegistrationFactory(
            meeting=meeting,
            status=RegistrationStatus.WAITLISTED,
            confirmed_at=None,
            waitlisted_at=same_time,
        )
        for _ in range(2)
    )
    later = RegistrationFactory(
        meeting=meeting,
        status=RegistrationStatus.WAITLISTED,
        confirmed_at=None,
        waitlisted_at=same_time + timedelta(seconds=1),
    )
    other_meeting = full_meeting()
    waitlist(other_meeting, 3)
    with django_assert_num_queries(1):
        positions = dict(
            Registration.objects.filter(meeting__in=[meeting, other_meeting])
            .with_waitlist_position()
            .values_list("pk", "waitlist_position")
        )
    # Same time: the order of `waitlist()` (then by id); confirmed ones have no position.
    assert [positions[r.pk] for r in (first, second, later)] == [1, 2, 3]
    assert [positions[r.pk] for r in meeting.registrations.waitlist()] == [1, 2, 3]
    confirmed = meeting.registrations.get(status=RegistrationStatus.CONFIRMED)
    assert positions[confirmed.pk] is None
    assert sorted(positions[r.pk] for r in other_meeting.registrations.waitlist()) == [1, 2, 3]


def test_a_resident_cancels_from_the_page_and_gets_the_form_again(client, on_commit):
    meeting = MeetingFactory()
    resident = UserFactory()
    client.force_login(resident)
    client.post(reverse("dialogue:register", args=[meeting.pk]))
    page = client.get(meeting.get_absolute_url()).content.decode()
    with on_commit():
        response = client.post(
            cancel_action(page), {"next": meeting.get_absolute_url()}, follow=True
        )
    assert response.redirect_chain == [(meeting.get_absolute_url(), 302)]
    page = response.content.decode()
    assert "Votre inscription est annulée" in page
    assert REGISTERED not in page and CANCEL_BUTTON not in page
    assert f'action="{reverse("dialogue:register", args=[meeting.pk])}"' in page
    assert Registration.objects.get(meeting=meeting).status == RegistrationStatus.CANCELLED


def test_someone_else_registration_is_never_shown(client):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting, user=UserFactory())
    guest = RegistrationFactory(meeting=meeting)
    client.force_login(UserFactory())
    # Even a guest registration remembered in this browser before the login is not this account's.
    session = client.session
    session[SESSION_KEY] = [guest.pk]
    session.save()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert REGISTERED not in page and CANCEL_BUTTON not in page


def test_closed_meetings_show_no_registration_state(client):
    resident = UserFactory()
    started = MeetingFactory(starts_at=timezone.now() - timedelta(minutes=10))
    RegistrationFactory(meeting=started, user=resident, email=resident.email)
    client.force_login(resident)
    page = client.get(started.get_absolute_url()).content.decode()
    assert "les inscriptions sont closes" in page
    assert REGISTERED not in page and CANCEL_BUTTON not in page


# ---- A guest: remembered in the session once they used their emailed link ----


def register_as_guest(client, meeting, mailoutbox, on_commit, email="karim@example.org") -> str:
    with on_commit():
        response = client.post(
            reverse("dialogue:register", args=[meeting.pk]),
            {"name": "Karim B.", "email": email},
        )
    assert response.status_code == 302
    return link_in(mailoutbox[-1], "confirmer")


def test_a_guest_who_confirms_lands_on_the_page_that_knows_them(client, mailoutbox, on_commit):
    meeting = MeetingFactory()
    confirm_url = register_as_guest(client, meeting, mailoutbox, on_commit)
    # Registered but not confirmed: nothing remembered, the form still shows.
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert REGISTERED not in page and GUEST_FORM in page
    with on_commit():
        response = client.post(confirm_url, follow=True)
    assert response.redirect_chain == [(meeting.get_absolute_url(), 302)]
    page = response.content.decode()
    assert REGISTERED in page and GUEST_FORM not in page
    registration = Registration.objects.get(meeting=meeting)
    # The guest cancels through their own management link (the existing cancel service).
    assert cancel_action(page) == tokens.manage_path(registration)
    assert reverse("dialogue:meeting_ics", args=[meeting.pk]) in page
    # Coming back later, in the same browser: still known.
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert REGISTERED in page


def test_a_waitlisted_guest_sees_their_position(client, mailoutbox, on_commit):
    meeting = full_meeting()
    waitlist(meeting, 1)
    confirm_url = register_as_guest(client, meeting, mailoutbox, on_commit)
    with on_commit():
        page = client.post(confirm_url, follow=True).content.decode()
    assert "Vous êtes sur liste d'attente, position 2." in page


def test_a_guest_cancels_from_the_page_and_gets_the_form_again(client, mailoutbox, on_commit):
    meeting = MeetingFactory()
    confirm_url = register_as_guest(client, meeting, mailoutbox, on_commit)
    with on_commit():
        page = client.post(confirm_url, follow=True).content.decode()
    with on_commit():
        response = client.post(cancel_action(page), follow=True)
    assert response.redirect_chain == [(meeting.get_absolute_url(), 302)]
    page = response.content.decode()
    assert "Votre inscription est annulée" in page
    assert REGISTERED not in page and GUEST_FORM in page
    assert Registration.objects.get(meeting=meeting).status == RegistrationStatus.CANCELLED


def test_the_emailed_manage_link_makes_the_page_know_the_guest_on_another_device(client):
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting, name="Lucie Martin")
    assert client.get(tokens.manage_path(registration)).status_code == 200
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert REGISTERED in page
    # A forged link remembers nothing.
    other = PortalClient()
    assert other.get(tokens.manage_path(registration)[:-3] + "xx/").status_code == 400
    assert REGISTERED not in other.get(meeting.get_absolute_url()).content.decode()


def test_an_account_registration_is_not_remembered_by_its_link(client):
    meeting = MeetingFactory()
    resident = UserFactory()
    registration = RegistrationFactory(meeting=meeting, user=resident, email=resident.email)
    client.get(tokens.manage_path(registration))
    assert SESSION_KEY not in client.session
    assert REGISTERED not in client.get(meeting.get_absolute_url()).content.decode()


def test_the_session_keeps_the_latest_registrations_only():
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from dialogue import remembered

    request = RequestFactory().get("/")
    request.session = SessionStore()
    registrations = RegistrationFactory.create_batch(remembered.MAX_REMEMBERED + 2)
    for registration in registrations:
        remembered.remember_registration(request, registration)
    remembered.remember_registration(request, registrations[-3])
    kept = remembered.remembered_registrations(request)
    assert len(kept) == remembered.MAX_REMEMBERED
    assert kept[0] == registrations[-3].pk and len(set(kept)) == len(kept)
    assert registrations[0].pk not in kept
    request.session[remembered.SESSION_KEY] = "not a list"
    assert remembered.remembered_registrations(request) == []


# ---- The page cache ----


def test_the_cached_page_never_shows_anyone_and_never_serves_a_known_guest(
    settings, mailoutbox, on_commit
):
    settings.PAGE_CACHE_SECONDS = 60
    meeting = MeetingFactory()
    url = meeting.get_absolute_url()
    # A visitor without a session: the anonymous page, now cached.
    first, _queries = read(PortalClient(), url)
    assert GUEST_FORM in first
    again, queries = read(PortalClient(), url)
    assert queries == 0 and again == first.replace(token_of(first), token_of(again))

    # A guest confirms (the writes make a new version of every page).
    guest = PortalClient()
    confirm_url = register_as_guest(guest, meeting, mailoutbox, on_commit)
    with on_commit():
        guest.post(confirm_url)
    # Their page says so, and is not stored: the next visitor's page is computed afresh...
    page, queries = read(guest, url)
    assert queries > 0 and REGISTERED in page and GUEST_FORM not in page
    anonymous, queries = read(PortalClient(), url)
    assert queries > 0
    assert REGISTERED not in anonymous and CANCEL_BUTTON not in anonymous
    assert GUEST_FORM in anonymous
    # ... and stored, without anyone's state; the guest still never gets it.
    anonymous, queries = read(PortalClient(), url)
    assert queries == 0 and REGISTERED not in anonymous and GUEST_FORM in anonymous
    page, queries = read(guest, url)
    assert queries > 0 and REGISTERED in page

    # A resident signed in: the same.
    user = UserFactory()
    registration_create(meeting=meeting, user=user, name="", email=user.email)
    resident = PortalClient()
    resident.force_login(user)
    page, queries = read(resident, url)
    assert queries > 0 and REGISTERED in page
    anonymous, queries = read(PortalClient(), url)
    assert queries > 0 and REGISTERED not in anonymous


def read(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


# ---- Bounded queries ----


@pytest.mark.parametrize("count", [3, 30])
def test_meeting_page_query_count_for_registrants(
    client, django_assert_num_queries, mailoutbox, on_commit, count
):
    meeting = full_meeting(capacity=count)
    waitlist(meeting, count)
    url = meeting.get_absolute_url()
    # Meeting (place, seats, minutes), its questions, its translations, the menu: no session, no
    # registration read.
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200
    # A remembered guest: + session, their registration (with its waiting-list position).
    confirm_url = register_as_guest(client, meeting, mailoutbox, on_commit)
    with on_commit():
        client.post(confirm_url)
    # The first page also shows the flash message of the confirmation and takes it out of the
    # session, where it waited (MESSAGE_STORAGE): + savepoint, session update, release.
    with django_assert_num_queries(9):
        page = client.get(url).content.decode()
    assert "alert-success" in page
    with django_assert_num_queries(6):
        page = client.get(url).content.decode()
    assert f"position {count + 1}." in page
    # A resident: + session, user, their registration, roles (permissions and header).
    resident = UserFactory()
    RegistrationFactory(
        meeting=meeting,
        user=resident,
        email=resident.email,
        status=RegistrationStatus.WAITLISTED,
        confirmed_at=None,
        waitlisted_at=timezone.now(),
    )
    client.force_login(resident)
    with django_assert_num_queries(8):
        page = client.get(url).content.decode()
    assert f"position {count + 2}." in page
