"""Accounts with django-allauth: signup verified by code, login by code or password, reset, limits."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from participation.models import User
from tests.participation.factories import PASSWORD, UserFactory

CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", re.MULTILINE)


def code_from(message) -> str:
    match = CODE.search(message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_signup_requires_the_emailed_code_then_verifies(client, mailoutbox, on_commit):
    with on_commit():
        response = client.post(
            reverse("account_signup"),
            {
                "email": "Nouvelle.Habitante@Example.org",
                "first_name": "Nadia",
                "last_name": "Habitante",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="nouvelle.habitante@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["nouvelle.habitante@example.org"]
    assert message.subject.startswith("[Quartiers en dialogue]")
    assert "Quartiers en dialogue" in message.body

    # Not logged in before the code is given.
    assert client.get(reverse("account_home")).status_code == 302

    wrong = client.post(reverse("account_email_verification_sent"), {"code": "AAAAAA"})
    assert wrong.status_code == 200
    assert "code" in wrong.content.decode().lower()
    assert not EmailAddress.objects.get(user=user).verified

    response = client.post(reverse("account_email_verification_sent"), {"code": code_from(message)})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("account_home")).status_code == 200


@pytest.mark.django_db
def test_signup_form_errors_are_french_and_keep_the_email(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "habitant@example.org",
            "display_name": "Habitant",
            "password1": PASSWORD,
            "password2": "autre-chose-123",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Vous devez saisir deux fois le même mot de passe" in page
    assert 'value="habitant@example.org"' in page
    assert not User.objects.filter(email="habitant@example.org").exists()


@pytest.mark.django_db
def test_login_by_emailed_code(client, mailoutbox, on_commit):
    user = UserFactory(email="code@example.org")
    with on_commit():
        response = client.post(reverse("account_request_login_code"), {"email": user.email})
    assert response.status_code == 302
    assert response.url == reverse("account_confirm_login_code")
    assert len(mailoutbox) == 1
    response = client.post(
        reverse("account_confirm_login_code"), {"code": code_from(mailoutbox[0])}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_home")
    assert client.get(reverse("account_home")).context["user"] == user


@pytest.mark.django_db
def test_login_by_password_and_logout(client):
    user = UserFactory(email="pass@example.org")
    response = client.post(
        reverse("account_login"), {"login": "PASS@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("account_home")).context["user"] == user
    client.post(reverse("account_logout"))
    assert client.get(reverse("account_home")).status_code == 302


@pytest.mark.django_db
def test_unverified_email_cannot_log_in_with_password(client, mailoutbox, on_commit):
    UserFactory(email="pending@example.org", verified=False)
    with on_commit():
        response = client.post(
            reverse("account_login"), {"login": "pending@example.org", "password": PASSWORD}
        )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("account_home")).status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_a_link(client, mailoutbox, on_commit):
    user = UserFactory(email="oubli@example.org")
    with on_commit():
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    (message,) = mailoutbox
    link = re.search(r"http://\S+/compte/password/reset/key/\S+/", message.body).group(0)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    new_password = "Encore-un-autre-mot-de-passe-7"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


@pytest.mark.django_db
def test_failed_logins_are_rate_limited_in_the_shared_cache(client):
    UserFactory(email="cible@example.org")
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": "cible@example.org", "password": "faux"}
        )
        assert response.status_code == 200
    response = client.post(
        reverse("account_login"), {"login": "cible@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "Trop de tentatives de connexion" in response.content.decode()


@pytest.mark.django_db
def test_account_pages_use_the_site_layout_in_french(client):
    for name in [
        "account_login",
        "account_signup",
        "account_request_login_code",
        "account_reset_password",
    ]:
        response = client.get(reverse(name))
        assert response.status_code == 200
        page = response.content.decode()
        assert '<html lang="fr"' in page
        assert 'href="#main"' in page
        assert page.count("<h1") == 1
        assert "Mentions légales" in page


@pytest.mark.django_db
def test_account_home_lists_roles(client):
    from participation.roles import Role
    from qpv.models import Commune
    from tests.participation.factories import grant

    user = UserFactory()
    grant(user, Role.REFERENT, commune=Commune.objects.get(slug="tours"))
    client.force_login(user)
    page = client.get(reverse("account_home")).content.decode()
    assert "Tours" in page
