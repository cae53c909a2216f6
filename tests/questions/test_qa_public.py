"""The public Q&A (dialogue/views/questions_public.py): lists, filters, one question, and the links
from the QPV page and the meeting page.

Pages are read in English (language cookie) so that the assertions do not depend on the catalogue.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from dialogue.models import today_in_paris
from participation.roles import Role
from qpv.models import QPV
from questions.models import (
    Answer,
    AnswerRevision,
    AnswerStatus,
    Channel,
    Question,
    QuestionStatus,
    Theme,
)
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import UserFactory, grant
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

QUESTIONS_URL = reverse("questions:questions")
SANITAS_URL = reverse("questions:qpv_questions", args=["sanitas"])


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def sanitas() -> QPV:
    return QPV.objects.select_related("commune").get(slug="sanitas")


@pytest.fixture
def rabiere() -> QPV:
    return QPV.objects.select_related("commune").get(slug="la-rabiere")


@pytest.fixture
def bailleur():
    return OrganisationFactory(name="Tours Habitat")


def days_ago(days: int) -> date:
    return today_in_paris() - timedelta(days=days)


def answered(question: Question, *, days: int, text: str = "Réponse publiée.", **kwargs) -> Answer:
    """Publish an answer `days` after the question was received."""
    question.status = QuestionStatus.ANSWERED
    question.answered_on = question.received_on + timedelta(days=days)
    question.save()
    return AnswerFactory(
        question=question,
        text=text,
        status=AnswerStatus.PUBLISHED,
        published_at=timezone.now(),
        **kwargs,
    )


def headings(page: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]


def assert_headings_in_order(page: str) -> None:
    levels = headings(page)
    assert levels[0] == 1
    assert levels.count(1) == 1
    for previous, level in pairwise(levels):
        assert level <= previous + 1, levels


def results(page: str) -> str:
    """The results part of a Q&A page (after the filters)."""
    return page.split('id="question-results"', 1)[1]


# ---- Visibility ----


def test_only_public_accepted_questions_are_listed(client, sanitas, rabiere):
    shown = {
        status: QuestionFactory(text=f"Visible {status}", status=status, closed_reason="Motif.")
        for status in (
            QuestionStatus.RECEIVED,
            QuestionStatus.FORWARDED,
            QuestionStatus.ANSWERED,
            QuestionStatus.CLOSED,
        )
    }
    hidden = [
        QuestionFactory(text=f"Cachée {status}", status=status)
        for status in (
            QuestionStatus.UNCONFIRMED,
            QuestionStatus.MODERATION,
            QuestionStatus.REJECTED,
        )
    ]
    hidden.append(QuestionFactory(text="Cachée par choix", public_display=False))
    elsewhere = QuestionFactory(qpv=rabiere, text="À la Rabière")
    page = client.get(QUESTIONS_URL).content.decode()
    for question in [*shown.values(), elsewhere]:
        assert question.text in page
    for question in hidden:
        assert question.text not in page
        assert question.get_absolute_url() not in page
    assert "5 questions" in page
    sanitas_page = client.get(SANITAS_URL).content.decode()
    assert shown[QuestionStatus.RECEIVED].text in sanitas_page
    assert elsewhere.text not in sanitas_page
    assert "4 questions" in sanitas_page


def test_the_asker_name_is_shown_only_if_they_chose_so(client):
    QuestionFactory(asker_name="Fatima Benali", show_name=True)
    QuestionFactory(asker_name="Jean Dupont", show_name=False)
    page = client.get(QUESTIONS_URL).content.decode()
    assert "by Fatima Benali" in page
    assert "Jean Dupont" not in page


def test_a_draft_answer_is_never_shown(client):
    question = QuestionFactory(status=QuestionStatus.FORWARDED)
    AnswerFactory(question=question, text="Brouillon pas encore relu")
    for url in (QUESTIONS_URL, question.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert question.text in page
        assert "Brouillon pas encore relu" not in page


def test_unknown_qpv_or_question_is_a_404(client):
    assert client.get(reverse("questions:qpv_questions", args=["nulle-part"])).status_code == 404
    assert client.get(reverse("questions:question", args=[999999])).status_code == 404


# ---- What each item shows ----


def test_statuses_as_residents_read_them(client, monkeypatch, bailleur):
    today = date(2027, 6, 15)
    monkeypatch.setattr("questions.views.public.today_in_paris", lambda: today)
    received = date(2027, 5, 1)
    waiting = QuestionFactory(text="En attente", received_on=received, due_on=today)
    late = QuestionFactory(
        text="En retard",
        received_on=received,
        due_on=today - timedelta(days=3),
        organisation=bailleur,
        status=QuestionStatus.FORWARDED,
    )
    done = QuestionFactory(
        text="Répondue", received_on=received, due_on=date(2027, 5, 31), organisation=bailleur
    )
    answered(done, days=40, text="Les travaux commencent lundi.")
    QuestionFactory(
        text="Close",
        received_on=received,
        due_on=date(2027, 5, 31),
        status=QuestionStatus.CLOSED,
        closed_reason="Cela relève du syndic de copropriété.",
    )
    page = results(client.get(QUESTIONS_URL).content.decode())
    assert page.count("qa-question-waiting") == 1
    assert page.count("qa-question-late") == 1
    assert page.count("qa-question-answered") == 1
    assert page.count("qa-question-closed") == 1
    for label in ("Awaiting an answer", "Late", "Answered", "Closed without answer"):
        assert f"{label}</span>" in page
    assert "Answer due by 15 June 2027" in page
    assert "Answer was due on 12 June 2027: 3 days late" in page
    assert "Addressed to Tours Habitat" in page
    assert "Answer of Tours Habitat" in page
    assert "on 10 June 2027, 40 days after the question" in page
    assert "Les travaux commencent lundi." in page
    assert "Cela relève du syndic de copropriété." in page
    assert page.count("Asked on 1 May 2027") == 4
    assert waiting.get_absolute_url() in page and late.get_absolute_url() in page


def test_newest_first_with_the_meeting_where_it_was_asked(client, sanitas):
    meeting = MeetingFactory(
        dialogue_space=DialogueSpaceFactory(qpv=sanitas), title="Café du 12 mai"
    )
    old = QuestionFactory(text="La plus ancienne", received_on=days_ago(20))
    at_meeting = QuestionFactory(
        text="Posée en réunion",
        received_on=days_ago(5),
        meeting=meeting,
        channel=Channel.MEETING,
    )
    closed_space = MeetingFactory(
        dialogue_space=DialogueSpaceFactory(qpv=sanitas, is_active=False), title="Espace fermé"
    )
    QuestionFactory(text="Espace inactif", received_on=days_ago(1), meeting=closed_space)
    page = results(client.get(QUESTIONS_URL).content.decode())
    assert page.index("Espace inactif") < page.index(at_meeting.text) < page.index(old.text)
    assert f'at the meeting <a href="{meeting.get_absolute_url()}">Café du 12 mai</a>' in page
    # The page of a meeting of an inactive space is not public: no link to it.
    assert closed_space.get_absolute_url() not in page


def test_answer_received_by_another_channel_is_said(client, bailleur):
    question = QuestionFactory(organisation=bailleur)
    answered(question, days=3, received_by_other_channel=True)
    page = client.get(QUESTIONS_URL).content.decode()
    assert "Answer received by another channel" in page


def test_long_texts_are_shortened_in_the_list_and_whole_on_the_question_page(client):
    question = QuestionFactory(text=" ".join(["mot"] * 60) + " FIN-DE-QUESTION")
    answered(question, days=2, text=" ".join(["réponse"] * 80) + " FIN-DE-REPONSE")
    response = client.get(QUESTIONS_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert question.get_absolute_url() in page
    assert "FIN-DE-QUESTION" not in page and "FIN-DE-REPONSE" not in page
    detail = client.get(question.get_absolute_url()).content.decode()
    assert "FIN-DE-QUESTION" in detail and "FIN-DE-REPONSE" in detail


# ---- Filters, pagination, htmx ----


@pytest.fixture
def mix(sanitas, rabiere, bailleur):
    ville = OrganisationFactory(name="Ville de Tours")
    questions = {
        "waiting": QuestionFactory(text="Q-attente", theme=Theme.SAFETY, organisation=ville),
        "late": QuestionFactory(
            text="Q-retard",
            received_on=days_ago(40),
            due_on=days_ago(10),
            organisation=bailleur,
            status=QuestionStatus.FORWARDED,
        ),
        "answered": QuestionFactory(text="Q-repondue", organisation=bailleur),
        "closed": QuestionFactory(
            text="Q-close", status=QuestionStatus.CLOSED, closed_reason="Hors champ."
        ),
        "rabiere": QuestionFactory(text="Q-rabiere", qpv=rabiere, theme=Theme.SAFETY),
    }
    answered(questions["answered"], days=0)
    return {"ville": ville, "bailleur": bailleur, **questions}


def listed(client, url, params) -> set[str]:
    response = client.get(url, params)
    assert response.status_code == 200
    return set(re.findall(r"Q-[a-z]+", results(response.content.decode())))


def test_filter_by_status(client, mix):
    assert listed(client, QUESTIONS_URL, {"status": "waiting"}) == {"Q-attente", "Q-rabiere"}
    assert listed(client, QUESTIONS_URL, {"status": "late"}) == {"Q-retard"}
    assert listed(client, QUESTIONS_URL, {"status": "answered"}) == {"Q-repondue"}
    assert listed(client, QUESTIONS_URL, {"status": "closed"}) == {"Q-close"}


def test_filter_by_theme_organisation_and_qpv(client, mix):
    assert listed(client, QUESTIONS_URL, {"theme": "safety"}) == {"Q-attente", "Q-rabiere"}
    by_bailleur = {"organisation": mix["bailleur"].pk}
    assert listed(client, QUESTIONS_URL, by_bailleur) == {"Q-retard", "Q-repondue"}
    assert listed(client, QUESTIONS_URL, {"qpv": "la-rabiere"}) == {"Q-rabiere"}
    assert listed(client, SANITAS_URL, {"theme": "safety", "status": "waiting"}) == {"Q-attente"}
    assert listed(client, QUESTIONS_URL, {"theme": "youth"}) == set()
    page = client.get(QUESTIONS_URL, {"theme": "youth"}).content.decode()
    assert "No question matches these filters." in page


def test_filter_choices(client, mix):
    page = client.get(QUESTIONS_URL).content.decode()
    # Only the organisations that public questions were addressed to.
    assert f'<option value="{mix["ville"].pk}">Ville de Tours</option>' in page
    assert 'name="qpv"' in page
    sanitas_page = client.get(SANITAS_URL).content.decode()
    assert 'name="qpv"' not in sanitas_page
    assert 'name="organisation"' in sanitas_page


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending"},
        {"theme": "weather"},
        {"organisation": "abc"},
        {"organisation": "999999"},
        {"qpv": "nulle-part"},
        {"page": "abc", "status": "everything"},
    ],
)
def test_invalid_filters_get_a_message_and_the_unfiltered_list(client, mix, params):
    response = client.get(QUESTIONS_URL, params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There are errors in the form" in page
    assert "Some filters are not valid: the list below is not filtered." in page
    assert listed(client, QUESTIONS_URL, params) == {
        "Q-attente",
        "Q-retard",
        "Q-repondue",
        "Q-close",
        "Q-rabiere",
    }


def test_an_organisation_of_another_qpv_is_not_a_choice_on_a_qpv_page(client, mix, rabiere):
    other = OrganisationFactory(name="Bailleur de la Rabière")
    QuestionFactory(qpv=rabiere, organisation=other)
    response = client.get(SANITAS_URL, {"organisation": other.pk})
    assert "Some filters are not valid" in response.content.decode()


def test_the_list_is_paginated_by_20(client):
    for day in range(25):
        QuestionFactory(text=f"Question-{day:02d}-", received_on=days_ago(day))
    first = results(client.get(QUESTIONS_URL).content.decode())
    assert "Question-19-" in first and "Question-20-" not in first
    assert "25 questions" in first
    assert "?page=2" in first
    second = results(client.get(QUESTIONS_URL, {"page": 2}).content.decode())
    assert "Question-20-" in second and "Question-24-" in second and "Question-00-" not in second
    for page in ("999", "abc", "-1"):
        assert client.get(QUESTIONS_URL, {"page": page}).status_code == 200
    filtered = client.get(QUESTIONS_URL, {"theme": "housing"}).content.decode()
    assert "?theme=housing&amp;page=2" in filtered


def test_htmx_gets_the_results_partial(client, mix):
    response = client.get(QUESTIONS_URL, {"status": "late"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "Q-retard" in page and "Q-attente" not in page
    assert 'id="filter-errors" data-hx-swap-oob="true"' in page
    assert "HX-Request" in response["Vary"]
    invalid = client.get(QUESTIONS_URL, {"status": "x"}, headers={"HX-Request": "true"})
    assert "There are errors in the form" in invalid.content.decode()
    full = client.get(QUESTIONS_URL).content.decode()
    assert 'data-hx-target="#question-results"' in full
    restore = client.get(
        QUESTIONS_URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()


# ---- Figures on the Q&A pages ----


def test_the_figures_are_at_the_top(client, mix):
    page = client.get(QUESTIONS_URL).content.decode()
    figures = page.split('id="figures-title"', 1)[1].split("</dl>", 1)[0]
    numbers = re.findall(r"<dd>\s*(\d+)", figures)
    # received, answered, within the due date, still open (Q-close is closed); the one answer came
    # the same day, which both delays say in words, not as "0".
    assert numbers[:4] == ["5", "1", "1", "3"]
    assert figures.count("the same day") == 2
    assert "(20 %)" in figures
    assert "including 1 late" in figures
    assert page.index('id="figures-title"') < page.index('id="filters-title"')
    # The table by neighbourhood: 13 rows, each linking to the QPV's Q&A.
    for qpv in QPV.objects.all():
        assert reverse("questions:qpv_questions", args=[qpv.slug]) in page
    sanitas_page = client.get(SANITAS_URL).content.decode()
    assert "Figures by neighbourhood" not in sanitas_page
    sanitas_figures = sanitas_page.split('id="figures-title"', 1)[1].split("</dl>", 1)[0]
    assert re.findall(r"<dd>\s*(\d+)", sanitas_figures)[0] == "4"


def test_figures_of_an_empty_qpv(client):
    page = client.get(reverse("questions:qpv_questions", args=["le-morier"])).content.decode()
    assert "no answer yet" in page
    assert "No question has been published yet." in page


# ---- One question ----


ROLES = [
    "visitor",
    "resident",
    "asker",
    "facilitator_sanitas",
    "facilitator_europe",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "correspondent_other",
    "delegate_sanitas",
    "delegate_rabiere",
    "coordinator",
]
FOLLOW_SANITAS_QUESTION = {
    "facilitator_sanitas",
    "referent_tours",
    "correspondent",
    "delegate_sanitas",
    "coordinator",
}


@pytest.fixture
def users(sanitas, rabiere, bailleur):
    users = {"visitor": None, "resident": UserFactory(), "asker": UserFactory()}
    specs = {
        "facilitator_sanitas": (Role.FACILITATOR, {"qpv": sanitas}),
        "facilitator_europe": (Role.FACILITATOR, {"qpv": QPV.objects.get(slug="europe")}),
        "referent_tours": (Role.REFERENT, {"commune": sanitas.commune}),
        "referent_joue": (Role.REFERENT, {"commune": rabiere.commune}),
        "correspondent": (Role.CORRESPONDENT, {"organisation": bailleur}),
        "correspondent_other": (Role.CORRESPONDENT, {"organisation": OrganisationFactory()}),
        "delegate_sanitas": (Role.DELEGATE, {"qpv": sanitas}),
        "delegate_rabiere": (Role.DELEGATE, {"qpv": rabiere}),
        "coordinator": (Role.COORDINATOR, {}),
    }
    for name, (role, scope) in specs.items():
        users[name] = UserFactory()
        grant(users[name], role, **scope)
    return users


def login(client, users, role):
    if users[role] is not None:
        client.force_login(users[role])


@pytest.mark.parametrize("role", ROLES)
def test_a_public_question_is_for_everyone(client, users, role, bailleur):
    question = QuestionFactory(
        organisation=bailleur, status=QuestionStatus.FORWARDED, asked_by=users["asker"]
    )
    login(client, users, role)
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert question.text in page
    assert "not shown publicly" not in page
    manage_url = reverse("questions:question_manage", args=[question.pk])
    assert (manage_url in page) == (role in FOLLOW_SANITAS_QUESTION)
    assert_headings_in_order(page)


@pytest.mark.parametrize("role", ROLES)
def test_a_question_not_shown_publicly(client, users, role, bailleur):
    """Its asker and the staff who follow it see it; anyone else gets a 404, staff out of scope
    included (the page does not tell that the question exists)."""
    question = QuestionFactory(
        organisation=bailleur,
        status=QuestionStatus.FORWARDED,
        public_display=False,
        asked_by=users["asker"],
    )
    login(client, users, role)
    response = client.get(question.get_absolute_url())
    if role == "asker" or role in FOLLOW_SANITAS_QUESTION:
        assert response.status_code == 200
        page = response.content.decode()
        assert question.text in page
        assert "This question is not shown publicly." in page
        manage_url = reverse("questions:question_manage", args=[question.pk])
        assert (manage_url in page) == (role in FOLLOW_SANITAS_QUESTION)
    else:
        assert response.status_code == 404
        assert question.text not in response.content.decode()


@pytest.mark.parametrize(
    "status", [QuestionStatus.UNCONFIRMED, QuestionStatus.MODERATION, QuestionStatus.REJECTED]
)
def test_a_question_not_accepted_is_seen_by_its_asker_only(client, users, status):
    question = QuestionFactory(
        status=status, asked_by=users["asker"], rejected_reason="Données personnelles."
    )
    url = question.get_absolute_url()
    assert client.get(url).status_code == 404
    login(client, users, "resident")
    assert client.get(url).status_code == 404
    login(client, users, "asker")
    page = client.get(url).content.decode()
    assert question.text in page
    assert question.get_status_display() in page
    assert "Answer due by" not in page
    assert ("Données personnelles." in page) == (status == QuestionStatus.REJECTED)
    login(client, users, "facilitator_sanitas")
    assert client.get(url).status_code == 200


def test_the_question_page_shows_the_answer_and_its_history(client, bailleur):
    question = QuestionFactory(organisation=bailleur, asker_name="Awa", show_name=True)
    answer = answered(question, days=9, text="Texte corrigé.")
    for text, day in (("Première version.", 1), ("Deuxième version.", 2)):
        AnswerRevision.objects.create(
            answer=answer,
            previous_text=text,
            edited_at=timezone.make_aware(timezone.datetime(2027, 3, day, 10, 30)),
        )
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Texte corrigé." in page
    assert "9 days after the question" in page
    assert "by Awa" in page
    assert "History of the answer" in page
    assert "Edited on 2 March 2027 at 10:30 a.m.: previous text" in page
    assert page.index("Deuxième version.") < page.index("Première version.")
    assert_headings_in_order(page)


def test_the_question_page_without_answer(client):
    question = QuestionFactory(received_on=days_ago(40), due_on=days_ago(10))
    page = client.get(question.get_absolute_url()).content.decode()
    assert "No answer has been published yet, and the due date has passed." in page
    assert "History of the answer" not in page
    closed = QuestionFactory(status=QuestionStatus.CLOSED, closed_reason="Hors du champ.")
    page = client.get(closed.get_absolute_url()).content.decode()
    assert "Reason for closing without answer:" in page and "Hors du champ." in page


# ---- Query counts ----


def make_questions(count: int, qpvs: list[QPV], organisations: list, meeting) -> None:
    """A realistic mix, fast: open, late, answered (some edited), closed, some not public."""
    today = today_in_paris()
    questions = []
    for index in range(count):
        received = today - timedelta(days=index % 90)
        questions.append(
            Question(
                qpv=qpvs[index % len(qpvs)],
                meeting=meeting if index % 4 == 0 else None,
                channel=Channel.MEETING if index % 4 == 0 else Channel.ONLINE,
                text=f"Question générée {index}",
                theme=Theme.values[index % len(Theme.values)],
                organisation=organisations[index % len(organisations)],
                asker_name=f"Personne {index}",
                show_name=index % 2 == 0,
                public_display=index % 7 != 0,
                status=[
                    QuestionStatus.RECEIVED,
                    QuestionStatus.FORWARDED,
                    QuestionStatus.ANSWERED,
                    QuestionStatus.CLOSED,
                    QuestionStatus.MODERATION,
                ][index % 5],
                received_on=received,
                due_on=received + timedelta(days=30),
                answered_on=received + timedelta(days=index % 30) if index % 5 == 2 else None,
                closed_reason="Motif." if index % 5 == 3 else "",
                token=f"token-{count}-{index}",
            )
        )
    Question.objects.bulk_create(questions)
    answers = Answer.objects.bulk_create(
        Answer(
            question=question,
            organisation=question.organisation,
            text=f"Réponse {question.text}",
            status=AnswerStatus.PUBLISHED,
            published_at=timezone.now(),
        )
        for question in Question.objects.filter(status=QuestionStatus.ANSWERED)
    )
    AnswerRevision.objects.bulk_create(
        AnswerRevision(answer=answer, previous_text="Avant") for answer in answers[::3]
    )


@pytest.mark.parametrize("count", [5, 500])
def test_query_counts_do_not_grow(client, django_assert_num_queries, sanitas, rabiere, count):
    meeting = MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=sanitas))
    organisations = [OrganisationFactory(), OrganisationFactory()]
    make_questions(count, [sanitas, rabiere], organisations, meeting)
    # QPV (filters, table, header menu), organisations of the filter, figures, figures by QPV,
    # count, page.
    with django_assert_num_queries(6):
        assert client.get(QUESTIONS_URL).status_code == 200
    # The figures are kept until the next write (questions.selectors.public_transparency).
    with django_assert_num_queries(4):
        response = client.get(QUESTIONS_URL, {"status": "waiting", "theme": "", "page": 2})
        assert response.status_code == 200
    # QPV, header menu, organisations, figures, count, page.
    with django_assert_num_queries(6):
        assert client.get(SANITAS_URL).status_code == 200
    # Question (with its answer and meeting), revisions of the answer, header menu.
    question = Question.objects.public().filter(answer__revisions__isnull=False).first()
    with django_assert_num_queries(3):
        assert client.get(question.get_absolute_url()).status_code == 200
    # QPV page: + latest questions (+ latest projects and news); its figures are kept.
    with django_assert_num_queries(8):
        assert client.get(sanitas.get_absolute_url()).status_code == 200
    # Meeting page: + its public questions, its translations.
    with django_assert_num_queries(4):
        assert client.get(meeting.get_absolute_url()).status_code == 200
    # Logged in: session, user, roles. Creating the user writes no question: the figures stay
    # stored (their topics, questions.selectors.TRANSPARENCY_TOPICS).
    client.force_login(UserFactory())
    with django_assert_num_queries(7):
        assert client.get(QUESTIONS_URL).status_code == 200
    with django_assert_num_queries(6):
        assert client.get(question.get_absolute_url()).status_code == 200


# ---- The QPV page and the meeting page ----


def test_the_qpv_page_shows_the_latest_questions_and_the_figures(client, sanitas, rabiere):
    for day in range(5):
        QuestionFactory(text=f"Récente-{day}-", received_on=days_ago(day))
    QuestionFactory(text="Pas publique", public_display=False)
    QuestionFactory(text="Ailleurs", qpv=rabiere)
    page = client.get(sanitas.get_absolute_url()).content.decode()
    section = page.split('id="qa-title"', 1)[1]
    assert "Récente-0-" in section and "Récente-2-" in section
    assert "Récente-3-" not in section
    assert "Pas publique" not in page and "Ailleurs" not in page
    # Six questions received (the non-public one counts in the figures).
    assert re.findall(r"<dd>\s*(\d+)", section)[0] == "6"
    assert SANITAS_URL in section
    assert_headings_in_order(page)
    empty = client.get(rabiere.get_absolute_url().replace("la-rabiere", "le-morier"))
    assert "No question has been published for this neighbourhood yet." in empty.content.decode()


def test_the_meeting_page_lists_the_public_questions_asked_there(client, sanitas):
    meeting = MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=sanitas))
    first = QuestionFactory(meeting=meeting, channel=Channel.MEETING, text="Première posée")
    second = QuestionFactory(meeting=meeting, channel=Channel.MEETING, text="Seconde posée")
    QuestionFactory(meeting=meeting, text="Non publique", public_display=False)
    QuestionFactory(text="Posée ailleurs")
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Questions asked at this meeting" in page
    assert page.index(first.get_absolute_url()) < page.index(second.get_absolute_url())
    assert "Non publique" not in page and "Posée ailleurs" not in page
    assert SANITAS_URL in page
    assert_headings_in_order(page)
    other = MeetingFactory(dialogue_space=meeting.dialogue_space)
    response = client.get(other.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert other.title in page
    assert "Questions asked at this meeting" not in page


@pytest.mark.parametrize(
    ("days", "french"),
    [
        (None, "pas encore de réponse"),
        (0, "le jour même"),
        (0.5, "moins d’un jour"),
        (1, "1 jour ou moins"),
        (2.5, "2,5 jours ou moins"),
        (12, "12 jours ou moins"),
    ],
)
def test_answer_delays_in_words(days, french):
    from django.utils import translation

    from questions.templatetags.questions_tags import answer_delay

    with translation.override("fr"):
        assert answer_delay(days) == french


def test_a_same_day_answer_says_so(client, sanitas):
    question = QuestionFactory(qpv=sanitas, received_on=days_ago(2))
    answered(question, days=0)
    late = QuestionFactory(qpv=sanitas, received_on=days_ago(5))
    answered(late, days=1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(SANITAS_URL).content.decode()
    assert "le jour même" in page
    assert "1 jour après la question" in page
    assert not re.search(r"\b0 jour", page)
