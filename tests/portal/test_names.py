"""Issue 17, item 1: sign-up asks a name (and, if wished, the neighbourhood); accounts without a
name are asked once, at their next login; the name reaches the sign-in sheets, never the email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from participation.models import User
from qpv.models import QPV
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.participation.factories import PASSWORD, UserFactory
from tests.participation.test_accounts import code_from

pytestmark = pytest.mark.django_db


def _signup(client, **fields):
    data = {"email": "awa@example.org", "password1": PASSWORD, "password2": PASSWORD, **fields}
    return client.post(reverse("account_signup"), data)


def test_signup_asks_first_and_last_name_and_the_neighbourhood(client, on_commit, mailoutbox):
    qpv = QPV.objects.order_by("pk").first()
    with on_commit():
        response = _signup(client, first_name=" Awa ", last_name="Diallo", home_qpv=qpv.pk)
    assert response.status_code == 302
    user = User.objects.get(email="awa@example.org")
    assert user.full_name == "Awa Diallo"
    assert user.home_qpv == qpv
    # Signed up with a name: the first login does not ask for it again.
    response = client.post(
        reverse("account_email_verification_sent"), {"code": code_from(mailoutbox[0])}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_home")


def test_signup_takes_a_display_name_instead(client, on_commit):
    with on_commit():
        response = _signup(client, display_name="Awa D.")
    assert response.status_code == 302
    user = User.objects.get(email="awa@example.org")
    assert user.full_name == "Awa D."
    assert user.home_qpv is None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({}, "Indiquez votre prénom et votre nom, ou le nom"),
        ({"first_name": "Awa"}, "Indiquez votre prénom et votre nom, ou le nom"),
        ({"last_name": "Diallo"}, "Indiquez votre prénom et votre nom, ou le nom"),
        ({"display_name": "awa@example.org"}, "Écrivez un nom, pas une adresse e-mail"),
        ({"first_name": "awa@example.org", "last_name": "D"}, "pas une adresse e-mail"),
        ({"first_name": "Awa", "last_name": "Diallo", "home_qpv": "999999"}, "Sélectionnez un"),
        ({"first_name": "A" * 71, "last_name": "Diallo"}, "au plus 70 caractères"),
    ],
)
def test_signup_without_a_name_is_refused_in_french_and_keeps_what_was_typed(
    client, fields, message
):
    response = _signup(client, **fields)
    assert response.status_code == 200  # allauth's form view answers 200 on errors
    page = response.content.decode()
    assert message in page
    assert 'value="awa@example.org"' in page
    for value in fields.values():
        if value != "999999":
            assert f'value="{value}"' in page
    assert not User.objects.filter(email="awa@example.org").exists()


def _login(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def test_an_account_without_a_name_is_asked_once_at_its_next_login(client):
    user = UserFactory(full_name="")
    response = _login(client, user)
    assert response.status_code == 302
    assert response.url == reverse("account_name") + "?next=%2Fcompte%2F"
    page = client.get(response.url)
    assert page.status_code == 200
    assert "feuille d’émargement" in page.content.decode()
    # "Later": the next login goes straight on.
    client.logout()
    assert _login(client, user).url == reverse("account_home")


def test_the_asked_name_reaches_the_upcoming_registrations(client):
    user = UserFactory(full_name="")
    upcoming = RegistrationFactory(user=user, name="", meeting=MeetingFactory())
    past_meeting = MeetingFactory(starts_at=timezone.now() - timedelta(days=30))
    past = RegistrationFactory(user=user, name="", meeting=past_meeting)
    client.force_login(user)
    response = client.post(
        reverse("account_name"),
        {"first_name": "Karim", "last_name": "Benali", "next": "/agenda/"},
    )
    assert response.status_code == 302
    assert response.url == "/agenda/"
    user.refresh_from_db()
    upcoming.refresh_from_db()
    past.refresh_from_db()
    assert user.full_name == "Karim Benali"
    assert upcoming.name == "Karim Benali"
    assert past.name == ""  # the sheet of a past meeting is what it was


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Indiquez votre prénom et votre nom, ou le nom"),
        ({"display_name": "moi@example.org"}, "pas une adresse e-mail"),
        ({"display_name": "Karim", "home_qpv": "x"}, "Sélectionnez un"),
    ],
)
def test_the_name_page_refuses_bad_input_with_a_400_and_keeps_it(client, data, message):
    user = UserFactory(full_name="")
    client.force_login(user)
    response = client.post(reverse("account_name"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "error-summary" in page
    for key, value in data.items():
        if key != "home_qpv":
            assert f'value="{value}"' in page
    user.refresh_from_db()
    assert user.full_name == ""


def test_the_name_page_ignores_a_next_outside_the_site(client):
    user = UserFactory(full_name="")
    client.force_login(user)
    response = client.post(
        reverse("account_name"), {"display_name": "Karim B.", "next": "https://evil.example/"}
    )
    assert response.url == reverse("account_home")


def test_the_name_page_is_for_accounts_only(client):
    response = client.get(reverse("account_name"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_name_page_query_count(client, django_assert_max_num_queries):
    client.force_login(UserFactory())
    with django_assert_max_num_queries(6):
        assert client.get(reverse("account_name")).status_code == 200
