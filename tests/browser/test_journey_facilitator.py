"""Journey of a facilitator on a 360 px wide phone, with the mouse (taps) and with the keyboard only:
the real login with the second factor, the check-in of a meeting that has started, the speaking-time
tracker, then the minutes published."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dialogue.models import (
    AttendeeCategory,
    MeetingStatus,
    Minutes,
    RegistrationStatus,
    SpeakingTurn,
    WalkIn,
)
from participation.roles import Role
from qpv.models import QPV
from tests.browser.journeys import MODES, Driver, at, emails_to, follow_menu_link, log_in
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import PASSWORD, UserFactory, grant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}
SUMMARY = "Les habitants ont fait le point sur la propreté des halls et des abords des écoles."
DECISIONS = "Une marche exploratoire aura lieu avec le bailleur le mois prochain."


@pytest.fixture
def facilitator():
    from tests.helpers import activate_totp

    user = UserFactory(email="awa.diallo@example.org", full_name="Awa Diallo")
    grant(user, Role.FACILITATOR, qpv=QPV.objects.get(slug="sanitas"))
    user.totp_secret = activate_totp(user)
    return user


@pytest.fixture
def meeting():
    starts_at = timezone.now() - timedelta(minutes=20)
    meeting = MeetingFactory(
        dialogue_space=DialogueSpaceFactory(name="Conseil citoyen du Sanitas"),
        title="Conseil citoyen de novembre",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
    )
    for name, email in [
        ("Lina Haddad", "lina.haddad@example.org"),
        ("Jean Martin", "jean.martin@example.org"),
        ("Rose Lambert", "rose.lambert@example.org"),
    ]:
        RegistrationFactory(meeting=meeting, name=name, email=email)
    return meeting


def fits(page, width: int = 360) -> None:
    """Nothing is wider than the phone: no horizontal scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("mode", MODES)
