"""Choosing the question of an influence record by search, keyboard only, in Chromium (issue 21,
item 3): the referent types a few letters, the results come under the box (htmx, announced by
an aria-live region), Tab reaches the radio buttons, an arrow picks the question, Enter saves."""

from __future__ import annotations

import pytest

from participation.roles import Role
from projects.models import InfluenceRecord
from qpv.models import QPV
from tests.browser.journeys import Driver
from tests.participation.factories import UserFactory, grant
from tests.questions.factories import QuestionFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_referent_finds_and_picks_a_question_with_the_keyboard(page, log_in, screenshot):
    from playwright.sync_api import expect

    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    referent = UserFactory(email="ines.moreau@example.org", full_name="Inès Moreau")
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    for index in range(25):
        QuestionFactory(qpv=sanitas, text=f"Ascenseur en panne au bâtiment {index}")
    library = QuestionFactory(qpv=sanitas, text="Quand rouvre la médiathèque du quartier ?")

    log_in(page.context, referent)
    page.goto("/espace-pro/vous-avez-dit/nouveau/?qpv=sanitas")
    ui = Driver(page, "keyboard")
    ui.fill(page.locator('textarea[name="said"]'), "Rouvrir la médiathèque le samedi.")

    search = page.get_by_label("Rechercher une question")
    results = page.locator("#id_question_results")
    expect(results).to_have_attribute("aria-live", "polite")
    expect(results).to_contain_text("affinez votre recherche")
    ui.tab_to(search)
    page.keyboard.type("médiat", delay=60)
    # Enter in the box searches: it does not save the form.
    page.keyboard.press("Enter")
    expect(results).to_contain_text("1 question trouvée.")
    assert not InfluenceRecord.objects.exists()
    expect(search).to_be_focused()
    expect(results).to_contain_text("médiathèque")
    expect(results.locator('input[type="radio"]')).to_have_count(1)
    screenshot(page, "question-search-results", full_page=False)

    # Tab: the Search button, then the group of radio buttons (on "No question"); down: the result.
    page.keyboard.press("Tab")
    expect(page.locator('button[name="question_search"]')).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#id_question")).to_be_focused()
    page.keyboard.press("ArrowDown")
    chosen = results.locator(f'input[value="{library.pk}"]')
    expect(chosen).to_be_checked()
    expect(chosen).to_be_focused()

    ui.choose(page.locator('input[name="outcome"][value="adopted"]'))
    ui.fill(page.locator('textarea[name="what_was_done"]'), "Ouverte le samedi depuis mars.")
    ui.tab_to(page.locator("form button.btn-primary"))
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_be_visible()
    record = InfluenceRecord.objects.get()
    assert record.question == library
    assert not page.problems, page.problems


def test_enter_in_a_one_line_field_saves_the_form(page, log_in):
    """The question search's button comes before the save button in the form: a hidden default
    button makes Enter in a one-line field save, as everywhere else."""
    from playwright.sync_api import expect

    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    referent = UserFactory(email="ines.moreau@example.org", full_name="Inès Moreau")
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    log_in(page.context, referent)
    page.goto("/espace-pro/vous-avez-dit/nouveau/?qpv=sanitas")
    page.locator('textarea[name="said"]').fill("Rouvrir la médiathèque le samedi.")
    page.locator('input[name="outcome"][value="adopted"]').check()
    page.locator('textarea[name="what_was_done"]').fill("Ouverte le samedi depuis mars.")
    day = page.locator('input[name="decided_on"]')
    day.focus()
    day.press("Enter")
    expect(page.locator(".alert-success")).to_be_visible()
    assert InfluenceRecord.objects.count() == 1
