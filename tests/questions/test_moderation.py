"""Moderation of online questions: the queue, publish (theme fixed), reject with a reason by email,
every role in and out of scope, and the guest's whole journey from the form to the public Q&A.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from questions.models import Question, QuestionStatus, Theme
from tests.questions import test_question_intake as intake
from tests.questions.factories import QuestionFactory

ACTORS, english = intake.ACTORS, intake.english
# The same meetings as the intake tests (a fixture shared by assignment).
meetings = intake.meetings

pytestmark = pytest.mark.django_db

MODERATORS = {
    "facilitator_sanitas",
    "facilitator_rabiere",
    "referent_tours",
    "referent_joue",
    "coordinator",
}
MODERATE_SANITAS = {"facilitator_sanitas", "referent_tours", "coordinator"}
QUEUE = "/espace-pro/questions/moderation/"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _waiting(qpv, **kwargs) -> Question:
    return QuestionFactory(qpv=qpv, status=QuestionStatus.MODERATION, **kwargs)


def _moderate_url(question) -> str:
    return reverse("questions:question_moderate", kwargs={"pk": question.pk})


def _publish(question, theme: str = "") -> dict:
    prefix = f"q{question.pk}"
    return {f"{prefix}-decision": "publish", f"{prefix}-theme": theme or question.theme}


def _reject(question, reason: str) -> dict:
    prefix = f"q{question.pk}"
    return {
        f"{prefix}-decision": "reject",
        f"{prefix}-theme": question.theme,
        f"{prefix}-reason": reason,
    }


def test_queue_url_is_the_fixed_one():
    assert reverse("questions:moderation_queue") == QUEUE


@pytest.mark.parametrize("actor", ACTORS)
def test_queue_for_each_role(client, actors, meetings, actor):
    actors.login(client, actor)
    response = client.get(QUEUE)
    if actor == "visitor":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    elif actor in MODERATORS:
        assert response.status_code == 200
    else:
        # Residents, correspondents, delegates and the facilitator of a single space moderate
        # nothing.
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("actor", "sees_sanitas", "sees_rabiere"),
    [
        ("facilitator_sanitas", True, False),
        ("facilitator_rabiere", False, True),
        ("referent_tours", True, False),
        ("referent_joue", False, True),
        ("coordinator", True, True),
    ],
)
def test_queue_shows_only_the_questions_of_the_moderators_qpv(
    client, actors, meetings, actor, sees_sanitas, sees_rabiere
):
    sanitas = _waiting(actors.sanitas, text="Question du Sanitas ?")
    rabiere = _waiting(actors.rabiere, text="Question de la Rabière ?")
    actors.login(client, actor)
    page = client.get(QUEUE).content.decode()
    assert (sanitas.text in page) is sees_sanitas
    assert (rabiere.text in page) is sees_rabiere


def test_queue_lists_only_questions_awaiting_moderation_oldest_first(client, actors, meetings):
    today = timezone.localdate()
    recent = _waiting(actors.sanitas, text="Récente ?")
    old = _waiting(
        actors.sanitas,
        text="Ancienne ?",
        received_on=today - timedelta(days=3),
        due_on=today + timedelta(days=27),
    )
    for status in (QuestionStatus.UNCONFIRMED, QuestionStatus.RECEIVED, QuestionStatus.REJECTED):
        QuestionFactory(status=status, text=f"Statut {status} ?")
    actors.login(client, "facilitator_sanitas")
    response = client.get(QUEUE)
    assert [item["question"] for item in response.context["items"]] == [old, recent]
    page = response.content.decode()
    assert "Statut" not in page
    # Each question has its two decisions, and the theme is offered for correction.
    assert page.count('value="publish"') == 2
    assert page.count('value="reject"') == 2
    assert f'name="q{old.pk}-theme"' in page


@pytest.mark.parametrize("actor", ACTORS)
def test_publishing_for_each_role(client, actors, meetings, actor):
    question = _waiting(actors.sanitas)
    actors.login(client, actor)
    response = client.post(_moderate_url(question), _publish(question))
    question.refresh_from_db()
    if actor == "visitor":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    elif actor in MODERATE_SANITAS:
        assert response.status_code == 302
        assert response.url == QUEUE
        assert question.status == QuestionStatus.RECEIVED
        return
    else:
        # A question awaiting moderation is seen by its moderators alone: 404 for anyone else.
        assert response.status_code == 404
    assert question.status == QuestionStatus.MODERATION


@pytest.mark.parametrize("actor", ["referent_joue", "facilitator_rabiere", "delegate_all"])
def test_rejecting_out_of_scope_is_404(client, actors, meetings, actor, mailoutbox):
    question = _waiting(actors.sanitas)
    actors.login(client, actor)
    response = client.post(_moderate_url(question), _reject(question, "Hors sujet"))
    assert response.status_code == 404
    question.refresh_from_db()
    assert question.status == QuestionStatus.MODERATION
    assert mailoutbox == []


def test_moderate_is_post_only_and_unknown_is_404(client, actors, meetings):
    question = _waiting(actors.sanitas)
    actors.login(client, "coordinator")
    assert client.get(_moderate_url(question)).status_code == 405
    assert client.post("/espace-pro/questions/999999/moderer/").status_code == 404


def test_publish_with_the_theme_corrected(client, actors, meetings):
    english(client)
    question = _waiting(actors.sanitas, theme=Theme.OTHER)
    actors.login(client, "referent_tours")
    response = client.post(_moderate_url(question), _publish(question, Theme.MOBILITY), follow=True)
    question.refresh_from_db()
    assert (question.status, question.theme) == (QuestionStatus.RECEIVED, Theme.MOBILITY)
    assert "The question is published." in response.content.decode()
    assert Question.objects.public().filter(pk=question.pk).exists()


def test_an_invalid_theme_is_refused_and_nothing_changes(client, actors, meetings):
    question = _waiting(actors.sanitas)
    actors.login(client, "referent_tours")
    response = client.post(_moderate_url(question), _publish(question, "nope"))
    assert response.status_code == 400
    question.refresh_from_db()
    assert (question.status, question.theme) == (QuestionStatus.MODERATION, Theme.HOUSING)


def test_reject_requires_a_reason_and_keeps_the_page(client, actors, meetings, mailoutbox):
    english(client)
    question = _waiting(actors.sanitas)
    actors.login(client, "facilitator_sanitas")
    response = client.post(_moderate_url(question), _reject(question, "   "))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the reason: it is sent to the person who asked." in page
    assert question.text in page
    question.refresh_from_db()
    assert question.status == QuestionStatus.MODERATION
    assert mailoutbox == []


def test_a_refused_form_is_shown_even_when_its_question_is_on_another_page(
    client, actors, meetings
):
    english(client)
    today = timezone.localdate()
    waiting = [
        _waiting(
            actors.sanitas,
            received_on=today - timedelta(days=5),
            due_on=today + timedelta(days=25),
        )
        for _ in range(21)
    ]
    last = _waiting(actors.sanitas, text="La toute dernière question ?")
    actors.login(client, "facilitator_sanitas")
    response = client.get(QUEUE)
    assert response.status_code == 200
    page = response.content.decode()
    assert waiting[0].text in page
    assert last.text not in page  # on page 2
    response = client.post(_moderate_url(last), _reject(last, ""))
    assert response.status_code == 400
    assert last.text in response.content.decode()


@pytest.mark.parametrize("status", [QuestionStatus.RECEIVED, QuestionStatus.REJECTED])
def test_an_already_moderated_question_does_not_change(
    client, actors, meetings, status, mailoutbox
):
    english(client)
    question = QuestionFactory(status=status)
    actors.login(client, "facilitator_sanitas")
    response = client.post(_moderate_url(question), _reject(question, "Trop tard"), follow=True)
    assert response.status_code == 200
    assert "This question has already been moderated: nothing changed." in (
        response.content.decode()
    )
    question.refresh_from_db()
    assert question.status == status
    assert question.rejected_reason == ""
    assert mailoutbox == []


def test_reject_sends_the_reason_by_email(client, actors, meetings, mailoutbox, commit):
    english(client)
    question = _waiting(actors.sanitas, asker_email="karim@example.org")
    actors.login(client, "facilitator_sanitas")
    reason = "Votre question donne l'adresse d'un voisin : reformulez-la sans elle."
    with commit():
        response = client.post(_moderate_url(question), _reject(question, reason), follow=True)
    assert "The reason was sent to the person by email." in response.content.decode()
    question.refresh_from_db()
    assert (question.status, question.rejected_reason) == (QuestionStatus.REJECTED, reason)
    assert not Question.objects.public().filter(pk=question.pk).exists()
    (message,) = mailoutbox
    assert message.to == ["karim@example.org"]
    assert reason in message.body


@pytest.mark.parametrize("count", [3, 30])
def test_queue_query_count_does_not_grow(
    client, actors, meetings, django_assert_num_queries, count
):
    for index in range(count):
        _waiting(actors.sanitas if index % 2 else actors.rabiere)
    actors.login(client, "coordinator")
    # session, user, scopes, count, questions with QPV and asker, menu of QPV (base.html); the
    # door (questions.moderate_question somewhere) needs no query
    with django_assert_num_queries(6):
        response = client.get(QUEUE)
    assert response.status_code == 200
    assert len(response.context["items"]) == min(count, 20)


# The guest's whole journey ------------------------------------------------------------------------


def _confirm_link(message) -> str:
    match = re.search(r"https?://[^\s\"<>]+/questions/confirmer/[^\s\"<>]+/", message.body)
    assert match, message.body
    return "/" + match.group(0).split("://", 1)[1].split("/", 1)[1]


def test_guest_question_from_the_form_to_the_public_qa(
    client, actors, meetings, mailoutbox, commit
):
    sanitas = actors.sanitas
    text = "Quand les bancs de la place Saint-Paul seront-ils remplacés ?"
    with commit():
        response = client.post(
            reverse("questions:question_ask", kwargs={"slug": sanitas.slug}),
            {
                "text": text,
                "theme": Theme.LIVING_ENVIRONMENT,
                "public_display": "on",
                "name": "Karim B.",
                "email": "karim@example.org",
                "website": "",
            },
        )
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.status == QuestionStatus.UNCONFIRMED
    (message,) = mailoutbox
    assert message.to == ["karim@example.org"]
    link = _confirm_link(message)

    # Not confirmed yet: not in the queue. A GET (a mail scanner) confirms nothing.
    actors.login(client, "facilitator_sanitas")
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert response.context["items"] == []
    assert text not in response.content.decode()
    client.logout()
    assert client.get(link).status_code == 200
    question.refresh_from_db()
    assert question.status == QuestionStatus.UNCONFIRMED
    assert client.post(link).status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.MODERATION
    assert not Question.objects.public().filter(pk=question.pk).exists()

    actors.login(client, "facilitator_sanitas")
    assert text in client.get(QUEUE).content.decode()
    response = client.post(_moderate_url(question), _publish(question))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.RECEIVED
    assert list(Question.objects.public()) == [question]
    assert question.public_asker == ""  # the name was not to be shown
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert response.context["items"] == []
    assert text not in response.content.decode()
