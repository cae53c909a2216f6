"""Residents follow what they gave (issue 17, item 8), in Chromium on a 360 px phone, with the mouse
and with the keyboard only:

- register for a meeting, find it in "Mon espace", cancel it there;
- ask a question, receive the "passed on" and "answered" messages — as email files and SMS files,
  the local run's mailbox and SMS folder — follow the SMS's link and read the answer;
- apply to the participation fund, land in "Mon espace", then follow the committee's decision and
  the payment there, and in the email that tells it.

The staff's side (moderation, routing, the answer, the decision) runs through the services: their
own journeys drive those pages.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from dialogue.models import Registration, RegistrationStatus
from notifications import sms
from notifications.models import ContactPreference
from participation.mail import PARIS
from participation.roles import Role
from projects.models import GrantApplication, GrantStatus
from projects.services import fund as fund_services
from qpv.models import QPV
from questions import services as question_services
from questions.models import Question
from tests.browser.journeys import MODES, Driver, at, follow_menu_link
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import UserFactory, grant
from tests.projects.factories import FundEnvelopeFactory
from tests.qpv.factories import OrganisationFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
QUESTION = "Le banc de la place Saint-Paul est cassé depuis l'été : qui doit le remplacer ?"
ANSWER = "Le banc sera remplacé par la ville la semaine du 11 janvier."


@pytest.fixture
def mail_and_sms_files(settings, tmp_path):
    """The local run's mailbox and SMS folder (var/mail, var/sms), in a folder of the test."""
    settings.EMAIL_BACKEND = "participation.mail.FileEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SMS_BACKEND = "notifications.backends.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path


