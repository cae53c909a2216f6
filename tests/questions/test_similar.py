"""Before sending a question (issue 17, item 7): whom it is for, the open questions like it (as
the resident types, with htmx, and again on "Send"), the same question asked twice, and following
a question instead of asking it again.

The similarity is pg_trgm's word_similarity on PostgreSQL (tests marked `postgresql`), a plain
"contains the word" on SQLite (the local run); both are tested on the database at hand through
`trigram=` where they differ.
"""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from devtools.demo.questions import SUBJECTS
from questions import services
from questions.models import Addressee, Question, QuestionFollow, QuestionStatus, Theme
from questions.selectors import (
    followed_questions_of,
    significant_words,
    similar_open_questions,
)
from tests.participation.factories import UserFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm needs PostgreSQL (set DATABASE_URL)"
)

LIFT = "L'ascenseur de notre bâtiment tombe en panne chaque semaine. Quand sera-t-il remplacé ?"


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _ask_url(qpv) -> str:
    return reverse("questions:question_ask", kwargs={"slug": qpv.slug})


def _similar_url(qpv) -> str:
    return reverse("questions:similar_questions", kwargs={"slug": qpv.slug})


def _ask_data(**overrides) -> dict:
    data = {
        "text": "L'ascenseur est encore en panne, quand va-t-il être réparé ?",
        "theme": Theme.HOUSING,
        "addressed_to": Addressee.LANDLORD,
        "public_display": "on",
        "name": "Karim B.",
        "email": "karim@example.org",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def demo_questions(actors):
    """The 16 demo subjects, open and public in Sanitas (forwarded to Tours Habitat)."""
    return {
        text: QuestionFactory(
            qpv=actors.sanitas,
            text=text,
            theme=theme,
            organisation=actors.organisation,
            status=QuestionStatus.FORWARDED,
        )
        for theme, _kinds, text, _answer in SUBJECTS
    }


# Significant words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("L'ascenseur est encore en panne, va-t-il être réparé ?", ["ascenseur", "réparé", "panne"]),
        ("Le bus passera plus souvent le dimanche ?", ["dimanche", "passera", "souvent", "bus"]),
        ("C’est l’ÉCLAIRAGE, l'éclairage !", ["éclairage"]),
        ("Le la les de du un une ?", []),
        ("", []),
    ],
)  # fmt: skip
def test_significant_words(text, words):
    assert significant_words(text) == words


def test_at_most_eight_words_the_longest_first():
    words = significant_words(
        "trottoir fauteuil roulant avenue praticable aménager bordures passages piétons"
    )
    assert len(words) == 8
    assert words[0] == "praticable"
    assert "avenue" not in words  # among the shortest


# Similar open questions ---------------------------------------------------------------------------


TYPED = [
    ("L'ascenseur est encore en panne, quand va-t-il être réparé ?", LIFT),
    ("Quand est-ce que le bus passera plus souvent le dimanche ?", SUBJECTS[7][2]),
    ("Trop de motos font du bruit le soir, des rodéos partout", SUBJECTS[6][2]),
    ("Pas de médecin généraliste dans le quartier", SUBJECTS[12][2]),
    ("Les poubelles débordent près de l'école le week-end", SUBJECTS[3][2]),
    ("Les charges de chauffage ont augmenté", SUBJECTS[2][2]),
]


@postgresql
@pytest.mark.parametrize(("typed", "expected"), TYPED)
def test_trigrams_find_the_question_on_the_same_subject(demo_questions, actors, typed, expected):
    found = similar_open_questions(qpv=actors.sanitas, text=typed)
    assert found, typed
    assert found[0].text == expected
    assert 0.5 <= found[0].similarity <= 1
    assert len(found) <= 3


