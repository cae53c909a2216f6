"""Two-factor authentication for staff, session idle timeout and "sign out everywhere".

These tests drive allauth's real login and MFA views; elsewhere `client.force_login(staff)` stands
for a completed login (tests/helpers.py).
"""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participation.middleware import LAST_ACTIVITY_SESSION_KEY
from participation.roles import Role
from qpv.models import QPV, Commune
from tests.helpers import PortalClient, activate_totp, recovery_codes, totp_code
from tests.participation.factories import PASSWORD, UserFactory, grant
from tests.participation.test_accounts import code_from
from tests.qpv.factories import OrganisationFactory

STAFF_HOME = "/espace-pro/"


def _staff(role: Role, email: str):
    user = UserFactory(email=email)
    sanitas = QPV.objects.get(slug="sanitas")
    scope = {
        Role.FACILITATOR: {"qpv": sanitas},
        Role.REFERENT: {"commune": Commune.objects.get(pk=sanitas.commune_id)},
        Role.CORRESPONDENT: {"organisation": OrganisationFactory()},
        Role.DELEGATE: {"qpv": sanitas},
        Role.COORDINATOR: {},
    }[role]
    grant(user, role, **scope)
    return user


def _password_login(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


STAFF_ROLES = [
    Role.FACILITATOR,
    Role.REFERENT,
    Role.CORRESPONDENT,
    Role.DELEGATE,
    Role.COORDINATOR,
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_without_an_authenticator_is_sent_to_set_one_up(role):
    client = PortalClient()
    user = _staff(role, f"{role}@example.org")
    assert _password_login(client, user).status_code == 302
    for path in (STAFF_HOME, "/espace-pro/questions/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == f"{reverse('mfa_activate_totp')}?next={path.replace('/', '%2F')}"
    page = client.get(response.url, follow=True).content.decode()
    assert "authentification à deux facteurs" in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_signed_in_without_the_code_confirm_it_first(role):
    client = PortalClient()
    user = _staff(role, f"{role}@example.org")
    activate_totp(user)
    client.force_login_without_second_factor(user)
    response = client.get(STAFF_HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_reauthenticate"))


@pytest.mark.django_db
def test_password_then_code_opens_the_professional_area():
    client = PortalClient()
    user = _staff(Role.REFERENT, "referente@example.org")
    secret = activate_totp(user)
    response = _password_login(client, user)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    # Not signed in yet: the password alone opens nothing.
    assert client.get(STAFF_HOME).status_code == 302
    assert client.get(reverse("account_home")).status_code == 302

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "Code incorrect" in wrong.content.decode()

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(STAFF_HOME).status_code == 200


@pytest.mark.django_db
def test_a_recovery_code_stands_in_for_a_lost_phone_once():
    user = _staff(Role.FACILITATOR, "animatrice@example.org")
    activate_totp(user)
    code = recovery_codes(user)[0]
    client = PortalClient()
    _password_login(client, user)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(STAFF_HOME).status_code == 200
    assert code not in recovery_codes(user)

    again = PortalClient()
    _password_login(again, user)
    response = again.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert again.get(STAFF_HOME).status_code == 302


@pytest.mark.django_db
def test_a_login_by_emailed_code_still_asks_for_the_second_factor(mailoutbox, on_commit):
    user = _staff(Role.DELEGATE, "delegue@example.org")
    secret = activate_totp(user)
    client = PortalClient()
    with on_commit():
        client.post(reverse("account_request_login_code"), {"email": user.email})
    code = code_from(mailoutbox[-1])
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert client.get(STAFF_HOME).status_code == 302
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert client.get(STAFF_HOME).status_code == 200


# A real commit, as in production: allauth announces the new authenticator on commit, while the
# request still holds the session.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_setting_up_the_app_opens_the_area_and_shows_recovery_codes():
    user = _staff(Role.COORDINATOR, "coordinatrice@example.org")
    client = PortalClient()
    _password_login(client, user)
    activate_url = client.get(STAFF_HOME).url
    # allauth asks for the password again before an authenticator is added to the account.
    reauthenticate = client.get(activate_url)
    assert reauthenticate.url.startswith(reverse("account_reauthenticate"))
    back = client.post(reauthenticate.url, {"password": PASSWORD})
    assert back.url == activate_url
    page = client.get(activate_url)
    assert page.status_code == 200
    secret = page.context["form"].secret
    # A wrong code keeps the page, with a French message and the same secret.
    wrong = client.post(activate_url, {"code": "123456"})
    assert wrong.status_code == 200
    assert "Code incorrect" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()

    response = client.post(activate_url, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response.url == reverse("mfa_view_recovery_codes")
    codes_page = client.get(response.url).content.decode()
    assert len(recovery_codes(user)) == 10
    assert all(code in codes_page for code in recovery_codes(user))
    # The code typed to set the app up counts as the second factor of this session.
    assert client.get(STAFF_HOME).status_code == 200
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_staff_cannot_remove_their_authenticator_but_residents_can():
    staff = _staff(Role.REFERENT, "referente@example.org")
    activate_totp(staff)
    client = PortalClient()
    client.force_login(staff)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert response.status_code in (200, 302)

    resident = UserFactory(email="habitante@example.org")
    activate_totp(resident)
    other = PortalClient()
    _password_login(other, resident)
    assert Authenticator.objects.filter(user=resident).exists()


@pytest.mark.django_db
def test_residents_are_not_asked_for_a_second_factor():
    resident = UserFactory(email="habitant@example.org")
    client = PortalClient()
    response = _password_login(client, resident)
    assert response.url == reverse("account_home")
    assert client.get(reverse("account_home")).status_code == 200
    # The professional area stays closed to them: a plain refusal, not the 2FA set-up.
    assert client.get(STAFF_HOME).status_code == 403


@pytest.mark.django_db
def test_the_requirement_can_be_turned_off_for_an_installation(settings):
    settings.STAFF_MFA_REQUIRED = False
    user = _staff(Role.FACILITATOR, "animatrice@example.org")
    client = PortalClient()
    client.force_login_without_second_factor(user)
    assert client.get(STAFF_HOME).status_code == 200


@pytest.mark.django_db
def test_a_session_ends_after_inactivity(settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    user = UserFactory(email="habitant@example.org")
    client = PortalClient()
    _password_login(client, user)
    assert client.get(reverse("account_home")).status_code == 200

    session = client.session
    session[LAST_ACTIVITY_SESSION_KEY] = int(time.time()) - 1801
    session.save()
    response = client.get(reverse("account_home"), follow=True)
    assert response.redirect_chain[0][1] == 302
    assert reverse("account_login") in response.redirect_chain[0][0]
    assert "Votre session a pris fin après 30 minutes sans activité" in response.content.decode()


@pytest.mark.django_db
def test_activity_keeps_the_session_alive_without_a_write_per_request(settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    user = UserFactory(email="habitant@example.org")
    client = PortalClient()
    _password_login(client, user)
    session = client.session
    session[LAST_ACTIVITY_SESSION_KEY] = int(time.time()) - 1700
    session.save()
    # Still within the timeout: the stamp moves forward.
    assert client.get(reverse("account_home")).status_code == 200
    stamp = client.session[LAST_ACTIVITY_SESSION_KEY]
    assert int(time.time()) - stamp < 5
    # A request right after does not rewrite the session row.
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


@pytest.mark.django_db
def test_sign_out_everywhere_ends_the_other_sessions():
    user = UserFactory(email="habitant@example.org")
    phone, laptop = PortalClient(), PortalClient()
    _password_login(phone, user)
    _password_login(laptop, user)
    assert UserSession.objects.filter(user=user).count() == 2
    page = laptop.get(reverse("usersessions_list"))
    assert page.status_code == 200
    assert "Déconnecter les autres sessions" in page.content.decode()

    laptop.post(reverse("usersessions_list"))
    assert phone.get(reverse("account_home")).status_code == 302
    assert laptop.get(reverse("account_home")).status_code == 200
    assert UserSession.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_account_page_links_to_two_factor_and_sessions():
    user = UserFactory(email="habitant@example.org")
    client = PortalClient()
    client.force_login(user)
    page = client.get(reverse("account_home")).content.decode()
    assert reverse("mfa_index") in page
    assert reverse("usersessions_list") in page


@pytest.mark.django_db
def test_ended_sessions_and_their_ip_addresses_are_purged():
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from participation.services import ended_sessions_purge

    user = UserFactory(email="habitant@example.org")
    old, current = PortalClient(), PortalClient()
    _password_login(old, user)
    _password_login(current, user)
    old_key = old.session.session_key
    Session.objects.filter(session_key=old_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    assert ended_sessions_purge() == (1, 1)
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        current.session.session_key
    ]
    assert current.get(reverse("account_home")).status_code == 200
    assert ended_sessions_purge() == (0, 0)