def files_in(folder: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*"))]


def send_what_night_held() -> None:
    """SMS are held from 20:00 to 09:00: the sweep of tomorrow morning sends them (a day run
    sends them at once, and the sweep finds nothing)."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    sms.text_messages_send_due(now=datetime.combine(tomorrow, time(9, 30), tzinfo=PARIS))


def resident(**fields):
    return UserFactory(email="samira.benali@example.org", full_name="Samira Benali", **fields)


@pytest.mark.parametrize("mode", MODES)
def test_register_find_it_in_my_space_and_cancel_it(mode, new_context, log_in, screenshot):
    from playwright.sync_api import expect

    sanitas = QPV.objects.get(slug="sanitas")
    meeting = MeetingFactory(
        dialogue_space=DialogueSpaceFactory(qpv=sanitas),
        title="Café des habitants : les jardins partagés",
    )
    user = resident()
    context = new_context(reduced_motion="reduce", **PHONE)
    log_in(context, user)
    page = context.new_page()
    ui = Driver(page, mode)
    page.goto(meeting.get_absolute_url())

    ui.follow(page.locator("main").get_by_role("button", name="M'inscrire"))
    expect(page).to_have_url(at(meeting.get_absolute_url()))
    expect(page.locator("main")).to_contain_text("Vous êtes inscrit·e")
    assert Registration.objects.get(user=user, meeting=meeting).status == (
        RegistrationStatus.CONFIRMED
    )

    follow_menu_link(ui, "Mon espace")
    expect(page).to_have_url(at("/compte/"))
    section = page.locator("#inscriptions")
    expect(section).to_contain_text(meeting.title)
    screenshot(page, f"journey-told-{mode}-my-space", full_page=False)
    ui.follow(section.get_by_role("button", name=re.compile("Annuler mon inscription")))
    expect(page.locator(".alert-success")).to_contain_text("annulée")
    assert Registration.objects.get(user=user, meeting=meeting).status == (
        RegistrationStatus.CANCELLED
    )
    expect(page.locator("#inscriptions")).not_to_contain_text("Vous êtes inscrit")
    ui.finish()


@pytest.mark.parametrize("mode", MODES)
def test_ask_hear_it_is_passed_on_and_answered_by_email_and_sms_then_read_the_answer(
    mode, new_context, log_in, mail_and_sms_files, screenshot
):
    from playwright.sync_api import expect

    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    city = OrganisationFactory(name="Ville de Tours, service des espaces verts")
    city.qpvs.add(sanitas)
    referent = UserFactory(full_name="Inès Moreau")
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    user = resident()
    ContactPreference.objects.create(
        user=user, phone="+33612345678", sms_updates=True, sms_consent_at=timezone.now()
    )
    context = new_context(reduced_motion="reduce", **PHONE)
    log_in(context, user)
    page = context.new_page()
    ui = Driver(page, mode)
    page.goto(sanitas.get_absolute_url())

    ui.follow(page.locator("main").get_by_role("link", name="Poser une question").first)
    ui.fill(page.locator('textarea[name="text"]'), QUESTION)
    ui.select(page.locator('select[name="theme"]'), value="environment")
    ui.choose(page.locator('input[name="addressed_to"][value="city"]'))
    ui.check(page.locator('input[name="public_display"]'), True)
    ui.follow(page.get_by_role("button", name="Envoyer ma question"))
    question = Question.objects.get(asked_by=user)

    # The staff accept it, pass it on, and the city answers.
    question_services.question_moderate(question=question, accept=True, by=referent)
    question_services.question_route(question=question, organisation=city, by=referent)
    question_services.answer_save(question=question, text=ANSWER, by=referent, publish=True)
    send_what_night_held()

    emails = files_in(mail_and_sms_files / "mail")
    assert any("transmise à Ville de Tours" in email for email in emails), emails
    assert any(ANSWER in email for email in emails)
    texts = files_in(mail_and_sms_files / "sms")
    passed_on = [text for text in texts if "transmise à Ville de Tours" in text]
    answered = [text for text in texts if "a une réponse" in text]
    assert len(passed_on) == 1 and len(answered) == 1, texts
    assert "To: +33612345678" in answered[0]

    # The SMS's link opens "Mon espace" at the questions: the history, then the answer.
    link = re.search(r"https?://\S+", answered[0]).group(0)
    parts = urlsplit(link)
    page.goto(parts.path + (f"#{parts.fragment}" if parts.fragment else ""))
    questions = page.locator("#questions")
    expect(questions).to_contain_text("Ville de Tours")
    screenshot(page, f"journey-told-{mode}-question-history", full_page=False)
    ui.follow(questions.get_by_role("link", name=re.compile("Lire la réponse")).first)
    expect(page).to_have_url(at(rf"/questions/{question.pk}/"))
    expect(page.locator("#answer-title + *")).to_contain_text(ANSWER)
    ui.finish()


@pytest.mark.parametrize("mode", MODES)
def test_apply_to_the_fund_and_follow_the_decision(
    mode, new_context, log_in, mail_and_sms_files, screenshot
):
    from playwright.sync_api import expect

    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    envelope = FundEnvelopeFactory(
        qpv=sanitas, year=timezone.localdate().year, amount=Decimal("10000.00")
    )
    referent = UserFactory(full_name="Inès Moreau")
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    user = resident()
    context = new_context(reduced_motion="reduce", **PHONE)
    log_in(context, user)
    page = context.new_page()
    ui = Driver(page, mode)
    page.goto("/fonds/")

    ui.follow(page.locator(".fund-apply-list").get_by_role("link", name=re.compile("Sanitas")))
    ui.fill(page.locator('input[name="title"]'), "Fête des voisins de la place Saint-Paul")
    ui.fill(
        page.locator('textarea[name="description"]'),
        "Un repas partagé et des jeux pour les enfants, le 20 juin.",
    )
    ui.fill(page.locator('input[name="collective_name"]'), "Collectif Saint-Paul")
    ui.fill(page.locator('input[name="contact_name"]'), "Samira Benali")
    ui.fill(page.locator('input[name="contact_email"]'), "samira.benali@example.org")
    ui.fill(page.locator('input[name="amount_requested"]'), "800")
    ui.fill(page.locator('input[name="line_label_1"]'), "Location de tables")
    ui.fill(page.locator('input[name="line_amount_1"]'), "800")
    ui.follow(page.get_by_role("button", name="Envoyer la demande"))
    expect(page).to_have_url(re.compile(r"/compte/(#fph)?$"))
    section = page.locator("#fph")
    expect(section).to_contain_text("Fête des voisins de la place Saint-Paul")
    application = GrantApplication.objects.get(submitted_by=user)
    assert application.envelope == envelope

    # The committee grants 600 €, then the first payment is made.
    fund_services.grant_decide(
        application=application,
        granted=True,
        amount=Decimal("600"),
        reason="Les jeux sont prêtés par la ludothèque.",
        by=referent,
    )
    application.refresh_from_db()
    fund_services.grant_record_payment(
        application=application,
        amount=Decimal("300"),
        paid_on=timezone.localdate(),
        by=referent,
    )
    emails = files_in(mail_and_sms_files / "mail")
    assert any("ludothèque" in email for email in emails), emails

    page.reload()
    section = page.locator("#fph")
    expect(section).to_contain_text("600")
    expect(section).to_contain_text("ludothèque")
    expect(section).to_contain_text("300")
    screenshot(page, f"journey-told-{mode}-fund", full_page=False)
    assert GrantApplication.objects.get(pk=application.pk).status == GrantStatus.GRANTED
    ui.finish()