def test_a_facilitator_checks_in_runs_the_tracker_and_publishes_minutes(
    mode, new_context, facilitator, meeting, mailoutbox, screenshot
):
    from playwright.sync_api import expect

    page = new_context(reduced_motion="reduce", **PHONE).new_page()
    ui = Driver(page, mode)
    page.goto("/")
    log_in(ui, facilitator.email, PASSWORD, totp_secret=facilitator.totp_secret)

    # The staff area lists the meeting under way among the upcoming ones, with its log (its tools).
    follow_menu_link(ui, "Espace pro")
    expect(page.locator("h1")).to_have_text("Espace pro")
    fits(page)
    ui.follow(
        page.locator("#meetings-title ~ *").locator(f'a[href$="/rencontres/{meeting.pk}/journal/"]')
    )
    expect(page).to_have_url(at(rf"/rencontres/{meeting.pk}/journal/"))

    # Check-in at the door.
    ui.follow(page.get_by_role("link", name="Accueil", exact=True).last)
    expect(page.locator("h1")).to_have_text("Accueil")
    fits(page)
    registrations = {r.name: r for r in meeting.registrations.all()}
    total = page.locator(".checkin-counter-total dd")
    expect(total).to_have_text("0")
    # Find a name (htmx filters the list as one types), then tick the person present.
    ui.fill(page.locator("#checkin-q"), "Hadd")
    expect(page.locator("#checkin-registrants .checkin-row")).to_have_count(1)
    lina = page.locator(f"#presence-{registrations['Lina Haddad'].pk}")
    ui.press(lina)
    expect(lina).to_have_attribute("aria-pressed", "true")
    ui.expect_focus_kept(lina)
    expect(total).to_have_text("1")
    ui.follow(page.get_by_role("link", name="Afficher tout le monde"))
    expect(page.locator("#checkin-registrants .checkin-row")).to_have_count(3)
    jean = page.locator(f"#presence-{registrations['Jean Martin'].pk}")
    ui.press(jean)
    expect(jean).to_have_attribute("aria-pressed", "true")
    ui.expect_focus_kept(jean)
    expect(total).to_have_text("2")
    # One resident came without registering.
    ui.press(page.locator("#walkin-add-resident"))
    expect(page.locator("#walkin-details")).to_be_visible()
    ui.expect_focus_kept(page.locator("#walkin-add-resident"))
    expect(total).to_have_text("3")
    screenshot(page, f"journey-facilitator-{mode}-checkin", full_page=False)
    fits(page)
    if ui.keyboard:
        ui.assert_no_trap()
    ui.follow(page.locator("#checkin-save-title ~ form button[type=submit]"))
    expect(page).to_have_url(at(rf"/rencontres/{meeting.pk}/journal/"))
    expect(page.locator(".alert-success")).to_contain_text("3")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    attended = {r.name: r.attended for r in meeting.registrations.all()}
    assert attended == {"Lina Haddad": True, "Jean Martin": True, "Rose Lambert": False}
    assert WalkIn.objects.filter(meeting=meeting, category=AttendeeCategory.RESIDENT).count() == 1
    assert meeting.registrations.filter(status=RegistrationStatus.CONFIRMED).count() == 3

    # The speaking-time tracker: residents, then an institution, then stop.
    ui.follow(page.get_by_role("link", name="Temps de parole").last)
    status = page.locator("#tracker-status")
    expect(status).to_have_attribute("data-running-category", "")
    fits(page)
    if ui.keyboard:
        # The shortcuts are off until switched on (WCAG 2.1.4).
        ui.check(page.get_by_role("switch", name="Raccourcis clavier"))
    ui.press(page.locator("#tracker-start-resident"))
    expect(status).to_have_attribute("data-running-category", "resident")
    if ui.keyboard:
        # The shortcuts: 3 gives the floor to an institution, 0 stops (Space would press the
        # focused button, "Habitant ou habitante").
        page.keyboard.press("3")
        expect(status).to_have_attribute("data-running-category", "institution")
        page.keyboard.press("0")
    else:
        page.locator("#tracker-start-institution").tap()
        expect(status).to_have_attribute("data-running-category", "institution")
        page.locator("#tracker-stop").tap()
    expect(status).to_have_attribute("data-running-category", "")
    ui.press(page.locator("#tracker-speakers-plus"))
    expect(page.locator("#tracker-speakers-count .tracker-counter-number")).to_have_text("1")
    expect(page.locator("#tracker-turns li")).to_have_count(2)
    screenshot(page, f"journey-facilitator-{mode}-tracker", full_page=False)
    if ui.keyboard:
        ui.assert_no_trap()
    turns = SpeakingTurn.objects.filter(meeting=meeting).order_by("started_at", "pk")
    assert [turn.category for turn in turns] == ["resident", "institution"]
    assert all(turn.ended_at is not None for turn in turns)
    ui.follow(page.get_by_role("link", name="Retour au journal de la rencontre"))

    # The minutes, published: on the meeting's public pages and emailed to the attendees.
    ui.follow(page.get_by_role("link", name="Compte rendu").first)
    fits(page)
    ui.fill(page.locator('textarea[name="summary"]'), SUMMARY)
    ui.fill(page.locator('textarea[name="decisions"]'), DECISIONS)
    ui.follow(page.get_by_role("button", name="Publier et envoyer"))
    expect(page).to_have_url(at(rf"/rencontres/{meeting.pk}/compte-rendu/"))
    expect(page.locator("main")).to_contain_text(SUMMARY)
    expect(page.locator("main")).to_contain_text(DECISIONS)
    fits(page)
    screenshot(page, f"journey-facilitator-{mode}-minutes", full_page=False)
    assert Minutes.objects.get(meeting=meeting).is_published
    assert emails_to(mailoutbox, "lina.haddad@example.org")
    assert emails_to(mailoutbox, "jean.martin@example.org")
    ui.finish()
