"""The speaking-time tracker in Chromium, on a 360 px wide phone: taps, keyboard, reload, a second
device, and the page without JavaScript."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from dialogue.models import SpeakerCategory, SpeakingTurn
from dialogue.services.speaking import speaking_summary
from participation.roles import Role
from qpv.models import QPV
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import UserFactory, grant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def facilitator():
    user = UserFactory(full_name="Awa Diallo")
    grant(user, Role.FACILITATOR, qpv=QPV.objects.get(slug="sanitas"))
    return user


@pytest.fixture
def meeting():
    starts_at = timezone.now() - timedelta(minutes=20)
    return MeetingFactory(
        dialogue_space=DialogueSpaceFactory(name="Café du Sanitas"),
        title="Café des habitants de novembre",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
    )


def running(page) -> str:
    return page.locator("#tracker-status").get_attribute("data-running-category")


def test_taps_keys_reload_and_a_second_device(
    new_context, log_in, facilitator, meeting, screenshot
):
    from playwright.sync_api import expect

    phone = new_context(**PHONE)
    log_in(phone, facilitator)
    page = phone.new_page()
    url = f"/espace-pro/rencontres/{meeting.pk}/temps-de-parole/"
    page.goto(url)
    status = page.locator("#tracker-status")
    expect(status).to_have_attribute("data-running-category", "")
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "tracker-360-start")

    page.locator("#tracker-start-resident").tap()
    expect(status).to_have_attribute("data-running-category", "resident")
    expect(page.locator("#tracker-start-resident")).to_have_class(re.compile(r"\bis-running\b"))
    page.wait_for_timeout(1200)
    # The 1-second clock runs on the page, from the server's start time.
    expect(page.locator("[data-tracker-clock]")).not_to_have_text("00:00")
    screenshot(page, "tracker-360-resident-running", full_page=False)

    page.locator("#tracker-start-institution").tap()
    expect(status).to_have_attribute("data-running-category", "institution")
    expect(page.locator("#tracker-start-resident")).not_to_have_class(re.compile(r"\bis-running\b"))
    page.wait_for_timeout(400)
    # Keyboard, once the shortcuts are on: 1 gives the floor to residents again, 0 stops.
    page.get_by_role("switch", name="Raccourcis clavier").check()
    page.keyboard.press("1")
    expect(status).to_have_attribute("data-running-category", "resident")
    page.wait_for_timeout(300)
    page.keyboard.press("0")
    expect(status).to_have_attribute("data-running-category", "")

    # The server has it all, in order, each turn ending when the next began.
    turns = list(SpeakingTurn.objects.filter(meeting=meeting).order_by("started_at", "pk"))
    assert [turn.category for turn in turns] == ["resident", "institution", "resident"]
    assert all(turn.ended_at is not None for turn in turns)
    assert turns[0].ended_at == turns[1].started_at
    assert turns[1].ended_at == turns[2].started_at
    assert (turns[0].ended_at - turns[0].started_at).total_seconds() >= 1.1

    # A reload loses nothing: the turns and the shares come from the server.
    page.reload()
    expect(page.locator("#tracker-turns li")).to_have_count(3)
    meeting.refresh_from_db()
    residents = speaking_summary(meeting).by_category[SpeakerCategory.RESIDENT]
    resident_row = page.locator('#tracker-shares tr[data-category="resident"]')
    # The page is in French (the site's language); an earlier test may have left English active.
    with translation.override("fr"):
        expect(resident_row.locator("[data-percent]")).to_have_text(residents.percent_text)
        expect(resident_row.locator("[data-duration]")).to_have_text(residents.duration_text)
    assert residents.percent > 50
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "tracker-360-after-reload")

    # A second device (its own session) sees the same state, and follows the first one.
    tablet = new_context(viewport={"width": 800, "height": 1000})
    log_in(tablet, facilitator)
    second = tablet.new_page()
    second.goto(url)
    expect(second.locator("#tracker-turns li")).to_have_count(3)
    expect(second.locator("#tracker-status")).to_have_attribute("data-running-category", "")
    page.locator("#tracker-start-elected").tap()
    expect(status).to_have_attribute("data-running-category", "elected")
    # The second device reads the state every 5 seconds.
    expect(second.locator("#tracker-status")).to_have_attribute(
        "data-running-category", "elected", timeout=8000
    )
    expect(second.locator("#tracker-start-elected")).to_have_class(re.compile(r"\bis-running\b"))
    expect(second.locator("#tracker-turns li")).to_have_count(4)
    screenshot(second, "tracker-second-device")

    # Pause from the second device; the phone follows.
    second.locator("#tracker-pause").click()
    expect(second.locator("#tracker-status")).to_have_attribute("data-paused", "true")
    expect(status).to_have_attribute("data-paused", "true", timeout=8000)
    expect(page.locator("#tracker-pause")).to_contain_text(re.compile("Resume|Reprendre"))
    meeting.refresh_from_db()
    assert meeting.tracker_paused
    assert not SpeakingTurn.objects.filter(meeting=meeting, ended_at__isnull=True).exists()

    # Residents who spoke: +, +, − from the phone.
    for button in ["plus", "plus", "minus"]:
        page.locator(f"#tracker-speakers-{button}").tap()
        page.wait_for_timeout(150)
    expect(page.locator("#tracker-speakers-count .tracker-counter-number")).to_have_text("1")
    screenshot(page, "tracker-360-paused")
    meeting.refresh_from_db()
    assert meeting.residents_who_spoke == 1

    # No JavaScript error, no CSP violation on either device.
    assert page.problems == []
    assert second.problems == []


def test_the_page_works_without_javascript(new_context, log_in, facilitator, meeting, screenshot):
    from playwright.sync_api import expect

    context = new_context(java_script_enabled=False, **PHONE)
    log_in(context, facilitator)
    page = context.new_page()
    page.goto(f"/espace-pro/rencontres/{meeting.pk}/temps-de-parole/")
    page.locator("#tracker-start-association").click()
    expect(page.locator("#tracker-status")).to_have_attribute(
        "data-running-category", "association"
    )
    page.locator("#tracker-stop").click()
    expect(page.locator("#tracker-status")).to_have_attribute("data-running-category", "")
    expect(page.locator("#tracker-turns li")).to_have_count(1)
    page.locator("#tracker-speakers-plus").click()
    expect(page.locator("#tracker-speakers-count .tracker-counter-number")).to_have_text("1")
    screenshot(page, "tracker-360-no-javascript")
    assert SpeakingTurn.objects.filter(meeting=meeting, category="association").count() == 1


def test_keyboard_shortcuts_are_off_until_switched_on_and_stay_in_the_tracker(
    new_context, log_in, facilitator, meeting, screenshot
):
    """WCAG 2.1.4: single-key shortcuts off by default, a switch remembered on this device, keys
    acting only while the focus is in the tracker, and Space on a button pressing that button."""
    from playwright.sync_api import expect

    context = new_context(viewport={"width": 1280, "height": 900})
    log_in(context, facilitator)
    page = context.new_page()
    page.goto(f"/espace-pro/rencontres/{meeting.pk}/temps-de-parole/")
    status = page.locator("#tracker-status")
    switch = page.get_by_role("switch", name="Raccourcis clavier")
    expect(switch).to_be_visible()
    expect(switch).not_to_be_checked()
    # The list of the keys is beside the switch.
    expect(page.locator("[data-tracker-shortcuts] .tracker-keys")).to_contain_text(
        "Mettre en pause"
    )
    expect(page.locator("#tracker-start-resident")).not_to_have_attribute(
        "aria-keyshortcuts", re.compile(".*")
    )

    # Off by default: a key typed with the focus in the tracker does nothing.
    page.locator("#tracker-speakers-title").click()
    expect(page.locator("#tracker")).to_be_focused()
    for key in ["1", "p", "Space", "0"]:
        page.keyboard.press(key)
    page.wait_for_timeout(600)
    expect(status).to_have_attribute("data-running-category", "")
    assert not SpeakingTurn.objects.filter(meeting=meeting).exists()

    # On: the keys act while the focus is in the tracker (here, on the switch itself).
    switch.check()
    expect(page.locator("#tracker-start-resident")).to_have_attribute("aria-keyshortcuts", "1")
    page.keyboard.press("1")
    expect(status).to_have_attribute("data-running-category", "resident")
    screenshot(page, "tracker-shortcuts-on", full_page=False)

    # Not outside it: the focus on the header's link, 2 does nothing.
    page.locator(".site-brand").focus()
    page.keyboard.press("2")
    page.wait_for_timeout(600)
    expect(status).to_have_attribute("data-running-category", "resident")

    # Space (and Enter) on a focused button press that button; the turn goes on.
    page.locator("#tracker-speakers-plus").focus()
    page.keyboard.press("Space")
    expect(page.locator("#tracker-speakers-count .tracker-counter-number")).to_have_text("1")
    page.locator("#tracker-speakers-plus").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#tracker-speakers-count .tracker-counter-number")).to_have_text("2")
    page.wait_for_timeout(400)
    expect(status).to_have_attribute("data-running-category", "resident")
    # Space on the focused "Institution" button gives it the floor (its own action), not a stop.
    page.locator("#tracker-start-institution").focus()
    page.keyboard.press("Space")
    expect(status).to_have_attribute("data-running-category", "institution")
    # Typing in a field is typing.
    page.locator(".tracker-turn-form").locator("xpath=..").locator("summary").click()
    page.locator(".tracker-turn-form input[type=time]").first.focus()
    page.keyboard.press("0")
    page.wait_for_timeout(600)
    expect(status).to_have_attribute("data-running-category", "institution")

    # The switch is remembered after a reload; Space with the focus in the tracker stops.
    page.reload()
    expect(switch).to_be_checked()
    page.locator("#tracker-speakers-title").click()
    page.keyboard.press("Space")
    expect(status).to_have_attribute("data-running-category", "")

    # Off again, and still off after a reload.
    switch.uncheck()
    page.reload()
    expect(switch).not_to_be_checked()
    page.locator("#tracker-speakers-title").click()
    page.keyboard.press("3")
    page.wait_for_timeout(600)
    expect(status).to_have_attribute("data-running-category", "")
    turns = SpeakingTurn.objects.filter(meeting=meeting).order_by("started_at", "pk")
    assert [turn.category for turn in turns] == ["resident", "institution"]
    meeting.refresh_from_db()
    assert meeting.residents_who_spoke == 2
    assert page.problems == []
