"""Meeting translations in Chromium (issue 18, item 4): the meeting page offers them, Arabic reads
right to left, the English interface shows the English one first, and staff type Arabic right to
left in the form. axe-core checks each page; screenshots go to artifacts/screenshots/
(translations-*.png)."""

from __future__ import annotations

import pytest
from django.conf import settings

from participation.roles import Role
from tests.browser.test_accessibility import AXE_RUN, AXE_TAGS, axe_source, describe
from tests.dialogue.factories import MeetingFactory, MeetingTranslationFactory
from tests.participation.factories import UserFactory, grant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
ARABIC = "مقهى السكان: الحياة في الحي"
TEXTS = {
    "ar": (ARABIC, "لقاء مفتوح لجميع سكان الحي.", "الدخول من الفناء. الحضور مجاني."),
    "tr": ("Mahalle sakinleri kahvesi", "Mahallenin tüm sakinlerine açık.", "Giriş avludan."),
    "pt": ("Café dos moradores", "Um encontro aberto a todos.", "Entrada pelo pátio."),
    "en": ("Residents' café", "A meeting open to every resident.", "Entrance through the yard."),
}


@pytest.fixture
def meeting():
    meeting = MeetingFactory(title="Café des habitants : la vie du quartier")
    for language, (title, summary, practical) in TEXTS.items():
        MeetingTranslationFactory(
            meeting=meeting,
            language=language,
            title=title,
            summary=summary,
            practical_information=practical,
        )
    return meeting


def assert_axe_passes(page) -> None:
    page.evaluate(axe_source())
    violations = page.evaluate(AXE_RUN, AXE_TAGS)
    assert not violations, describe(violations)
    assert not page.problems, page.problems


def test_the_meeting_page_offers_arabic_right_to_left(new_context, meeting, screenshot):
    page = new_context(**PHONE).new_page()
    page.goto(meeting.get_absolute_url())
    offer = page.locator(".meeting-translations")
    assert " ".join(offer.locator("h2").inner_text().split()) == "Cette rencontre en :"
    page.get_by_role("link", name="العربية").click()
    details = page.locator("details#traduction-ar")
    details.locator("summary").click()
    assert details.evaluate("element => element.open")
    text = details.get_by_text("لقاء مفتوح لجميع سكان الحي.")
    assert text.evaluate("element => getComputedStyle(element).direction") == "rtl"
    # Right to left: the text starts at the right edge of its box.
    box, line = details.bounding_box(), text.bounding_box()
    assert box is not None and line is not None
    assert abs((box["x"] + box["width"]) - (line["x"] + line["width"])) < 30
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "translations-meeting-arabic")
    assert_axe_passes(page)


def test_the_english_interface_shows_the_english_translation_first(
    new_context, live_server, meeting, screenshot
):
    context = new_context()
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(meeting.get_absolute_url())
    first = page.locator("#traduction-en")
    assert first.get_attribute("lang") == "en"
    assert first.locator("h2").inner_text() == "Residents' café"
    assert first.is_visible()
    # Above the date and place, which follow in French.
    when = page.locator("#when-title").bounding_box()
    assert first.bounding_box()["y"] < when["y"]
    screenshot(page, "translations-meeting-english")
    assert_axe_passes(page)


def test_staff_type_arabic_right_to_left(new_context, log_in, meeting, screenshot):
    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    context = new_context()
    log_in(context, coordinator)
    page = context.new_page()
    page.goto(f"/espace-pro/rencontres/{meeting.pk}/traductions/")
    assert_axe_passes(page)
    page.get_by_role("link", name="Modifier (العربية)").click()
    title = page.get_by_label("Titre")
    assert title.evaluate("element => getComputedStyle(element).direction") == "rtl"
    assert title.input_value() == ARABIC
    title.fill("")
    page.evaluate("document.querySelector('main form').noValidate = true")
    page.get_by_role("button", name="Enregistrer la traduction").click()
    summary = page.locator(".error-summary")
    assert "Indiquez le titre dans cette langue." in summary.inner_text()
    # The 400 of the refused form is the one problem the browser reports.
    assert [problem for problem in page.problems if "400" not in problem] == []
    page.problems.clear()
    assert_axe_passes(page)
    title = page.get_by_label("Titre")
    title.fill("لقاء جديد")
    assert page.get_by_label("De quoi parle la rencontre").input_value() == TEXTS["ar"][1]
    screenshot(page, "translations-staff-form-arabic")
    page.get_by_role("button", name="Enregistrer la traduction").click()
    page.get_by_text("La traduction en العربية est enregistrée.").wait_for()
    assert meeting.translations.get(language="ar").title == "لقاء جديد"