@postgresql
@pytest.mark.parametrize(
    "typed",
    [
        "Quand est-ce que la piscine va rouvrir ?",
        "Pourquoi la bibliothèque ferme-t-elle le lundi ?",
        "Peut-on planter des arbres fruitiers dans la cour ?",
    ],
)
def test_trigrams_find_nothing_for_another_subject(demo_questions, actors, typed):
    assert similar_open_questions(qpv=actors.sanitas, text=typed) == []


@postgresql
def test_trigrams_forgive_typos_and_inflections(demo_questions, actors):
    found = similar_open_questions(qpv=actors.sanitas, text="asenseur toujours en pannes")
    assert [question.text for question in found][:1] == [LIFT]


def test_without_trigrams_words_are_looked_for_as_they_are(demo_questions, actors):
    """SQLite (the local run): a question containing at least half of the words typed."""
    found = similar_open_questions(
        qpv=actors.sanitas, text="L'ascenseur tombe en panne", trigram=False
    )
    assert [question.text for question in found] == [LIFT]
    assert found[0].similarity == 1
    assert (
        similar_open_questions(
            qpv=actors.sanitas, text="asenseur toujours en pannes", trigram=False
        )
        == []
    )


@pytest.mark.parametrize("trigram", [False, pytest.param(True, marks=postgresql)])
def test_only_open_public_questions_of_the_same_qpv(actors, trigram):
    text = "L'ascenseur de notre bâtiment tombe en panne"
    shown = QuestionFactory(text=LIFT, status=QuestionStatus.RECEIVED)
    for fields in (
        {"status": QuestionStatus.ANSWERED},
        {"status": QuestionStatus.CLOSED, "closed_reason": "Motif."},
        {"status": QuestionStatus.MODERATION},
        {"status": QuestionStatus.UNCONFIRMED},
        {"status": QuestionStatus.REJECTED},
        {"public_display": False},
        {"qpv": actors.rabiere},
    ):
        QuestionFactory(text=LIFT, **fields)
    found = similar_open_questions(qpv=actors.sanitas, text=text, trigram=trigram)
    assert found == [shown]


def test_too_few_words_look_for_nothing(actors, django_assert_num_queries):
    QuestionFactory(text=LIFT)
    with django_assert_num_queries(0):
        assert similar_open_questions(qpv=actors.sanitas, text="ascenseur") == []


def test_three_at_most_the_closest_first(actors):
    for _ in range(5):
        QuestionFactory(text=LIFT)
    closest = QuestionFactory(text="L'ascenseur en panne")
    found = similar_open_questions(qpv=actors.sanitas, text="ascenseur en panne")
    assert len(found) == 3
    assert closest in found


# The htmx partial, as the resident types ----------------------------------------------------------


