"""Journey of a visitor without email, on a phone (360 px), with the touch of a finger and with the
keyboard only: registering for a meeting with a mobile number, typing the code received by SMS
(read from the outbox, notifications.TextMessage), registered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dialogue.models import Registration, RegistrationStatus
from notifications.models import TextKind, TextMessage
from tests.browser.journeys import MODES, Driver, at
from tests.browser.test_accessibility import axe_violations, describe, start_axe
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 360, "height": 740}


def assert_accessible(page) -> None:
    """axe-core's WCAG 2.1 A and AA rules, as tests/browser/test_accessibility.py runs them."""
    start_axe(page)
    violations = axe_violations(page)
    assert not violations, describe(violations)


@pytest.fixture
def meeting():
    starts_at = (timezone.localtime() + timedelta(days=5)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    return MeetingFactory(
        dialogue_space=DialogueSpaceFactory(name="Atelier du Sanitas"),
        title="Atelier : le jardin partagé",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        venue="Maison de quartier",
        address="2 rue du Jardin, 37000 Tours",
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_visitor_registers_by_phone_and_types_the_code(
    mode, new_context, meeting, settings, live_server, screenshot
):
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    page = new_context(viewport=PHONE, has_touch=True, reduced_motion="reduce").new_page()
    ui = Driver(page, mode)
    page.goto(meeting.get_absolute_url())
    expect(page.locator("h1")).to_have_text(meeting.title)

    # The SMS reminder box shows once a number is typed; it is never ticked beforehand.
    consent = page.locator("#id_sms_reminders")
    expect(consent).to_be_hidden()
    ui.fill(page.locator("#id_name"), "Fatou Ndiaye")
    ui.fill(page.locator("#id_phone"), "06 12 34 56 78")
    expect(consent).to_be_visible()
    expect(consent).not_to_be_checked()
    ui.check(consent)
    if not ui.keyboard:
        assert_accessible(page)
    ui.follow(page.locator(".registration-block button[type=submit]"))

    expect(page).to_have_url(at(rf"/rencontres/{meeting.pk}/inscription/code/"))
    expect(page.locator("h1")).to_have_text("Tapez le code reçu par SMS")
    expect(page.locator("main")).to_contain_text("06 12 34 56 78")
    registration = Registration.objects.get(meeting=meeting)
    assert registration.status == RegistrationStatus.PENDING
    sms = TextMessage.objects.get(topic=TextKind.CODE, phone="+33612345678")
    code = re.search(r"\b(\d{6})\b", sms.text).group(1)
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"journey-visitor-sms-{mode}-code", full_page=False)
    if not ui.keyboard:
        assert_accessible(page)

    ui.fill(page.get_by_label("Code reçu par SMS"), code)
    ui.follow(page.get_by_role("button", name="Confirmer mon inscription"))
    expect(page).to_have_url(at(rf"/rencontres/{meeting.pk}/"))
    expect(page.locator(".alert-success")).to_contain_text("Vous êtes inscrit")
    expect(page.locator(".alert-success")).to_contain_text("06 12 34 56 78")
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.sms_reminders is True
    confirmation = TextMessage.objects.get(topic=TextKind.REMINDERS, phone="+33612345678")
    assert "/inscriptions/gerer/" in confirmation.text
    screenshot(page, f"journey-visitor-sms-{mode}-registered", full_page=False)
    ui.finish()
