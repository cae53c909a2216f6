"""Choosing a question by search (project origin, influence record): no list of every question of
the QPV, at most 20 results, the search scoped to the QPV and to who may fill the form, the search
without JavaScript keeping what was typed, made-up or foreign ids refused with a French 400."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from projects.forms.question_search import QUESTION_RESULTS
from projects.models import InfluenceRecord, Project
from questions.models import QuestionStatus
from tests.projects.factories import InfluenceRecordFactory, ProjectFactory
from tests.projects.test_influence import form_data as influence_data
from tests.projects.test_projects_staff import _create_data
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

CHOICES = reverse("projects:question_choices")
PROJECT_CREATE = reverse("projects:project_create") + "?qpv=sanitas"
INFLUENCE_CREATE = reverse("projects:influence_create") + "?qpv=sanitas"


@pytest.fixture
def questions(actors):
    """25 questions of Sanitas about the lift, one about the library, one of La Rabière about the
    lift, one of Sanitas not yet accepted (awaiting moderation)."""
    lifts = [
        QuestionFactory(text=f"Ascenseur en panne au bâtiment {index}")
        for index in range(QUESTION_RESULTS + 5)
    ]
    return {
        "lifts": lifts,
        "library": QuestionFactory(text="Quand rouvre la médiathèque ?"),
        "rabiere": QuestionFactory(qpv=actors.rabiere, text="Ascenseur de la Rabière en panne"),
        "moderation": QuestionFactory(
            text="Ascenseur de la tour à modérer", status=QuestionStatus.MODERATION
        ),
    }


def _radios(html: str, name: str) -> list[str]:
    return re.findall(rf'type="radio"\s+name="{name}"\s+id="[^"]+"\s+value="(\d*)"', html)


def test_the_form_lists_no_select_of_questions_and_at_most_20(
    client, actors, questions, django_assert_max_num_queries
):
    actors.login(client, "referent_tours")
    with django_assert_max_num_queries(16):
        response = client.get(PROJECT_CREATE)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<select name="origin_question"' not in html
    values = _radios(html, "origin_question")
    # "No question", then the latest 20.
    assert values[0] == "" and len(values) == 1 + QUESTION_RESULTS
    assert "affinez votre recherche" in html
    assert 'aria-live="polite"' in html
    assert f'data-hx-get="{CHOICES}?qpv=sanitas&amp;field=origin_question"' in html


def test_search_is_scoped_to_the_qpv_and_its_accepted_questions(
    client, actors, questions, django_assert_max_num_queries
):
    actors.login(client, "referent_tours")
    params = {"qpv": "sanitas", "field": "origin_question", "origin_question_q": "ascenseur"}
    with django_assert_max_num_queries(8):
        response = client.get(CHOICES, params, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    values = _radios(html, "origin_question")
    assert len(values) == QUESTION_RESULTS
    assert str(questions["rabiere"].pk) not in values
    assert str(questions["moderation"].pk) not in values
    assert "affinez votre recherche" in html
    # Every word counts; a few letters are enough.
    response = client.get(CHOICES, {**params, "origin_question_q": "médiat"})
    assert _radios(response.content.decode(), "origin_question") == [str(questions["library"].pk)]
    response = client.get(CHOICES, {**params, "origin_question_q": "ascenseur bâtiment 24"})
    assert _radios(response.content.decode(), "origin_question") == [str(questions["lifts"][24].pk)]
    response = client.get(CHOICES, {**params, "origin_question_q": "piscine"})
    assert _radios(response.content.decode(), "origin_question") == []
    assert "Aucune question du quartier" in response.content.decode()
    # The chosen question is shown apart: not again among the results.
    chosen = questions["library"].pk
    response = client.get(CHOICES, {**params, "origin_question_q": "médiat", "chosen": chosen})
    assert _radios(response.content.decode(), "origin_question") == []
    # A number finds the question of that number; digits that int() does not read ("①", "²",
    # found by the fuzzing) are only words.
    response = client.get(CHOICES, {**params, "origin_question_q": f"#{chosen}"})
    assert _radios(response.content.decode(), "origin_question") == [str(chosen)]
    for word in ("①", "²", "Ⅻ ½ ١٢٣ ߁"):
        response = client.get(CHOICES, {**params, "origin_question_q": word})
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("actor", "field", "status"),
    [
        ("referent_tours", "origin_question", 200),
        ("coordinator", "question", 200),
        ("referent_joue", "origin_question", 403),
        ("facilitator_sanitas", "origin_question", 403),
        ("delegate_sanitas", "question", 403),
        ("correspondent", "question", 403),
        ("resident", "origin_question", 403),
    ],
)
def test_search_is_for_who_may_fill_the_form(client, actors, questions, actor, field, status):
    actors.login(client, actor)
    response = client.get(CHOICES, {"qpv": "sanitas", "field": field})
    assert response.status_code == status


def test_search_refuses_made_up_parameters(client, actors, questions):
    response = client.get(CHOICES, {"qpv": "sanitas", "field": "question"})
    assert response.status_code == 302  # to the login page
    actors.login(client, "coordinator")
    for params, status in [
        ({"qpv": "sanitas", "field": "title"}, 400),
        ({"qpv": "sanitas"}, 400),
        ({"qpv": "sanitas", "field": "question", "chosen": "abc"}, 400),
        ({"qpv": "sanitas", "field": "question", "chosen": "99999999999999"}, 400),
        ({"qpv": "nulle-part", "field": "question"}, 404),
        ({"qpv": "sanitas", "field": "question", "question_q": "x" * 500}, 200),
        ({"qpv": "sanitas", "field": "question", "question_q": "porte\x00"}, 200),
    ]:
        assert client.get(CHOICES, params).status_code == status, params


def test_search_without_javascript_keeps_what_was_typed(client, actors, questions):
    actors.login(client, "referent_tours")
    data = _create_data(origin="question", origin_question_q="médiat", origin_question_search="1")
    response = client.post(PROJECT_CREATE, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert not Project.objects.filter(title="Boîte à livres").exists()
    assert "Boîte à livres" in html and "Lire au Sanitas" in html
    assert 'value="médiat"' in html
    assert str(questions["library"].pk) in _radios(html, "origin_question")
    assert "error-summary" not in html
    # Control characters typed in the search are dropped, not sent to PostgreSQL.
    response = client.post(
        PROJECT_CREATE, {**data, "origin_question_q": "médi\x00at", "origin_question": "\x00"}
    )
    assert response.status_code == 200
    # Then the question is chosen and the project saved.
    response = client.post(
        PROJECT_CREATE, _create_data(origin="question", origin_question=questions["library"].pk)
    )
    assert response.status_code == 302
    assert Project.objects.get(title="Boîte à livres").origin_question == questions["library"]


def test_a_chosen_question_stays_chosen_on_errors(client, actors, questions):
    actors.login(client, "referent_tours")
    chosen = questions["lifts"][0]
    response = client.post(
        PROJECT_CREATE,
        _create_data(origin="question", origin_question=chosen.pk, title="", origin_question_q=""),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(
        rf'name="origin_question"\s+id="id_origin_question_chosen"\s+value="{chosen.pk}"\s+checked',
        html,
    )


@pytest.mark.parametrize("which", ["rabiere", "moderation", "made-up", "word"])
def test_a_question_out_of_the_list_is_a_french_400(client, actors, questions, which):
    value = {
        "rabiere": questions["rabiere"].pk,
        "moderation": questions["moderation"].pk,
        "made-up": 987654321,
        "word": "la-premiere",
    }[which]
    actors.login(client, "referent_tours")
    response = client.post(PROJECT_CREATE, _create_data(origin="question", origin_question=value))
    assert response.status_code == 400
    assert "Choisissez une question de la liste." in response.content.decode()
    assert not Project.objects.filter(title="Boîte à livres").exists()
    response = client.post(INFLUENCE_CREATE, influence_data(question=value))
    assert response.status_code == 400
    assert "Choisissez une question de la liste." in response.content.decode()
    assert not InfluenceRecord.objects.exists()


def test_influence_record_by_search(client, actors, questions, django_assert_max_num_queries):
    actors.login(client, "referent_tours")
    with django_assert_max_num_queries(16):
        page = client.get(INFLUENCE_CREATE).content.decode()
    assert '<select name="question"' not in page
    assert len(_radios(page, "question")) == 1 + QUESTION_RESULTS
    response = client.post(
        INFLUENCE_CREATE, influence_data(question_q="médiat", question_search="1")
    )
    assert response.status_code == 200
    assert not InfluenceRecord.objects.exists()
    assert _radios(response.content.decode(), "question") == ["", str(questions["library"].pk)]
    response = client.post(INFLUENCE_CREATE, influence_data(question=questions["library"].pk))
    assert response.status_code == 302
    assert InfluenceRecord.objects.get().question == questions["library"]


def test_editing_keeps_a_question_since_hidden(client, actors, questions):
    """The current question of a record stays chosen (and savable) even if no longer accepted."""
    hidden = questions["moderation"]
    record = InfluenceRecordFactory(question=hidden)
    actors.login(client, "referent_tours")
    url = reverse("projects:influence_edit", args=[record.pk])
    html = client.get(url).content.decode()
    assert re.search(rf'id="id_question_chosen"\s+value="{hidden.pk}"\s+checked', html)
    response = client.post(url, influence_data(question=hidden.pk))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.question == hidden


def test_project_edit_shows_its_question_chosen(client, actors, questions):
    question = questions["lifts"][3]
    project = ProjectFactory(origin="question", origin_question=question)
    actors.login(client, "referent_tours")
    html = client.get(reverse("projects:project_edit", args=[project.pk])).content.decode()
    assert re.search(rf'id="id_origin_question_chosen"\s+value="{question.pk}"\s+checked', html)
    values = _radios(html, "origin_question")
    assert values.count(str(question.pk)) == 1
