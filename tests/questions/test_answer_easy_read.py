"""Easy-read summary of a published answer (issue 18): the staff answer form and the question page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from questions import services
from questions.models import Answer, AnswerStatus, QuestionStatus
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

SUMMARY = "L'ascenseur est réparé lundi. Un technicien passe le matin."


@pytest.fixture
def forwarded(actors):
    actors.organisation.qpvs.add(actors.sanitas)
    return QuestionFactory(
        organisation=actors.organisation,
        status=QuestionStatus.FORWARDED,
        text="Quand l'ascenseur de la tour 7 sera-t-il réparé ?",
    )


def _answer_url(question) -> str:
    return reverse("questions:question_answer", kwargs={"pk": question.pk})


def test_staff_publish_an_answer_with_its_summary(client, actors, forwarded):
    actors.login(client, "correspondent")
    response = client.post(
        _answer_url(forwarded),
        {
            "text": "La pièce a été commandée ; la réparation est prévue lundi.",
            "easy_read": SUMMARY + "\r\n",
            "action": "publish",
        },
    )
    assert response.status_code == 302
    answer = Answer.objects.get()
    assert answer.easy_read == SUMMARY
    assert answer.status == AnswerStatus.PUBLISHED
    # The edit form shows it again.
    form = client.get(_answer_url(forwarded)).context["form"]
    assert form["easy_read"].value() == SUMMARY


def test_a_summary_too_long_is_refused_in_french_and_the_texts_are_kept(client, actors, forwarded):
    actors.login(client, "correspondent")
    response = client.post(
        _answer_url(forwarded),
        {"text": "Réponse complète.", "easy_read": "b" * 601, "action": "publish"},
    )
    assert response.status_code == 400
    assert not Answer.objects.exists()
    page = response.content.decode()
    assert "Le résumé facile à lire fait 601 caractères : 600 au plus. Raccourcissez-le." in page
    form = response.context["form"]
    assert form["text"].value() == "Réponse complète."
    assert form["easy_read"].value() == "b" * 601
    assert "Caractères : 601 sur 600, 1 de trop" in page


def test_the_answer_form_shows_guidance_and_a_counter(client, actors, forwarded):
    actors.login(client, "correspondent")
    page = client.get(_answer_url(forwarded)).content.decode()
    assert "Une seule idée par phrase." in page
    assert 'data-easy-read-counter-for="id_easy_read"' in page
    assert "js/easy-read.js" in page


def test_the_service_refuses_a_summary_too_long(actors, forwarded):
    with pytest.raises(services.QuestionError):
        services.answer_save(
            question=forwarded,
            text="Réponse.",
            easy_read="c" * 601,
            by=actors["correspondent"],
            publish=True,
        )
    assert not Answer.objects.exists()


def _published(question, **fields) -> Answer:
    question.status = QuestionStatus.ANSWERED
    question.answered_on = question.received_on
    question.save()
    return AnswerFactory(question=question, status=AnswerStatus.PUBLISHED, **fields)


def test_the_question_page_shows_the_summary_first_then_the_full_answer(client, actors):
    question = QuestionFactory(organisation=actors.organisation)
    _published(question, text="La pièce a été commandée chez le fabricant.", easy_read=SUMMARY)
    # The body only: the head's description and preview quote the summary too.
    page = client.get(question.get_absolute_url()).content.decode().split("<body", 1)[1]
    box = page.index("En bref, facile à lire")
    assert page.index('id="answer-title"') < box
    assert box < page.index(SUMMARY.replace("'", "&#x27;")) < page.index("La réponse complète")
    assert page.index("La réponse complète") < page.index("La pièce a été commandée")
    assert '<a href="#answer-full-title">Lire le texte complet</a>' in page
    assert re.search(r"<h3[^>]*id=\"easy-read-title\"", page)
    assert 'data-read-aloud="easy-read-text"' in page


def test_without_a_summary_the_answer_is_as_before_with_its_read_aloud_button(client, actors):
    question = QuestionFactory(organisation=actors.organisation)
    _published(question, text="La pièce a été commandée.")
    page = client.get(question.get_absolute_url()).content.decode()
    assert "En bref, facile à lire" not in page
    assert "La réponse complète" not in page
    assert 'data-read-aloud="answer-text"' in page
    assert 'id="answer-text"' in page


def test_lists_of_answers_show_no_summary_box(client, actors):
    question = QuestionFactory(organisation=actors.organisation)
    _published(question, easy_read=SUMMARY)
    page = client.get(
        reverse("questions:qpv_questions", kwargs={"slug": actors.sanitas.slug})
    ).content.decode()
    assert "En bref, facile à lire" not in page
    assert "data-read-aloud" not in page
