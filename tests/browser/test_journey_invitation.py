"""Journey of an invitation (issue 19) in Chromium: the coordinator logs in (password, then the code
of their app), invites a facilitator from the staff area; the invitee follows the link in the email,
creates their account, confirms their password, sets up their authenticator app and lands in the
staff area with the role."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from participation.models import Invitation, User
from participation.roles import Role, scopes_of
from qpv.models import QPV
from tests.browser.journeys import Driver, at, emails_to, log_in, wait_for_a_fresh_totp_period
from tests.helpers import activate_totp, totp_code
from tests.participation.factories import PASSWORD, UserFactory, grant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

INVITEE = "samir.animateur@example.org"


def test_a_coordinator_invites_and_the_invitee_lands_in_the_staff_area(
    new_context, mailoutbox, screenshot
):
    from playwright.sync_api import expect

    coordinator = UserFactory(email="cora@example.org", full_name="Cora Coordinatrice")
    grant(coordinator, Role.COORDINATOR)
    secret = activate_totp(coordinator)
    sanitas = QPV.objects.get(slug="sanitas")

    page = new_context().new_page()
    ui = Driver(page, "mouse")
    page.goto("/")
    log_in(ui, coordinator.email, PASSWORD, totp_secret=secret)
    page.goto("/espace-pro/")
    ui.follow(page.get_by_role("link", name="Invitations"))
    expect(page).to_have_url(at("/espace-pro/invitations/"))
    page.fill("#id_email", INVITEE)
    page.select_option("#id_role", "facilitator")
    page.select_option("#id_qpv", str(sanitas.pk))
    ui.follow(page.get_by_role("button", name="Envoyer l’invitation"))
    expect(page.locator(".alert-success, .alert-info").first).to_contain_text(
        "L’invitation est envoyée"
    )
    expect(page.locator("main")).to_contain_text(INVITEE)
    screenshot(page, "invitations-list")
    assert not page.problems

    [email] = emails_to(mailoutbox, INVITEE)
    link = re.search(r"https?://\S+/invitation/\S+/", email.body).group(0)
    invitee = new_context().new_page()
    them = Driver(invitee, "mouse")
    # The email names the public site; the path is the same on the test server.
    invitee.goto(urlsplit(link).path)
    expect(invitee.locator("h1")).to_contain_text("Invitation à l’espace pro")
    screenshot(invitee, "invitation-accept")
    them.follow(invitee.get_by_role("button", name="Créer mon compte"))
    expect(invitee.locator('input[name="email"]')).to_have_value(INVITEE)
    invitee.fill('input[name="first_name"]', "Samir")
    invitee.fill('input[name="last_name"]', "Animateur")
    invitee.fill('input[name="password1"]', PASSWORD)
    invitee.fill('input[name="password2"]', PASSWORD)
    them.follow(invitee.locator('main form button[type="submit"]').first)

    # The staff area waits for the second factor: the password again, then the app's code.
    expect(invitee).to_have_url(re.compile(r"/compte/reauthenticate/"))
    expect(invitee.locator("main")).to_contain_text("Bienvenue : vous avez maintenant le rôle")
    screenshot(invitee, "invitation-reauthenticate")
    invitee.fill('input[name="password"]', PASSWORD)
    them.follow(invitee.locator('main form button[type="submit"]').first)
    expect(invitee).to_have_url(re.compile(r"/compte/2fa/totp/activate/"))
    their_secret = invitee.locator("#authenticator_secret").input_value()
    wait_for_a_fresh_totp_period(invitee)
    invitee.fill('input[name="code"]', totp_code(their_secret))
    them.follow(invitee.locator('main form button[type="submit"]').first)
    expect(invitee).to_have_url(re.compile(r"/compte/2fa/recovery-codes/"))

    invitee.goto("/espace-pro/")
    expect(invitee).to_have_url(at("/espace-pro/"))
    expect(invitee.locator("h1")).to_contain_text("Espace pro")
    screenshot(invitee, "invitation-landed")
    user = User.objects.get(email=INVITEE)
    assert scopes_of(user).facilitator_qpv_ids == frozenset({sanitas.pk})
    assert Invitation.objects.get().accepted_by == user
    assert not invitee.problems

    # Back on the list, the coordinator sees it accepted.
    page.reload()
    expect(page.locator("main")).to_contain_text("Acceptée le")
