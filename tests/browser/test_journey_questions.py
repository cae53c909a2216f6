"""Journey of a question through the staff, in Chromium, with the mouse and with the keyboard only:
the referent of the commune checks it and forwards it, the correspondent of the organisation
answers from the emailed link, and the public Q&A shows it answered. Staff log in through the real
login page and the second factor."""

from __future__ import annotations

import re

import pytest

from participation.roles import Role
from qpv.models import QPV
from questions.models import Channel, QuestionStatus, Theme
from tests.browser.journeys import MODES, Driver, at, emails_to, link_in, log_in
from tests.participation.factories import PASSWORD, UserFactory, grant
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import QuestionFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

QUESTION = "L'ascenseur de la tour 7 est en panne depuis trois semaines : quand sera-t-il réparé ?"
ANSWER = (
    "Le moteur a été commandé ; le technicien intervient le 3 décembre. Merci de votre patience."
)


@pytest.fixture
def world():
    from tests.helpers import activate_totp

    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    landlord = OrganisationFactory(name="Tours Habitat")
    landlord.qpvs.add(sanitas)
    other = OrganisationFactory(name="Val Touraine Habitat")
    other.qpvs.add(sanitas)
    referent = UserFactory(email="ines.moreau@example.org", full_name="Inès Moreau")
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    correspondent = UserFactory(email="marc.petit@example.org", full_name="Marc Petit")
    grant(correspondent, Role.CORRESPONDENT, organisation=landlord)
    for user in (referent, correspondent):
        user.totp_secret = activate_totp(user)
    resident = UserFactory(email="habitante@example.org", full_name="Awa Diallo")
    question = QuestionFactory(
        qpv=sanitas,
        channel=Channel.ONLINE,
        text=QUESTION,
        theme=Theme.HOUSING,
        asked_by=resident,
        asker_name=resident.full_name,
        asker_email=resident.email,
        status=QuestionStatus.MODERATION,
    )
    return {
        "referent": referent,
        "correspondent": correspondent,
        "resident": resident,
        "landlord": landlord,
        "question": question,
    }


@pytest.mark.parametrize("mode", MODES)
def test_a_referent_routes_a_correspondent_answers_and_the_public_sees_it(
    mode, new_context, world, mailoutbox, settings, live_server, screenshot
):
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    question = world["question"]

    # The referent: log in (password, then the authenticator's code), the questions of the scope.
    page = new_context(reduced_motion="reduce").new_page()
    ui = Driver(page, mode)
    page.goto("/")
    referent = world["referent"]
    log_in(ui, referent.email, PASSWORD, totp_secret=referent.totp_secret)
    ui.follow(page.locator(".site-header").get_by_role("link", name="Espace pro"))
    ui.follow(page.get_by_role("link", name="Questions à traiter et à suivre"))
    ui.follow(page.locator(".question-staff-table").get_by_role("link", name=QUESTION[:40]))
    expect(page).to_have_url(at(rf"/espace-pro/questions/{question.pk}/"))

    # Asked online: checked before publication, from the question's page.
    ui.follow(page.get_by_role("link", name="Modérer la question"))
    expect(page).to_have_url(
        re.compile(rf"/espace-pro/questions/moderation/#question-{question.pk}$")
    )
    item = page.locator(f"#question-{question.pk}")
    ui.follow(item.get_by_role("button", name=re.compile("^Publier")))
    expect(page.locator(".alert-success")).to_contain_text("La question est publiée")
    question.refresh_from_db()
    assert question.status == QuestionStatus.RECEIVED

    # Forwarded to the landlord.
    ui.follow(page.locator(".site-header").get_by_role("link", name="Espace pro"))
    ui.follow(page.get_by_role("link", name="Questions à traiter et à suivre"))
    ui.follow(page.locator(".question-staff-table").get_by_role("link", name=QUESTION[:40]))
    ui.select(page.locator('select[name="organisation"]'), label="Tours Habitat")
    ui.follow(page.get_by_role("button", name="Transmettre"))
    expect(page.locator(".alert-success")).to_contain_text("Tours Habitat")
    question.refresh_from_db()
    assert question.status == QuestionStatus.FORWARDED
    assert question.organisation == world["landlord"]
    screenshot(page, f"journey-questions-{mode}-forwarded", full_page=False)

    # The correspondent: the emailed link, the login page, the code, then the answer's form.
    correspondent = world["correspondent"]
    [forwarded] = emails_to(mailoutbox, correspondent.email)
    answer_path = link_in(forwarded, rf"^/espace-pro/questions/{question.pk}/reponse/$")
    second = new_context(reduced_motion="reduce").new_page()
    ui2 = Driver(second, mode)
    second.goto(answer_path)
    expect(second).to_have_url(re.compile(r"/compte/login/"))
    log_in(ui2, correspondent.email, PASSWORD, totp_secret=correspondent.totp_secret)
    expect(second).to_have_url(at(rf"/espace-pro/questions/{question.pk}/reponse/"))
    ui2.fill(second.locator('textarea[name="text"]'), ANSWER)
    ui2.follow(second.get_by_role("button", name="Publier", exact=True))
    expect(second.locator(".alert-success")).to_be_visible()
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    assert question.answer.text == ANSWER
    # The resident who asked is told.
    assert emails_to(mailoutbox, world["resident"].email)

    # Anyone: the public Q&A, filtered on the answered questions, shows it with its answer.
    third = new_context(reduced_motion="reduce").new_page()
    ui3 = Driver(third, mode)
    third.goto("/")
    ui3.follow(third.locator(".site-header").get_by_role("link", name="Questions"))
    ui3.select(third.locator('select[name="status"]'), value="answered")
    results = third.locator("#question-results")
    expect(third).to_have_url(re.compile(r"status=answered"))
    expect(results).to_contain_text(QUESTION[:40])
    ui3.follow(results.get_by_role("link", name=re.compile(re.escape(QUESTION[:30]))).first)
    expect(third).to_have_url(at(rf"/questions/{question.pk}/"))
    expect(third.locator(".qa-status")).to_contain_text("Répondue")
    expect(third.locator("main")).to_contain_text(ANSWER)
    expect(third.locator("main")).to_contain_text("Tours Habitat")
    screenshot(third, f"journey-questions-{mode}-public", full_page=False)
    for driver in (ui, ui2, ui3):
        driver.finish()
