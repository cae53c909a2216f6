"""Journey of a resident, in Chromium, with the mouse and with the keyboard only: an account created
(with a name) and confirmed with the emailed code, their neighbourhood followed from the menu, a
question asked online, then the answer read in their account and on the public Q&A once the staff
have published it."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress

from participation.models import User
from participation.roles import Role
from qpv.models import QPV, Follow
from questions import services as question_services
from questions.models import Question, QuestionStatus
from tests.browser.journeys import MODES, Driver, at, emails_to
from tests.participation.factories import PASSWORD, UserFactory, grant
from tests.qpv.factories import OrganisationFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RESIDENT = "samira.benali@example.org"
QUESTION = "Quand la ligne 3 du bus repassera-t-elle par la place Saint-Paul après les travaux ?"
ANSWER = "La ligne 3 reprendra son trajet habituel le 15 janvier, à la fin des travaux de voirie."
CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", re.MULTILINE)


def code_in(message) -> str:
    match = CODE.search(message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def staff():
    """Who will handle the question: the referent of Tours, the correspondent of Fil Bleu."""
    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    organisation = OrganisationFactory(name="Fil Bleu")
    organisation.qpvs.add(sanitas)
    referent = UserFactory(full_name="Inès Moreau")
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    correspondent = UserFactory(full_name="Marc Petit")
    grant(correspondent, Role.CORRESPONDENT, organisation=organisation)
    return {"organisation": organisation, "referent": referent, "correspondent": correspondent}


@pytest.mark.parametrize("mode", MODES)
def test_a_resident_signs_up_follows_asks_and_reads_the_answer(
    mode, new_context, staff, mailoutbox, screenshot
):
    from playwright.sync_api import expect

    page = new_context(reduced_motion="reduce").new_page()
    ui = Driver(page, mode)
    page.goto("/")

    # Sign up: email and password, then the code sent by email.
    ui.follow(page.locator(".site-header").get_by_role("link", name="Créer un compte"))
    ui.fill(page.locator('input[name="first_name"]'), "Samira")
    ui.fill(page.locator('input[name="last_name"]'), "Benali")
    ui.fill(page.locator('input[name="email"]'), RESIDENT)
    ui.fill(page.locator('input[name="password1"]'), PASSWORD)
    ui.fill(page.locator('input[name="password2"]'), PASSWORD)
    ui.follow(page.locator('main form button[type="submit"]').first)
    [message] = emails_to(mailoutbox, RESIDENT)
    user = User.objects.get(email=RESIDENT)
    assert user.full_name == "Samira Benali"  # printed on sign-in sheets, never the email
    assert not EmailAddress.objects.get(user=user).verified
    ui.fill(page.locator('input[name="code"]'), code_in(message))
    ui.follow(page.locator('main form button[type="submit"]').first)
    expect(page.locator(".site-header form[action$='/logout/'] button")).to_be_visible()
    assert EmailAddress.objects.get(user=user).verified

    # Their neighbourhood, from the menu of the header.
    menu = page.locator(".site-header .dropdown-toggle")
    ui.press(menu)
    expect(menu).to_have_attribute("aria-expanded", "true")
    ui.follow(page.locator(".qpv-menu").get_by_role("link", name="Sanitas", exact=True))
    expect(page.locator("h1")).to_have_text("Sanitas")

    # Follow it.
    ui.follow(page.get_by_role("button", name="Suivre ce quartier"))
    expect(page.locator(".alert-success")).to_contain_text("Sanitas")
    assert Follow.objects.filter(user=user, qpv__slug="sanitas").exists()

    # Ask a question.
    ui.follow(page.locator("main").get_by_role("link", name="Poser une question"))
    ui.fill(page.locator('textarea[name="text"]'), QUESTION)
    ui.select(page.locator('select[name="theme"]'), value="mobility")
    ui.check(page.locator('input[name="public_display"]'), True)
    ui.follow(page.get_by_role("button", name="Envoyer ma question"))
    expect(page).to_have_url(at(r"/compte/questions/"))
    expect(page.locator(".my-questions")).to_contain_text(QUESTION)
    question = Question.objects.get(asked_by=user)
    assert question.status == QuestionStatus.MODERATION
    assert question.theme == "mobility"

    # The staff check it, forward it and answer (their own journeys drive these pages).
    question_services.question_moderate(question=question, accept=True, by=staff["referent"])
    question_services.question_route(
        question=question, organisation=staff["organisation"], by=staff["referent"]
    )
    question_services.answer_save(
        question=question, text=ANSWER, by=staff["correspondent"], publish=True
    )
    assert any("Fil Bleu" in m.body or ANSWER in m.body for m in emails_to(mailoutbox, RESIDENT))

    # The resident follows it in "Mon espace" (its dated steps), reads the answer in their
    # questions, then on the public page.
    ui.follow(page.locator(".site-header").get_by_role("link", name="Mon espace"))
    expect(page.locator("#questions")).to_contain_text("Fil Bleu")
    ui.follow(
        page.locator("#questions").get_by_role("link", name="Mes questions en détail", exact=True)
    )
    card = page.locator(".my-questions li").filter(has_text=QUESTION)
    expect(card.locator(".question-answer")).to_contain_text(ANSWER)
    expect(card.locator(".question-answer")).to_contain_text("Fil Bleu")
    screenshot(page, f"journey-resident-{mode}-answer", full_page=False)
    ui.follow(card.get_by_role("link", name="Voir sur la page publique"))
    expect(page).to_have_url(at(rf"/questions/{question.pk}/"))
    expect(page.locator("#answer-title + *")).to_contain_text(ANSWER)
    ui.finish()
