"""Journey of a visitor, in Chromium, with the mouse and with the keyboard only: from the home page
to their neighbourhood, a meeting, a guest registration confirmed by the emailed link, the meeting
in their calendar (.ics), and the registration cancelled later from the emailed link."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dialogue.models import Registration, RegistrationStatus
from tests.browser.journeys import MODES, Driver, at, emails_to, link_in
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PARIS = ZoneInfo("Europe/Paris")
GUEST = "fatou.ndiaye@example.org"


@pytest.fixture
def meeting():
    starts_at = (timezone.localtime() + timedelta(days=9)).replace(
        hour=18, minute=30, second=0, microsecond=0
    )
    return MeetingFactory(
        dialogue_space=DialogueSpaceFactory(name="Café des habitants du Sanitas"),
        title="Café des habitants : la rénovation de la place",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        venue="Centre social Pluriel(le)s",
        address="10 place Saint-Paul, 37000 Tours",
        agenda="Point d'étape sur la rénovation de la place Saint-Paul.",
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_visitor_registers_confirms_adds_to_calendar_and_cancels(
    mode, new_context, meeting, mailoutbox, settings, live_server, screenshot
):
    from icalendar import Calendar
    from playwright.sync_api import expect

    # The emailed links point at the live server.
    settings.SITE_URL = live_server.url
    page = new_context(reduced_motion="reduce").new_page()
    ui = Driver(page, mode)

    # The home page lists the neighbourhoods by commune: the visitor finds theirs.
    page.goto("/")
    ui.follow(page.get_by_role("link", name="Sanitas", exact=True).first)
    expect(page).to_have_url(at(r"/quartiers/sanitas/"))
    expect(page.locator("h1")).to_have_text("Sanitas")

    # Its next meetings: the visitor opens the one they care about.
    ui.follow(page.locator("#next-meetings-title ~ ul").get_by_role("link", name=meeting.title))
    expect(page.locator("h1")).to_have_text(meeting.title)

    # Registration as a guest, on the meeting page.
    ui.fill(page.locator("#id_name"), "Fatou Ndiaye")
    ui.fill(page.locator("#id_email"), GUEST)
    ui.follow(page.locator(".registration-block button[type=submit]"))
    expect(page.locator(".alert-success")).to_contain_text(GUEST)
    registration = Registration.objects.get(meeting=meeting, email=GUEST)
    assert registration.status == RegistrationStatus.PENDING

    # The emailed link opens a confirmation page (a mail scanner opening it confirms nothing).
    [confirmation] = emails_to(mailoutbox, GUEST)
    page.goto(link_in(confirmation, r"^/inscriptions/confirmer/"))
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING
    ui.follow(page.get_by_role("button", name="Confirmer mon inscription"))
    expect(page).to_have_url(at(rf"/rencontres/{meeting.pk}/"))
    expect(page.locator(".alert-success")).to_contain_text(GUEST)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    confirmed = emails_to(mailoutbox, GUEST)[-1]
    assert confirmed is not confirmation
    screenshot(page, f"journey-visitor-{mode}-registered", full_page=False)

    # Add to my calendar: the .ics of the page's link is a valid calendar with this meeting.
    with ui.download() as download_info:
        ui.press(page.get_by_role("link", name=re.compile(r"Ajouter à mon agenda")))
    download = download_info.value
    assert download.suggested_filename == f"rencontre-{meeting.pk}.ics"
    with open(download.path(), "rb") as handle:
        calendar = Calendar.from_ical(handle.read())
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == meeting.title
    assert event.decoded("dtstart") == meeting.starts_at.astimezone(PARIS)
    assert event.decoded("dtend") == meeting.ends_at.astimezone(PARIS)
    assert "10 place Saint-Paul" in str(event["location"])
    assert str(event["status"]) == "CONFIRMED"
    # The confirmation email carries the same event.
    [(filename, content, mimetype)] = confirmed.attachments
    assert (filename, mimetype) == ("rencontre.ics", "text/calendar")
    [attached] = Calendar.from_ical(content).walk("VEVENT")
    assert str(attached["uid"]) == str(event["uid"])

    # Later, the link of the confirmation email: the visitor cancels.
    page.goto(link_in(confirmed, r"^/inscriptions/gerer/"))
    expect(page.locator("h1")).to_have_text("Votre inscription")
    ui.follow(page.get_by_role("button", name="Annuler mon inscription"))
    expect(page).to_have_url(at(rf"/rencontres/{meeting.pk}/"))
    expect(page.locator(".alert-success")).to_contain_text("Votre inscription est annulée")
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED
    ui.finish()