def test_the_partial_lists_the_similar_questions_with_links(client, actors, demo_questions):
    english(client)
    response = client.get(
        _similar_url(actors.sanitas),
        {"text": "L'ascenseur tombe en panne chaque semaine"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    lift = demo_questions[LIFT]
    assert lift.get_absolute_url() in page
    assert "A question like yours is already waiting for its answer" in page
    # A visitor is offered to log in, and comes back to the question's page to follow it.
    login = reverse("account_login") + "?next=" + lift.get_absolute_url()
    assert login in page
    assert "My question is different: send it anyway" in page
    assert 'name="send_anyway"' in page


def test_the_partial_is_empty_when_nothing_is_alike(client, actors, demo_questions):
    for text in ("", "piscine", "Quand la piscine rouvrira-t-elle ses bassins ?", "x" * 5000):
        response = client.get(_similar_url(actors.sanitas), {"text": text}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert response.content.decode().strip() == ""


def test_the_partial_offers_to_follow_to_an_account(client, actors, demo_questions):
    english(client)
    resident = actors["resident"]
    lift = demo_questions[LIFT]
    mine = QuestionFactory(text="Ascenseur en panne encore, et réparé quand ?", asked_by=resident)
    actors.login(client, "resident")
    page = client.get(
        _similar_url(actors.sanitas), {"text": "ascenseur panne réparé"}
    ).content.decode()
    assert f'formaction="{reverse("questions:follow", args=[lift.pk])}"' in page
    assert "It is your own question." in page
    assert f'formaction="{reverse("questions:follow", args=[mine.pk])}"' not in page
    QuestionFollow.objects.create(user=resident, question=lift)
    page = client.get(
        _similar_url(actors.sanitas), {"text": "ascenseur panne réparé"}
    ).content.decode()
    assert "You already follow it." in page


def test_the_ask_page_asks_for_similar_questions_as_one_types(client, actors):
    page = client.get(_ask_url(actors.sanitas)).content.decode()
    textarea = re.search(r"<textarea[^>]*>", page).group(0)
    assert f'data-hx-get="{_similar_url(actors.sanitas)}"' in textarea
    assert 'data-hx-trigger="keyup changed delay:600ms"' in textarea
    assert 'data-hx-target="#similar-questions"' in textarea
    assert '<div id="similar-questions" aria-live="polite"></div>' in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_partial_query_count_does_not_grow(client, actors, django_assert_num_queries, count):
    for index in range(count):
        QuestionFactory(text=f"{LIFT} ({index})")
        QuestionFollow.objects.create(user=actors["resident"], question=QuestionFactory(text=LIFT))
    url = _similar_url(actors.sanitas)
    # QPV, similar questions.
    with django_assert_num_queries(2):
        assert client.get(url, {"text": "ascenseur panne semaine"}).status_code == 200
    actors.login(client, "resident")
    # + session, user, the questions followed among those shown.
    with django_assert_num_queries(5):
        assert client.get(url, {"text": "ascenseur panne semaine"}).status_code == 200


# On "Send" ----------------------------------------------------------------------------------------


def test_sending_a_question_like_an_open_one_shows_it_first_and_keeps_the_text(
    client, actors, demo_questions
):
    english(client)
    data = _ask_data()
    response = client.post(_ask_url(actors.sanitas), data)
    assert response.status_code == 200
    assert not Question.objects.filter(text=data["text"]).exists()
    page = response.content.decode()
    assert "A question like yours is already waiting for its answer" in page
    assert demo_questions[LIFT].get_absolute_url() in page
    assert re.search(r'<button[^>]*name="send_anyway"[^>]*value="on"', page)
    assert "Send my question anyway" in page
    form = response.context["form"]
    for kept in ("text", "name", "email", "addressed_to"):
        assert form[kept].value() == data[kept]
    # "Send my question anyway": sent, nothing lost.
    response = client.post(_ask_url(actors.sanitas), {**data, "send_anyway": "on"})
    assert response.status_code == 302
    question = Question.objects.get(text=data["text"])
    assert (question.addressed_to, question.asker_email) == (Addressee.LANDLORD, data["email"])


def test_a_question_unlike_any_other_is_sent_at_once(client, actors, demo_questions):
    response = client.post(
        _ask_url(actors.sanitas), _ask_data(text="Quand la piscine rouvrira-t-elle ses bassins ?")
    )
    assert response.status_code == 302


def test_following_from_the_similar_questions(client, actors, demo_questions):
    """The "Follow this one" button posts the ask form to the follow address (formaction)."""
    english(client)
    resident = actors["resident"]
    actors.login(client, "resident")
    lift = demo_questions[LIFT]
    response = client.post(reverse("questions:follow", args=[lift.pk]), _ask_data())
    assert response.status_code == 302
    assert response.url == lift.get_absolute_url()
    assert list(followed_questions_of(resident)) == [lift]
    assert not Question.objects.filter(asked_by=resident).exists()  # nothing was asked


# Whom it is for ---------------------------------------------------------------------------------


def test_the_form_asks_whom_the_question_is_for_in_plain_words(client, actors):
    page = html.unescape(client.get(_ask_url(actors.sanitas)).content.decode())
    for label in ("La ville", "Le bailleur", "La métropole", "L'État", "Je ne sais pas"):
        assert re.search(rf'name="addressed_to"[^>]*>\s*<label[^>]*>\s*{label}\s*</label>', page)
    assert re.search(r'<input[^>]*name="addressed_to"[^>]*value="unknown"[^>]*checked', page)
    assert "À qui s'adresse votre question ?" in page


@pytest.mark.parametrize(
    ("sent", "saved"), [(None, "unknown"), ("", "unknown"), ("state", "state")]
)
def test_whom_it_is_for_is_saved(client, actors, sent, saved):
    actors.login(client, "resident")
    data = _ask_data(text="Quand la piscine rouvrira-t-elle ses bassins ?", addressed_to=sent)
    assert client.post(_ask_url(actors.sanitas), data).status_code == 302
    assert Question.objects.get().addressed_to == saved


def test_an_unknown_addressee_is_refused_in_french(client, actors):
    response = client.post(_ask_url(actors.sanitas), _ask_data(addressed_to="pope"))
    assert response.status_code == 400
    assert "Choisissez l'une des réponses de la liste." in html.unescape(response.content.decode())
    assert response.context["form"]["text"].value() == _ask_data()["text"]
    assert not Question.objects.exists()


# The same question twice ------------------------------------------------------------------------


def test_an_account_asking_the_same_question_twice_is_told_so(client, actors):
    resident = actors["resident"]
    actors.login(client, "resident")
    data = _ask_data(text="Quand la piscine rouvrira-t-elle ses bassins ?")
    assert client.post(_ask_url(actors.sanitas), data).status_code == 302
    first = Question.objects.get()
    # Again, with other spaces and capitals, even with "send anyway".
    again = {**data, "text": "  QUAND la piscine rouvrira-t-elle ses bassins ?  "}
    response = client.post(_ask_url(actors.sanitas), {**again, "send_anyway": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Vous avez déjà posé cette question" in page
    assert f'href="{first.get_absolute_url()}"' in page  # its asker sees its page
    assert response.context["form"]["text"].value() == again["text"]
    assert Question.objects.filter(asked_by=resident).count() == 1


def test_a_guest_asking_the_same_question_twice_is_told_so(client, actors):
    data = _ask_data(text="Quand la piscine rouvrira-t-elle ses bassins ?")
    assert client.post(_ask_url(actors.sanitas), data).status_code == 302
    response = client.post(_ask_url(actors.sanitas), {**data, "email": "KARIM@example.org"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Vous avez déjà posé cette question" in page
    # Not confirmed yet: no page to link to, the way to go on instead.
    assert "Confirmez-la avec le lien" in page
    assert Question.objects.count() == 1


def test_the_same_text_is_no_duplicate_for_someone_else_elsewhere_or_once_answered(actors):
    text = "Quand la piscine rouvrira-t-elle ses bassins ?"
    resident = actors["resident"]
    first = services.question_ask_online(
        qpv=actors.sanitas, text=text, theme=Theme.CULTURE, name="R", email="", user=resident
    )
    with pytest.raises(services.DuplicateQuestion) as refused:
        services.question_ask_online(
            qpv=actors.sanitas, text=text, theme=Theme.CULTURE, name="R", email="", user=resident
        )
    assert refused.value.question == first
    # Someone else, another QPV, or once the first is answered: accepted.
    other = UserFactory()
    services.question_ask_online(
        qpv=actors.sanitas, text=text, theme=Theme.CULTURE, name="O", email="", user=other
    )
    services.question_ask_online(
        qpv=actors.rabiere, text=text, theme=Theme.CULTURE, name="R", email="", user=resident
    )
    Question.objects.filter(pk=first.pk).update(status=QuestionStatus.ANSWERED)
    services.question_ask_online(
        qpv=actors.sanitas, text=text, theme=Theme.CULTURE, name="R", email="", user=resident
    )
    assert Question.objects.count() == 4
