"""On a 360 px phone, in Chromium (issue 17, items 5 and 6): the header is at most 80 px tall and its
menu opens with the keyboard; the home page lists the chosen neighbourhood's meetings first; the
meeting page tells a resident and a guest where they stand and lets them cancel with the keyboard.
Screenshots: artifacts/screenshots/home-*.png and registrant-*.png (360 and 1280 px)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dialogue import tokens
from dialogue.models import Registration, RegistrationStatus
from qpv.models import QPV
from tests.browser.journeys import Driver, at
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
HEADER_MAX = 80


def header_height(page) -> float:
    return page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")


@pytest.fixture
def meetings():
    sanitas = DialogueSpaceFactory(qpv=QPV.objects.get(slug="sanitas"), name="Café du Sanitas")
    europe = DialogueSpaceFactory(qpv=QPV.objects.get(slug="europe"), name="Conseil d'Europe")
    return {
        "sanitas": MeetingFactory(dialogue_space=sanitas, title="Parlons du square"),
        "europe": MeetingFactory(dialogue_space=europe, title="Atelier jardin partagé"),
    }


def test_the_header_folds_on_a_phone_and_its_menu_opens_with_the_keyboard(
    new_context, meetings, screenshot
):
    from playwright.sync_api import expect

    page = new_context(reduced_motion="reduce", **PHONE).new_page()
    ui = Driver(page, "keyboard")
    page.goto("/")
    assert header_height(page) <= HEADER_MAX
    toggle = page.locator(".site-header .site-menu-toggle")
    agenda = page.locator(".site-header").get_by_role("link", name="Agenda")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "site-menu")
    expect(agenda).to_be_hidden()
    screenshot(page, "home-360", full_page=True)

    # The menu button comes right after the brand; Enter unfolds the menu below the header's bar.
    ui.tab_to(toggle)
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(agenda).to_be_visible()
    expect(page.locator(".site-header").get_by_role("link", name="Se connecter")).to_be_visible()
    expect(page.locator(".site-header").get_by_role("button", name="English")).to_be_visible()
    screenshot(page, "home-360-menu", full_page=False)
    # The same button folds it again; then once more open, Tab goes on into the menu.
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(agenda).to_be_hidden()
    assert header_height(page) <= HEADER_MAX
    page.keyboard.press("Enter")
    expect(agenda).to_be_visible()
    ui.follow(agenda)
    expect(page).to_have_url(at(r"/rencontres/"))
    assert header_height(page) <= HEADER_MAX
    ui.finish()

    # A desktop shows the whole menu, no button.
    desktop = new_context(**DESKTOP).new_page()
    desktop.goto("/")
    expect(desktop.locator(".site-menu-toggle")).to_be_hidden()
    expect(desktop.locator(".site-header").get_by_role("link", name="Agenda")).to_be_visible()
    assert header_height(desktop) <= HEADER_MAX
    screenshot(desktop, "home-1280", full_page=True)


def test_the_chosen_neighbourhood_comes_first_on_the_home_page(new_context, meetings, screenshot):
    from playwright.sync_api import expect

    page = new_context(reduced_motion="reduce", **PHONE).new_page()
    ui = Driver(page, "keyboard")
    page.goto("/")
    expect(page.locator("#my-meetings-title")).to_have_count(0)
    ui.select(page.locator("#id_qpv"), value="europe")
    ui.follow(page.get_by_role("button", name="Voir ses rencontres"))
    expect(page).to_have_url(at("/"))
    expect(page.locator("#my-meetings-title")).to_have_text("Prochaines rencontres à Europe")
    mine = page.locator("section[aria-labelledby=my-meetings-title]")
    expect(mine.get_by_role("link", name="Atelier jardin partagé")).to_be_visible()
    others = page.locator("section[aria-labelledby=next-meetings-title]")
    expect(others.get_by_role("link", name="Parlons du square")).to_be_visible()
    screenshot(page, "home-chosen-360", full_page=True)
    # Opening another neighbourhood's page chooses it.
    page.goto("/quartiers/sanitas/")
    page.goto("/")
    expect(page.locator("#my-meetings-title")).to_have_text("Prochaines rencontres à Sanitas")
    ui.finish()


def test_a_resident_registers_sees_it_and_cancels_with_the_keyboard(
    new_context, log_in, meetings, screenshot
):
    from playwright.sync_api import expect

    meeting = meetings["sanitas"]
    resident = UserFactory(full_name="Awa Diallo")
    context = new_context(reduced_motion="reduce", **PHONE)
    log_in(context, resident)
    page = context.new_page()
    ui = Driver(page, "keyboard")
    page.goto(meeting.get_absolute_url())
    assert header_height(page) <= HEADER_MAX

    ui.follow(page.locator(".registration-block").get_by_role("button", name="M'inscrire"))
    expect(page).to_have_url(at(meeting.get_absolute_url()))
    expect(page.locator(".registration-block .registration-state")).to_have_text(
        "Vous êtes inscrit·e."
    )
    # Told at the top on a phone, with a link down to the block.
    expect(page.locator(".registration-banner")).to_contain_text("Vous êtes inscrit·e.")
    expect(page.locator(".registration-block")).to_contain_text("Ajouter à mon agenda (.ics)")
    screenshot(page, "registrant-resident-360", full_page=True)
    registration = Registration.objects.get(meeting=meeting, user=resident)
    assert registration.status == RegistrationStatus.CONFIRMED

    # Cancel: Tab to the button, Enter unfolds the confirmation, Tab to it, Enter.
    cancel = page.locator(".registration-cancel > summary")
    ui.open_details(cancel)
    ui.follow(page.get_by_role("button", name="Oui, annuler mon inscription"))
    expect(page).to_have_url(at(meeting.get_absolute_url()))
    expect(page.locator(".alert-success")).to_contain_text("Votre inscription est annulée")
    expect(
        page.locator(".registration-block").get_by_role("button", name="M'inscrire")
    ).to_be_visible()
    expect(page.locator(".registration-state")).to_have_count(0)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED
    ui.finish()


def test_a_waitlisted_guest_confirms_sees_their_position_and_cancels_with_the_keyboard(
    new_context, meetings, screenshot
):
    from playwright.sync_api import expect

    meeting = meetings["europe"]
    meeting.capacity = 1
    meeting.save()
    RegistrationFactory(meeting=meeting)
    RegistrationFactory(
        meeting=meeting,
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=timezone.now() - timedelta(hours=1),
    )
    guest = RegistrationFactory(
        meeting=meeting, name="Karim B.", status=RegistrationStatus.PENDING, confirmed_at=None
    )
    for options, width in ((PHONE, 360), (DESKTOP, 1280)):
        page = new_context(reduced_motion="reduce", **options).new_page()
        ui = Driver(page, "keyboard")
        if width == 360:
            # The emailed link: confirm, then the meeting page knows the guest.
            page.goto(tokens.confirm_path(guest))
            ui.follow(page.get_by_role("button", name="Confirmer mon inscription"))
        else:
            # On another device, the emailed link to manage the registration does the same.
            page.goto(tokens.manage_path(guest))
            page.goto(meeting.get_absolute_url())
        expect(page).to_have_url(at(meeting.get_absolute_url()))
        expect(page.locator(".registration-block .registration-state")).to_have_text(
            "Vous êtes sur liste d'attente, position 2."
        )
        expect(page.locator(".registration-block #id_email")).to_have_count(0)
        # Nothing wider than the screen (the "full" badge used to be).
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"registrant-guest-waitlisted-{width}", full_page=True)
        if width == 360:
            ui.finish()
    guest.refresh_from_db()
    assert guest.status == RegistrationStatus.WAITLISTED

    # Back on the phone: cancel with the keyboard; the form comes back.
    ui = Driver(page := new_context(reduced_motion="reduce", **PHONE).new_page(), "keyboard")
    page.goto(tokens.manage_path(guest))
    page.goto(meeting.get_absolute_url())
    ui.open_details(page.locator(".registration-cancel > summary"))
    screenshot(page, "registrant-guest-cancel-360", full_page=False)
    ui.follow(page.get_by_role("button", name="Oui, annuler mon inscription"))
    expect(page.locator(".alert-success")).to_contain_text("Votre inscription est annulée")
    expect(page.locator(".registration-block #id_email")).to_be_visible()
    guest.refresh_from_db()
    assert guest.status == RegistrationStatus.CANCELLED
    ui.finish()
