"""Registration: one click with an account, emailed link for guests, waitlist, cancel, bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dialogue import tokens
from dialogue.models import MeetingStatus, Registration, RegistrationStatus
from dialogue.services.registrations import (
    RegistrationError,
    meeting_fill_free_seats,
    registration_cancel,
    registration_create,
)
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db


def link_in(message, name: str) -> str:
    match = re.search(r"https?://[^\s\"<>]+/inscriptions/" + name + r"/[^\s\"<>]+/", message.body)
    assert match, message.body
    return "/" + match.group(0).split("://", 1)[1].split("/", 1)[1]


def test_resident_registers_in_one_click(client, mailoutbox, on_commit):
    meeting = MeetingFactory(capacity=2)
    resident = UserFactory(full_name="Awa Diallo")
    client.force_login(resident)
    with on_commit():
        response = client.post(reverse("dialogue:register", args=[meeting.pk]))
    assert response.status_code == 302
    registration = Registration.objects.get(meeting=meeting)
    assert (registration.user, registration.status) == (resident, RegistrationStatus.CONFIRMED)
    assert registration.email == resident.email
    assert [m.to for m in mailoutbox] == [[resident.email]]
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert reverse("dialogue:my_registration_cancel", args=[registration.pk]) in page


def test_guest_registration_counts_only_after_the_emailed_link(client, mailoutbox, on_commit):
    meeting = MeetingFactory(capacity=1)
    with on_commit():
        response = client.post(
            reverse("dialogue:register", args=[meeting.pk]),
            {"name": "Karim B.", "email": "Karim@Example.org", "phone": "06 12 34 56 78"},
        )
    assert response.status_code == 302
    registration = Registration.objects.get(meeting=meeting)
    assert registration.status == RegistrationStatus.PENDING
    assert registration.email == "karim@example.org"
    # A pending guest does not hold the seat: a resident takes it meanwhile.
    other = registration_create(
        meeting=meeting, user=UserFactory(), name="X", email="x@example.org"
    )
    assert other.status == RegistrationStatus.CONFIRMED
    (message,) = mailoutbox
    confirm_url = link_in(message, "confirmer")
    assert client.get(confirm_url).status_code == 200
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING  # GET alone confirms nothing
    with on_commit():
        response = client.post(confirm_url)
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.WAITLISTED
    # Clicking again changes nothing.
    assert client.post(confirm_url).status_code == 302
    assert Registration.objects.filter(meeting=meeting).count() == 2


def test_guest_form_errors_keep_what_was_typed(client):
    meeting = MeetingFactory()
    response = client.post(
        reverse("dialogue:register", args=[meeting.pk]),
        {"name": "Léa Martin", "email": "pas-une-adresse", "phone": "abc"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"email", "phone"}
    page = response.content.decode()
    assert 'value="Léa Martin"' in page
    assert 'value="pas-une-adresse"' in page
    assert not Registration.objects.exists()


def test_one_active_registration_per_meeting_and_email(client):
    meeting = MeetingFactory()
    resident = UserFactory()
    client.force_login(resident)
    client.post(reverse("dialogue:register", args=[meeting.pk]))
    response = client.post(reverse("dialogue:register", args=[meeting.pk]))
    assert response.status_code == 400
    assert response.context["error"]
    assert Registration.objects.filter(meeting=meeting).count() == 1
    with pytest.raises(RegistrationError) as error:
        registration_create(meeting=meeting, user=None, name="Y", email=resident.email.upper())
    assert error.value.code == "duplicate"


def test_pending_guest_registering_again_gets_the_link_again(
    mailoutbox, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = registration_create(meeting=meeting, name="A", email="a@example.org")
        again = registration_create(meeting=meeting, name="A", email="a@example.org")
    assert first == again
    assert len(mailoutbox) == 2


def test_cancelled_registration_frees_the_email_for_a_new_one():
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting, email="b@example.org")
    registration_cancel(registration=registration)
    again = registration_create(
        meeting=meeting, user=UserFactory(email="b@example.org"), name="B", email="b@example.org"
    )
    assert again.status == RegistrationStatus.CONFIRMED


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            {"status": MeetingStatus.CANCELLED, "cancellation_reason": "Salle indisponible"},
            "cancelled",
        ),
        ({"status": MeetingStatus.HELD}, "closed"),
    ],
)
def test_registration_refused_on_cancelled_or_held_meetings(client, change, code):
    meeting = MeetingFactory(**change)
    with pytest.raises(RegistrationError) as error:
        registration_create(meeting=meeting, user=UserFactory(), name="C", email="c@example.org")
    assert error.value.code == code
    response = client.post(
        reverse("dialogue:register", args=[meeting.pk]), {"name": "C", "email": "c@example.org"}
    )
    assert response.status_code == 400
    assert not Registration.objects.exists()


def test_registration_closes_at_the_start(client):
    start = timezone.now() - timedelta(minutes=1)
    meeting = MeetingFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    client.force_login(UserFactory())
    response = client.post(reverse("dialogue:register", args=[meeting.pk]))
    assert response.status_code == 400
    assert "commencé" in response.content.decode() or "started" in response.content.decode()
    assert not Registration.objects.exists()


def test_waitlist_is_promoted_in_order_when_a_seat_frees(
    mailoutbox, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(capacity=1)
    users = [UserFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third = [
            registration_create(meeting=meeting, user=u, name=u.full_name, email=u.email)
            for u in users
        ]
    assert [r.status for r in (first, second, third)] == ["confirmed", "waitlisted", "waitlisted"]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registration_cancel(registration=first)
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, third.status) == ("confirmed", "waitlisted")
    assert [m.to for m in mailoutbox] == [[users[1].email]]


def test_capacity_increase_fills_free_seats():
    meeting = MeetingFactory(capacity=1)
    registrations = [
        registration_create(meeting=meeting, user=u, name="n", email=u.email)
        for u in UserFactory.create_batch(3)
    ]
    meeting.capacity = 3
    meeting.save()
    promoted = meeting_fill_free_seats(meeting=meeting)
    assert [r.pk for r in promoted] == [r.pk for r in registrations[1:]]


def test_manage_link_cancels_and_forged_links_are_refused(client, mailoutbox, on_commit):
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting)
    manage_url = tokens.manage_path(registration)
    assert client.get(manage_url).status_code == 200
    with on_commit():
        assert client.post(manage_url).status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED
    forged = manage_url.replace(registration.token[:4], "AAAA")
    response = client.get(forged)
    assert response.status_code == 400
    assert client.get("/inscriptions/gerer/n-importe-quoi/").status_code == 400
    confirm_for_manage = manage_url.replace("/gerer/", "/confirmer/")
    assert client.post(confirm_for_manage).status_code == 400  # a link for one purpose only


def test_expired_confirmation_link(client, monkeypatch):
    import time

    registration = RegistrationFactory(status=RegistrationStatus.PENDING, confirmed_at=None)
    eight_days_ago = time.time() - 8 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(time, "time", lambda: eight_days_ago)
        url = tokens.confirm_path(registration)
    response = client.post(url)
    assert response.status_code == 400
    assert response.context["expired"] is True
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING


def test_my_registrations_lists_and_cancels_only_mine(client):
    me, someone = UserFactory(), UserFactory()
    mine = RegistrationFactory(user=me, email=me.email)
    theirs = RegistrationFactory(user=someone, email=someone.email)
    client.force_login(me)
    page = client.get(reverse("dialogue:my_registrations")).content.decode()
    assert mine.meeting.title in page
    assert theirs.meeting.title not in page
    assert (
        client.post(reverse("dialogue:my_registration_cancel", args=[theirs.pk])).status_code == 404
    )
    assert client.get(reverse("dialogue:my_registration_cancel", args=[mine.pk])).status_code == 405
    assert (
        client.post(reverse("dialogue:my_registration_cancel", args=[mine.pk])).status_code == 302
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("cancelled", "confirmed")


def test_my_registrations_requires_login(client):
    response = client.get(reverse("dialogue:my_registrations"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_unknown_meeting_is_404(client):
    assert client.post(reverse("dialogue:register", args=[999999])).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_my_registrations_query_count(client, django_assert_num_queries, count):
    me = UserFactory()
    for _ in range(count):
        RegistrationFactory(user=me, email=me.email)
    client.force_login(me)
    # session, user, roles (header), menu QPV, registrations with their meetings
    with django_assert_num_queries(5):
        assert client.get(reverse("dialogue:my_registrations")).status_code == 200


# Opt-ins of the meeting log issue: the come-back invitation, self-declared gender and age band.


def test_guest_opts_in_and_declares_gender_and_age(client):
    meeting = MeetingFactory()
    response = client.post(
        reverse("dialogue:register", args=[meeting.pk]),
        {
            "name": "Awa D.",
            "email": "awa@example.org",
            "comeback_opt_in": "on",
            "gender": "woman",
            "age_band": "26_40",
        },
    )
    assert response.status_code == 302
    registration = Registration.objects.get(meeting=meeting)
    assert (registration.comeback_opt_in, registration.gender, registration.age_band) == (
        True,
        "woman",
        "26_40",
    )


def test_guest_says_nothing_by_default(client):
    meeting = MeetingFactory()
    client.post(
        reverse("dialogue:register", args=[meeting.pk]),
        {"name": "Karim B.", "email": "karim@example.org", "gender": "", "age_band": ""},
    )
    registration = Registration.objects.get(meeting=meeting)
    assert (registration.comeback_opt_in, registration.gender, registration.age_band) == (
        False,
        "",
        "",
    )


def test_unknown_gender_or_age_band_is_refused_and_keeps_what_was_typed(client):
    meeting = MeetingFactory()
    response = client.post(
        reverse("dialogue:register", args=[meeting.pk]),
        {
            "name": "Léa Martin",
            "email": "lea@example.org",
            "comeback_opt_in": "on",
            "gender": "robot",
            "age_band": "200",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"gender", "age_band"}
    page = response.content.decode()
    assert 'value="Léa Martin"' in page
    assert re.search(r'name="comeback_opt_in"[^>]*checked', page)
    assert not Registration.objects.exists()


def test_service_stores_an_unknown_gender_as_not_said():
    registration = registration_create(
        meeting=MeetingFactory(),
        name="A",
        email="a@example.org",
        gender="robot",
        age_band="200",
        comeback_opt_in=True,
    )
    assert (registration.gender, registration.age_band, registration.comeback_opt_in) == (
        "",
        "",
        True,
    )


@pytest.mark.parametrize("ticked", [True, False])
def test_resident_opts_in_with_the_one_click_form(client, ticked):
    meeting = MeetingFactory()
    client.force_login(UserFactory())
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert 'name="comeback_opt_in"' in page
    data = {"comeback_opt_in": "on"} if ticked else {}
    assert client.post(reverse("dialogue:register", args=[meeting.pk]), data).status_code == 302
    assert Registration.objects.get(meeting=meeting).comeback_opt_in is ticked


def test_meeting_page_guest_fields_match_the_form():
    """The meeting page writes the guest form's optional fields by hand: same names and options."""
    from django.test import Client

    from dialogue.forms.registration import GuestRegistrationForm

    meeting = MeetingFactory()
    page = Client().get(meeting.get_absolute_url()).content.decode()
    form = GuestRegistrationForm()
    assert re.search(r'type="checkbox"\s+name="comeback_opt_in"', page)
    assert re.search(r'type="checkbox"\s+name="sms_reminders"', page)
    for name in ("name", "email", "phone", "website"):
        assert f'name="{name}"' in page
    hand_written = set(re.findall(r'name="([a-z_]+)"', page)) - {"csrfmiddlewaretoken", "next"}
    assert set(form.fields) <= hand_written
    for name in ("gender", "age_band"):
        select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
        options = re.findall(r'<option value="([^"]*)"', select)
        assert options == [str(value) for value, _label in form.fields[name].choices]


def test_guest_honeypot_creates_nothing(client, mailoutbox, django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert 'name="website"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("dialogue:register", args=[meeting.pk]),
            {"name": "Bot", "email": "bot@example.org", "website": "http://spam.example"},
        )
    assert response.status_code == 302
    assert not Registration.objects.exists()
    assert mailoutbox == []
