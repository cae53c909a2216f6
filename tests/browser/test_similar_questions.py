"""Asking a question on a phone (360 px), in Chromium, with the mouse and with the keyboard only
(issue 17, item 7): as the resident types, a question like theirs already waiting in the
neighbourhood shows up (htmx, after a pause), with "Suivre celle-ci"; on "Envoyer", a guest sees
the similar ones first and sends theirs anyway, without retyping anything. axe-core checks the
page with the box shown; the screenshots go to /tmp/shots-q7/ (and artifacts/screenshots/)."""

from __future__ import annotations

import re

import pytest

from qpv.models import QPV
from questions.models import Question, QuestionFollow, QuestionStatus, Theme
from tests.browser.journeys import MODES, Driver, at
from tests.browser.test_accessibility import AXE_RUN, AXE_TAGS, axe_source, describe
from tests.participation.factories import UserFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import QuestionFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
WAITING = "L'ascenseur de notre bâtiment tombe en panne chaque semaine. Quand sera-t-il remplacé ?"
TYPED = "L'ascenseur est encore en panne depuis lundi, quand va-t-il être réparé ?"
ASK = "/quartiers/sanitas/questions/poser/"


@pytest.fixture
def waiting():
    sanitas = QPV.objects.get(slug="sanitas")
    landlord = OrganisationFactory(name="Tours Habitat")
    return QuestionFactory(
        qpv=sanitas,
        text=WAITING,
        theme=Theme.HOUSING,
        organisation=landlord,
        status=QuestionStatus.FORWARDED,
    )


def _type(ui: Driver, text: str) -> None:
    """Type as people do, key by key (htmx listens to keyup)."""
    field = ui.page.locator('textarea[name="text"]')
    if ui.keyboard:
        ui.tab_to(field)
    else:
        field.click()
    ui.page.keyboard.type(text)


def _axe(page) -> list[dict]:
    page.evaluate(axe_source())
    return page.evaluate(f"tags => ({AXE_RUN})(tags)", AXE_TAGS)


@pytest.mark.parametrize("mode", MODES)
def test_a_resident_sees_a_similar_question_as_they_type_and_follows_it(
    mode, new_context, log_in, waiting, screenshot
):
    from playwright.sync_api import expect

    resident = UserFactory(full_name="Awa Diallo")
    context = new_context(reduced_motion="reduce", **PHONE)
    log_in(context, resident)
    page = context.new_page()
    ui = Driver(page, mode)
    page.goto(ASK)
    box = page.locator("#similar-questions")
    expect(box).to_be_empty()
    _type(ui, TYPED)
    expect(box).to_contain_text("Une question proche de la vôtre attend déjà sa réponse")
    expect(
        box.get_by_role("link", name=re.compile("^L'ascenseur de notre bâtiment"))
    ).to_be_visible()
    box.scroll_into_view_if_needed()
    screenshot(page, f"ask-similar-360-{mode}")
    if mode == "mouse":
        violations = _axe(page)
        assert violations == [], describe(violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    # The text stays where it was typed; following goes to the question's page.
    expect(page.locator('textarea[name="text"]')).to_have_value(TYPED)
    ui.follow(box.get_by_role("button", name=re.compile("^Suivre celle-ci")))
    expect(page).to_have_url(at(rf"/questions/{waiting.pk}/"))
    expect(page.locator(".alert-success")).to_contain_text("Vous suivez cette question")
    expect(page.get_by_role("button", name="Ne plus la suivre")).to_be_visible()
    assert QuestionFollow.objects.filter(user=resident, question=waiting).exists()
    assert not Question.objects.filter(text=TYPED).exists()
    ui.finish()


@pytest.mark.parametrize("mode", MODES)
def test_a_guest_is_shown_the_similar_question_on_sending_and_sends_theirs_anyway(
    mode, new_context, waiting, screenshot
):
    from playwright.sync_api import expect

    page = new_context(reduced_motion="reduce", **PHONE).new_page()
    ui = Driver(page, mode)
    page.goto(ASK)
    _type(ui, TYPED)
    expect(page.locator("#similar-questions")).to_contain_text("attend déjà sa réponse")
    ui.select(page.locator('select[name="theme"]'), value=Theme.HOUSING)
    ui.choose(page.get_by_role("radio", name="Le bailleur"))
    ui.fill(page.get_by_label("Votre nom"), "Karim B.")
    ui.fill(page.get_by_label("Votre adresse e-mail"), "karim@example.org")
    ui.follow(page.get_by_role("button", name="Envoyer ma question", exact=True))
    # Not sent yet: the question like it first, and everything typed is still there.
    expect(page).to_have_url(at(ASK))
    card = page.locator(".similar-questions").first
    expect(card).to_contain_text("Une question proche de la vôtre attend déjà sa réponse")
    expect(
        card.get_by_role("link", name="Se connecter pour la suivre", exact=False)
    ).to_be_visible()
    expect(page.locator('textarea[name="text"]')).to_have_value(TYPED)
    expect(page.get_by_role("radio", name="Le bailleur")).to_be_checked()
    expect(page.get_by_label("Votre nom")).to_have_value("Karim B.")
    screenshot(page, f"ask-similar-on-send-360-{mode}")
    ui.follow(card.get_by_role("button", name="Envoyer ma question quand même"))
    expect(page.locator("main")).to_contain_text("karim@example.org")
    question = Question.objects.get(text=TYPED)
    assert (question.status, question.addressed_to) == (QuestionStatus.UNCONFIRMED, "landlord")
    ui.finish()
