"""The emails of questions: who receives them and what they carry; the weekly overdue reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import resolve, reverse

from dialogue import tokens as registration_tokens
from participation.roles import Role
from qpv.models import QPV
from questions import emails as question_emails
from questions import services, tokens
from questions.models import AnswerStatus, QuestionStatus
from tests.participation.factories import UserFactory, grant
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2027, 3, 1)
FOOTER = "Quartiers en dialogue — Tours Métropole Val de Loire"


def html_of(message) -> str:
    [html] = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    return html


def assert_well_formed(message) -> None:
    assert FOOTER in message.body
    assert "{%" not in message.body and "{{" not in message.body
    html = html_of(message)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in html


@pytest.fixture
def sent(mailoutbox, django_capture_on_commit_callbacks):
    """Run a callable and return the emails it sent once its transaction committed."""

    def run(function, *args, **kwargs):
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = function(*args, **kwargs)
        run.result = result
        return mailoutbox[before:]

    return run


@pytest.fixture
def sanitas(db):
    return QPV.objects.select_related("commune").get(slug="sanitas")


def _correspondent(organisation, **kwargs):
    user = UserFactory(**kwargs)
    grant(user, Role.CORRESPONDENT, organisation=organisation)
    return user


# To the asker -------------------------------------------------------------------------------------


def test_guest_gets_a_confirmation_link(sent, sanitas):
    [email] = sent(
        services.question_ask_online,
        qpv=sanitas,
        text="Pourquoi le marché a-t-il changé de jour ?",
        theme="other",
        name="Karim Benali",
        email="Karim.Benali@Example.org",
    )
    question = sent.result
    assert email.to == ["karim.benali@example.org"]
    assert "Karim Benali" in email.body
    assert "Pourquoi le marché a-t-il changé de jour ?" in email.body
    [url] = [line for line in email.body.splitlines() if "/questions/confirmer/" in line]
    path = url.removeprefix(settings.SITE_URL)
    match = resolve(path)
    assert match.view_name == "questions:question_confirm"
    assert tokens.question_token_from_confirm_link(match.kwargs["signed"]) == question.token
    assert url in html_of(email)
    assert_well_formed(email)


def test_confirmation_links_are_signed_for_questions_only(sanitas):
    question = QuestionFactory()
    signed = resolve(tokens.question_confirm_path(question)).kwargs["signed"]
    # A registration link cannot be replayed as a question link, nor a forged one.
    with pytest.raises(registration_tokens.InvalidLink):
        registration_tokens.token_from_confirm_link(signed)
    with pytest.raises(registration_tokens.InvalidLink):
        tokens.question_token_from_confirm_link(question.token + ":forged")


def test_rejection_tells_the_asker_why(sent):
    question = QuestionFactory(status=QuestionStatus.MODERATION, asker_email="lea@example.org")
    [email] = sent(
        services.question_moderate,
        question=question,
        accept=False,
        reason="Le message contient un numéro de téléphone.",
        by=UserFactory(),
    )
    assert email.to == ["lea@example.org"]
    assert "Le message contient un numéro de téléphone." in email.body
    assert reverse("questions:question_ask", kwargs={"slug": "sanitas"}) in email.body
    assert_well_formed(email)


def test_closing_tells_the_asker_the_public_reason(sent):
    question = QuestionFactory(asker_email="", asked_by=UserFactory(email="compte@example.org"))
    [email] = sent(
        services.question_close, question=question, reason="Compétence du syndic", by=None
    )
    assert email.to == ["compte@example.org"]  # the account's address when none was typed
    assert "Compétence du syndic" in email.body
    assert question.get_absolute_url() in email.body


def test_published_answer_goes_to_the_asker(sent):
    organisation = OrganisationFactory(name="Tours Habitat")
    question = QuestionFactory(
        organisation=organisation, status=QuestionStatus.FORWARDED, asker_email="awa@example.org"
    )
    [email] = sent(
        services.answer_save,
        question=question,
        text="Le hall sera repeint en mai.",
        by=_correspondent(organisation),
        publish=True,
    )
    assert email.to == ["awa@example.org"]
    assert "Le hall sera repeint en mai." in email.body
    assert "Tours Habitat" in email.body
    assert question.get_absolute_url() in email.body
    assert "Le hall sera repeint en mai." in html_of(email)
    assert_well_formed(email)


def test_answer_to_a_private_question_has_no_public_link(sent):
    question = QuestionFactory(public_display=False, status=QuestionStatus.FORWARDED)
    [email] = sent(services.answer_save, question=question, text="Oui.", by=None, publish=True)
    assert question.get_absolute_url() not in email.body


def test_no_email_when_no_address_is_known(sent):
    question = QuestionFactory(asker_email="", status=QuestionStatus.RECEIVED)
    assert sent(services.answer_save, question=question, text="Oui.", by=None, publish=True) == []
    assert sent(question_emails.question_closed, question) == []


def test_drafts_and_corrections_send_nothing(sent):
    question = QuestionFactory(status=QuestionStatus.FORWARDED)
    assert sent(services.answer_save, question=question, text="a", by=None, publish=False) == []
    assert len(sent(services.answer_save, question=question, text="b", by=None, publish=True)) == 1
    assert sent(services.answer_save, question=question, text="c", by=None, publish=True) == []


# To the organisation ------------------------------------------------------------------------------


def test_forwarding_emails_every_correspondent_with_the_link(sent):
    organisation = OrganisationFactory(name="Tours Habitat", contact_email="accueil@th.example")
    first = _correspondent(organisation, email="b.martin@th.example")
    second = _correspondent(organisation, email="a.nguyen@th.example")
    _correspondent(organisation, email="parti@th.example", is_active=False)
    _correspondent(OrganisationFactory(), email="autre@example.org")
    question = QuestionFactory(
        received_on=date(2027, 1, 31),
        due_on=date(2027, 3, 2),
        asker_name="Awa Diallo",
        asker_email="awa@example.org",
    )
    to_asker, email = sent(
        services.question_route, question=question, organisation=organisation, by=None
    )
    # The asker hears that it is passed on (issue 17), the organisation gets the question.
    assert to_asker.to == ["awa@example.org"]
    assert "Tours Habitat" in to_asker.body
    assert sorted(email.to) == sorted([first.email, second.email])
    answer_url = settings.SITE_URL + reverse(
        "questions:question_answer", kwargs={"pk": question.pk}
    )
    assert answer_url in email.body
    assert answer_url in html_of(email)
    assert question.text in email.body
    # Routing recomputed the due date with the organisation's delay (30 days by default).
    assert "2 mars 2027" in email.body
    # The organisation never gets the asker's name nor address (not shown publicly here).
    assert "Awa Diallo" not in email.body + html_of(email)
    assert "awa@example.org" not in email.body + html_of(email)
    assert_well_formed(email)


def test_forwarding_to_an_organisation_without_correspondent_uses_its_contact(sent):
    organisation = OrganisationFactory(contact_email="contact@bailleur.example")
    question = QuestionFactory(asker_email="")  # noted at a meeting, no contact: nobody to tell
    [email] = sent(services.question_route, question=question, organisation=organisation, by=None)
    assert email.to == ["contact@bailleur.example"]
    nobody = OrganisationFactory(contact_email="")
    question = QuestionFactory(asker_email="")
    assert sent(services.question_route, question=question, organisation=nobody, by=None) == []


# Weekly reminders ---------------------------------------------------------------------------------


def _late(organisation, days_late: int, **kwargs):
    due = MONDAY - timedelta(days=days_late)
    return QuestionFactory(
        organisation=organisation,
        status=QuestionStatus.FORWARDED if organisation else QuestionStatus.RECEIVED,
        received_on=due - timedelta(days=30),
        due_on=due,
        **kwargs,
    )


@pytest.fixture
def reminders_world(sanitas):
    rabiere = QPV.objects.get(slug="la-rabiere")
    bailleur = OrganisationFactory(name="Tours Habitat")
    mairie = OrganisationFactory(name="Mairie de Tours", contact_email="qpv@tours.example")
    calm = OrganisationFactory(name="Calme")
    _correspondent(bailleur, email="c1@th.example")
    _correspondent(bailleur, email="c2@th.example")
    referent_tours = UserFactory(email="referente@tours.example", full_name="Inès Moreau")
    grant(referent_tours, Role.REFERENT, commune=sanitas.commune)
    referent_joue = UserFactory(email="referent@joue.example")
    grant(referent_joue, Role.REFERENT, commune=rabiere.commune)
    questions = {
        "bailleur_12": _late(bailleur, 12, text="Fuite au 3e étage"),
        "bailleur_1": _late(bailleur, 1, text="Poubelles débordent"),
        "bailleur_due_today": _late(bailleur, 0, text="Pas encore en retard"),
        "mairie_5": _late(mairie, 5, text="Éclairage du parc"),
        "unrouted_3": _late(None, 3, text="Question pas encore transmise"),
        "calm_open": QuestionFactory(
            organisation=calm,
            status=QuestionStatus.FORWARDED,
            received_on=MONDAY - timedelta(days=3),
            due_on=MONDAY + timedelta(days=27),
            text="Question dans les temps",
        ),
        "answered": QuestionFactory(
            organisation=calm,
            status=QuestionStatus.ANSWERED,
            received_on=MONDAY - timedelta(days=20),
            due_on=MONDAY + timedelta(days=10),
            answered_on=MONDAY - timedelta(days=2),
            text="Question répondue la semaine dernière",
        ),
        "closed_late": QuestionFactory(
            organisation=bailleur,
            status=QuestionStatus.CLOSED,
            closed_reason="Doublon",
            received_on=MONDAY - timedelta(days=60),
            due_on=MONDAY - timedelta(days=30),
            text="Question close",
        ),
    }
    return {"questions": questions, "bailleur": bailleur, "mairie": mairie}


def test_each_organisation_gets_only_its_overdue_questions(sent, reminders_world):
    emails = sent(question_emails.send_overdue_reminders, today=MONDAY)
    assert sent.result == len(emails) == 3
    by_to = {tuple(sorted(email.to)): email for email in emails}
    bailleur = by_to[("c1@th.example", "c2@th.example")]
    assert "Fuite au 3e étage" in bailleur.body
    assert "Poubelles débordent" in bailleur.body
    for other in ("Pas encore en retard", "Éclairage du parc", "Question close"):
        assert other not in bailleur.body
    # Most late first, with the days late.
    assert bailleur.body.index("Fuite au 3e étage") < bailleur.body.index("Poubelles débordent")
    assert "12" in bailleur.body
    assert_well_formed(bailleur)
    mairie = by_to[("qpv@tours.example",)]
    assert "Éclairage du parc" in mairie.body
    assert "Fuite" not in mairie.body
    # Nothing for the organisation with nothing overdue.
    assert all("Calme" not in email.subject for email in emails)


def test_referent_summary(sent, reminders_world):
    emails = sent(question_emails.send_overdue_reminders, today=MONDAY)
    [summary] = [email for email in emails if email.to == ["referente@tours.example"]]
    assert "Inès Moreau" in summary.body
    for text in (
        "Fuite au 3e étage",
        "Poubelles débordent",
        "Éclairage du parc",
        "Question pas encore transmise",
        "Question répondue la semaine dernière",
    ):
        assert text in summary.body
    assert "Question dans les temps" not in summary.body  # counted, not listed
    assert "Question close" not in summary.body
    assert reverse("questions:questions_dashboard") in summary.body
    assert_well_formed(summary)
    # Nothing is overdue in Joué-lès-Tours: its referent gets nothing.
    assert all(email.to != ["referent@joue.example"] for email in emails)


def test_nothing_is_sent_when_nothing_is_overdue(sent, sanitas):
    organisation = OrganisationFactory()
    _correspondent(organisation)
    referent = UserFactory()
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    QuestionFactory(
        organisation=organisation,
        status=QuestionStatus.FORWARDED,
        received_on=MONDAY,
        due_on=MONDAY + timedelta(days=30),
    )
    AnswerFactory(
        question=QuestionFactory(
            status=QuestionStatus.ANSWERED,
            received_on=MONDAY - timedelta(days=40),
            due_on=MONDAY - timedelta(days=10),
            answered_on=MONDAY - timedelta(days=15),
        ),
        status=AnswerStatus.PUBLISHED,
    )
    assert sent(question_emails.send_overdue_reminders, today=MONDAY) == []
    assert sent.result == 0


def test_a_second_run_the_same_week_sends_nothing(sent, reminders_world):
    assert len(sent(question_emails.send_overdue_reminders, today=MONDAY)) == 3
    assert sent(question_emails.send_overdue_reminders, today=MONDAY + timedelta(days=2)) == []
    assert len(sent(question_emails.send_overdue_reminders, today=MONDAY + timedelta(days=7))) == 3


@pytest.mark.parametrize("count", [3, 30])
def test_reminders_query_count_does_not_grow(
    sanitas, django_assert_num_queries, django_capture_on_commit_callbacks, count
):
    referent = UserFactory()
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    for index in range(count):
        organisation = OrganisationFactory()
        _correspondent(organisation)
        _late(organisation, index + 1)
    # overdue questions, correspondents, referents, the referents' other questions
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(4):
        sent = question_emails.send_overdue_reminders(today=MONDAY)
    assert sent == count + 1


def test_beat_runs_the_reminders_on_monday_morning(sent, reminders_world, monkeypatch):
    from questions import tasks

    schedule = settings.CELERY_BEAT_SCHEDULE["questions-overdue-reminders"]
    assert schedule["task"] == "questions.tasks.send_question_reminders"
    cron = schedule["schedule"]
    assert (cron.hour, cron.minute, cron.day_of_week) == ({7}, {30}, {1})
    monkeypatch.setattr("questions.emails.today_in_paris", lambda: MONDAY)
    assert len(sent(lambda: tasks.send_question_reminders.delay().get())) == 3


def test_referent_summary_says_the_same_day_never_in_0_days(sent, reminders_world):
    answered = reminders_world["questions"]["answered"]
    answered.received_on = answered.answered_on
    answered.save(update_fields=["received_on"])
    emails = sent(question_emails.send_overdue_reminders, today=MONDAY)
    [summary] = [email for email in emails if email.to == ["referente@tours.example"]]
    html = summary.alternatives[0][0]
    for text in (summary.body, html):
        after = " ".join(text.split("Question répondue", 1)[1].split())[:120]
        assert "le jour même" in after
        assert "0 jour" not in text
