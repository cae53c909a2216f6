"""Questions coming in: logged by staff at a meeting, asked online (accounts and guests), my questions.

Every view for every role in and out of scope, bad input, signed links, honeypot, query counts.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from dialogue import tokens
from dialogue.models import MeetingStatus
from questions import tokens as question_tokens
from questions.models import (
    DEFAULT_ANSWER_DAYS,
    Channel,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionFollow,
    QuestionStatus,
    Theme,
)
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import UserFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "facilitator_space",
    "facilitator_rabiere",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_all",
    "coordinator",
]
STAFF = set(ACTORS) - {"visitor", "resident"}
LOG_SANITAS = {"facilitator_sanitas", "facilitator_space", "referent_tours", "coordinator"}
LOG_RABIERE = {"facilitator_rabiere", "referent_joue", "coordinator"}


def _started_meeting(space, **kwargs):
    # Questions are logged on the day of the meeting or after: this one began an hour ago.
    starts_at = timezone.localtime() - timedelta(hours=1)
    return MeetingFactory(dialogue_space=space, starts_at=starts_at, **kwargs)


@pytest.fixture
def meetings(actors):
    """A meeting of Café du Sanitas ("meeting") and one of Café de la Rabière ("rabiere_meeting"),
    both begun an hour ago."""
    rabiere_space = DialogueSpaceFactory(qpv=actors.rabiere, name="Café de la Rabière")
    return {
        "meeting": _started_meeting(actors.space, title="Café de novembre"),
        "rabiere_meeting": _started_meeting(rabiere_space, title="Café de la Rabière"),
    }


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def english(client) -> None:
    # The msgids are English; the French catalogue is compiled by the lead.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _codes(response, field: str) -> list[str]:
    return [error.code for error in response.context["form"].errors.as_data().get(field, [])]


def _assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def _log_data(**overrides) -> dict:
    data = {
        "text": "Quand l'éclairage de la rue Courteline sera-t-il réparé ?",
        "theme": Theme.LIVING_ENVIRONMENT,
        "asker_name": "",
        "public_display": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _meeting_url(meeting) -> str:
    return reverse("questions:meeting_questions", kwargs={"pk": meeting.pk})


# Logged at a meeting ----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("target", ["meeting", "rabiere_meeting"])
def test_meeting_questions_page_for_each_role(client, actors, meetings, actor, target):
    actors.login(client, actor)
    response = client.get(_meeting_url(meetings[target]))
    allowed = LOG_SANITAS if target == "meeting" else LOG_RABIERE
    if actor == "visitor":
        _assert_login_redirect(response)
    elif actor in allowed:
        assert response.status_code == 200
        assert "Log the question" in response.content.decode() or response.context["form"]
    else:
        # The delegate sees every meeting (its log), not this page: 403. The others do not see
        # the meeting at all: 404, as for an unknown one.
        assert response.status_code == (403 if actor == "delegate_all" else 404)


@pytest.mark.parametrize("actor", ACTORS)
def test_logging_a_question_for_each_role(client, actors, meetings, actor):
    actors.login(client, actor)
    response = client.post(_meeting_url(meetings["meeting"]), _log_data())
    if actor == "visitor":
        _assert_login_redirect(response)
    elif actor in LOG_SANITAS:
        assert response.status_code == 302
        assert response.url == _meeting_url(meetings["meeting"])
    else:
        assert response.status_code == (403 if actor == "delegate_all" else 404)
    assert Question.objects.count() == (1 if actor in LOG_SANITAS else 0)


def test_facilitator_of_sanitas_cannot_log_at_a_rabiere_meeting(client, actors, meetings):
    actors.login(client, "facilitator_sanitas")
    response = client.post(_meeting_url(meetings["rabiere_meeting"]), _log_data())
    assert response.status_code == 404  # out of their scope: as if it did not exist
    assert not Question.objects.exists()


def test_logged_question_is_received_on_the_meeting_day_and_due_in_30_days(
    client, actors, meetings
):
    meeting = meetings["meeting"]
    facilitator = actors["facilitator_sanitas"]
    actors.login(client, "facilitator_sanitas")
    client.post(
        _meeting_url(meeting),
        _log_data(asker_name="  Mme   Martin ", show_name="on", public_display=None),
    )
    question = Question.objects.get()
    day = timezone.localdate(meeting.starts_at)
    assert question.qpv == actors.sanitas
    assert question.meeting == meeting
    assert question.channel == Channel.MEETING
    assert question.status == QuestionStatus.RECEIVED  # heard aloud: no moderation
    assert (question.received_on, question.due_on) == (
        day,
        day + timedelta(days=DEFAULT_ANSWER_DAYS),
    )
    assert (question.asker_name, question.show_name, question.public_display) == (
        "Mme Martin",
        True,
        False,
    )
    assert question.created_by == facilitator


def test_several_questions_in_a_row_with_htmx(client, actors, meetings):
    english(client)
    actors.login(client, "facilitator_sanitas")
    url = _meeting_url(meetings["meeting"])
    for number in (1, 2, 3):
        response = client.post(
            url, _log_data(text=f"Question numéro {number} ?"), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        # Only the block is sent back: the form, empty and focused, the message and the list.
        page = response.content.decode()
        assert "<html" not in page
        assert f"Question logged (number {number} of this meeting)" in page
        assert response.context["form"].is_bound is False
        assert "autofocus" in page
    assert [q.text for q in response.context["meeting_questions"]] == [
        "Question numéro 3 ?",
        "Question numéro 2 ?",
        "Question numéro 1 ?",
    ]
    assert page.index("Question numéro 3") < page.index("Question numéro 1")
    assert response["Vary"].count("HX-Request") == 1


def test_without_javascript_the_form_comes_back_empty_with_a_message(client, actors, meetings):
    english(client)
    actors.login(client, "referent_tours")
    url = _meeting_url(meetings["meeting"])
    response = client.post(url, _log_data(), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Question logged. You can write the next one." in page
    assert response.context["form"].is_bound is False
    assert "rue Courteline" in page  # in the list of logged questions
    assert "1 question logged for this meeting" in page


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"text": ""}, "text", "required"),
        ({"text": "   \n  "}, "text", "required"),
        ({"text": "x" * 5000}, "text", "max_length"),
        ({"text": "x" * 2001}, "text", "max_length"),
        ({"theme": ""}, "theme", "required"),
        ({"theme": "nope"}, "theme", "invalid_choice"),
        ({"show_name": "on"}, "asker_name", "invalid"),
    ],
)
def test_logging_bad_input_keeps_what_was_typed(client, actors, meetings, overrides, field, code):
    english(client)
    actors.login(client, "facilitator_sanitas")
    data = _log_data(asker_name="", **overrides)
    for htmx in (False, True):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = client.post(_meeting_url(meetings["meeting"]), data, **headers)
        assert response.status_code == 400
        errors = response.context["form"].errors.as_data()
        assert field in errors
        if code != "invalid":
            assert code in _codes(response, field)
        assert response.context["form"]["text"].value() == data["text"]
    assert not Question.objects.exists()


def test_logging_messages_are_clear(client, actors, meetings):
    english(client)
    actors.login(client, "facilitator_sanitas")
    page = client.post(
        _meeting_url(meetings["meeting"]), _log_data(text="x" * 5000)
    ).content.decode()
    assert "The question is too long: 2000 characters at most (it has 5000)." in page
    page = client.post(
        _meeting_url(meetings["meeting"]), _log_data(text=" ", show_name="on")
    ).content.decode()
    assert "Write the question." in page
    assert "Write the name, or untick “Show the name publicly”." in page


def test_a_2000_character_question_is_accepted(client, actors, meetings):
    actors.login(client, "facilitator_sanitas")
    response = client.post(_meeting_url(meetings["meeting"]), _log_data(text="é" * 2000))
    assert response.status_code == 302
    assert len(Question.objects.get().text) == 2000


@pytest.mark.parametrize("case", ["future", "cancelled"])
def test_no_question_logged_before_the_meeting_day_nor_at_a_cancelled_meeting(
    client, actors, meetings, case
):
    english(client)
    if case == "future":
        meeting = MeetingFactory(dialogue_space=actors.space)  # next week
        message = "Questions are logged on the day of the meeting or after it."
    else:
        meeting = _started_meeting(
            actors.space, status=MeetingStatus.CANCELLED, cancellation_reason="Salle inondée"
        )
        message = "This meeting was cancelled: no question can be logged for it."
    actors.login(client, "facilitator_sanitas")
    page = client.get(_meeting_url(meeting)).content.decode()
    assert message in page
    assert 'name="text"' not in page
    assert client.post(_meeting_url(meeting), _log_data()).status_code == 400
    assert not Question.objects.exists()


@pytest.mark.parametrize("count", [3, 30])
def test_meeting_questions_query_count_does_not_grow(
    client, actors, meetings, django_assert_num_queries, count
):
    meeting = meetings["meeting"]
    organisation = actors.organisation
    for index in range(count):
        QuestionFactory(
            meeting=meeting,
            channel=Channel.MEETING,
            organisation=organisation if index % 2 else None,
            status=QuestionStatus.FORWARDED if index % 2 else QuestionStatus.RECEIVED,
        )
    actors.login(client, "referent_tours")
    # session, user, meeting with its place and seats, scopes, questions, menu of QPV (base.html)
    with django_assert_num_queries(6):
        response = client.get(_meeting_url(meeting))
    assert response.status_code == 200
    assert len(response.context["meeting_questions"]) == count


def test_log_partial_for_the_meeting_log_page(meetings):
    from django.template.loader import render_to_string

    QuestionFactory(meeting=meetings["meeting"], channel=Channel.MEETING)
    html = render_to_string(
        "questions/includes/log_questions.html",
        {
            "meeting": meetings["meeting"],
            "meeting_questions": list(meetings["meeting"].questions.all()),
            "can_log": True,
        },
    )
    assert _meeting_url(meetings["meeting"]) in html


# Asked online -------------------------------------------------------------------------------------


def _ask_url(qpv) -> str:
    return reverse("questions:question_ask", kwargs={"slug": qpv.slug})


def _ask_data(**overrides) -> dict:
    data = {
        "text": "Pourquoi l'ascenseur du 12 rue Lobin est-il en panne depuis un mois ?",
        "theme": Theme.HOUSING,
        "public_display": "on",
        "name": "Karim B.",
        "email": "Karim@Example.org",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("actor", ACTORS)
def test_ask_page_for_each_role(client, actors, meetings, actor):
    actors.login(client, actor)
    response = client.get(_ask_url(actors.sanitas))
    assert response.status_code == 200
    fields = response.context["form"].fields
    assert ("email" in fields) is (actor == "visitor")


def test_ask_page_of_an_unknown_qpv_is_404(client):
    assert client.get("/quartiers/nulle-part/questions/poser/").status_code == 404


def test_ask_page_explains_before_sending(client, actors, meetings):
    english(client)
    page = client.get(_ask_url(actors.sanitas)).content.decode()
    assert "reads every question before it is published" in page
    assert "commits to answer within 30 days" in page
    assert "Your name is never shown, unless you tick “Show my name”." in page
    # Defaults: public display ticked, name not shown.
    assert re.search(r'<input[^>]*name="public_display"[^>]*checked', page)
    assert not re.search(r'<input[^>]*name="show_name"[^>]*checked', page)
    # The honeypot: labelled, out of the tab order, never autofilled, hidden by a CSS class.
    honeypot = re.search(r'<input[^>]*name="website"[^>]*>', page).group(0)
    assert 'tabindex="-1"' in honeypot
    assert 'autocomplete="off"' in honeypot
    assert "Leave this field empty" in page
    assert 'class="question-hp"' in page


def test_qpv_page_links_to_the_ask_page(client, actors, meetings):
    page = client.get(actors.sanitas.get_absolute_url()).content.decode()
    assert _ask_url(actors.sanitas) in page


def test_resident_asks_with_their_account(client, actors, meetings):
    english(client)
    resident = actors["resident"]
    actors.login(client, "resident")
    response = client.post(
        _ask_url(actors.sanitas),
        _ask_data(name="Usurpateur", email="autre@example.org", show_name="on"),
    )
    assert response.status_code == 302
    assert response.url == reverse("questions:my_questions")
    question = Question.objects.get()
    assert question.asked_by == resident
    # The account's identity, not what was posted.
    assert (question.asker_name, question.asker_email) == (resident.full_name, resident.email)
    assert question.status == QuestionStatus.MODERATION
    assert (question.channel, question.qpv) == (Channel.ONLINE, actors.sanitas)
    assert (question.show_name, question.public_display) == (True, True)
    page = client.get(response.url).content.decode()
    assert "Your question is sent." in page
    assert "Awaiting moderation" in page


def test_guest_asks_and_is_told_to_check_their_inbox(client, actors, meetings):
    english(client)
    response = client.post(_ask_url(actors.sanitas), _ask_data(public_display=None))
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.status == QuestionStatus.UNCONFIRMED
    assert question.asked_by is None
    assert (question.asker_name, question.asker_email) == ("Karim B.", "karim@example.org")
    assert (question.show_name, question.public_display) == (False, False)
    page = client.get(response.url).content.decode()
    assert "Check your inbox" in page
    assert "Karim@Example.org" in page
    # Shown once: reloading the page does not show the address again.
    reloaded = client.get(response.url)
    assert reloaded.status_code == 200
    assert "Check your inbox" in reloaded.content.decode()
    assert "Karim@Example.org" not in reloaded.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "code", "message"),
    [
        ({"text": ""}, "text", "required", "Write the question."),
        ({"text": "   "}, "text", "required", "Write the question."),
        (
            {"text": "y" * 5000},
            "text",
            "max_length",
            "The question is too long: 2000 characters at most (it has 5000).",
        ),
        ({"theme": ""}, "theme", "required", "Choose the theme of the question."),
        ({"name": "  "}, "name", "required", "Please give your name."),
        (
            {"email": "karim@"},
            "email",
            "invalid",
            "Enter a valid email address, e.g. prenom.nom@example.org.",
        ),
        ({"email": ""}, "email", "required", "Please give your email address."),
    ],
)
def test_asking_bad_input_keeps_what_was_typed(
    client, actors, meetings, overrides, field, code, message
):
    english(client)
    data = _ask_data(**overrides)
    response = client.post(_ask_url(actors.sanitas), data)
    assert response.status_code == 400
    assert code in _codes(response, field)
    assert message in response.content.decode()
    form = response.context["form"]
    for kept in ("text", "name", "email"):
        assert form[kept].value() == data[kept]
    assert not Question.objects.exists()


def test_resident_bad_input_is_400_too(client, actors, meetings):
    actors.login(client, "resident")
    response = client.post(_ask_url(actors.sanitas), _ask_data(text="z" * 5000))
    assert response.status_code == 400
    assert response.context["form"]["text"].value() == "z" * 5000
    assert not Question.objects.exists()


@pytest.mark.parametrize("actor", ["visitor", "resident"])
def test_honeypot_looks_like_success_but_creates_nothing(
    client, actors, meetings, actor, mailoutbox
):
    actors.login(client, actor)
    response = client.post(
        _ask_url(actors.sanitas), _ask_data(website="http://spam.example", text="")
    )
    assert response.status_code == 302
    assert not Question.objects.exists()
    assert mailoutbox == []


# Confirmation of a guest's email ---------------------------------------------------------------


def _confirm_url(question) -> str:
    return question_tokens.question_confirm_path(question)


def test_get_shows_a_button_and_post_confirms(client, actors, meetings):
    english(client)
    question = QuestionFactory(status=QuestionStatus.UNCONFIRMED, asked_by=None)
    url = _confirm_url(question)
    response = client.get(url)
    assert response.status_code == 200
    assert "Confirm my question" in response.content.decode()
    question.refresh_from_db()
    assert question.status == QuestionStatus.UNCONFIRMED  # a mail scanner confirms nothing
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == actors.sanitas.get_absolute_url()
    question.refresh_from_db()
    assert question.status == QuestionStatus.MODERATION
    # Again: nothing changes, the page says so.
    assert client.post(url).status_code == 302
    assert "already confirmed" in client.get(url).content.decode()
    question.refresh_from_db()
    assert question.status == QuestionStatus.MODERATION


def test_forged_confirmation_links(client):
    english(client)
    question = QuestionFactory(status=QuestionStatus.UNCONFIRMED)
    url = _confirm_url(question)
    forged = url.replace(question.token[:4], "AAAA")
    for bad in (forged, "/questions/confirmer/n-importe-quoi/"):
        response = client.post(bad)
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    # A registration's confirmation link does not confirm a question.
    registration_link = tokens.sign_token(question.token, tokens.CONFIRM_SALT)
    assert client.post(f"/questions/confirmer/{registration_link}/").status_code == 400
    question.refresh_from_db()
    assert question.status == QuestionStatus.UNCONFIRMED


def test_expired_confirmation_link(client, monkeypatch):
    english(client)
    question = QuestionFactory(status=QuestionStatus.UNCONFIRMED)
    eight_days_ago = time.time() - 8 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(time, "time", lambda: eight_days_ago)
        url = _confirm_url(question)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 400
        assert response.context["expired"] is True
        assert "This link has expired" in response.content.decode()
    question.refresh_from_db()
    assert question.status == QuestionStatus.UNCONFIRMED


def test_confirmation_of_a_deleted_question_is_404(client):
    question = QuestionFactory(status=QuestionStatus.UNCONFIRMED)
    url = _confirm_url(question)
    question.delete()
    assert client.get(url).status_code == 404


# My questions -----------------------------------------------------------------------------------


def test_my_questions_requires_login(client):
    _assert_login_redirect(client.get(reverse("questions:my_questions")))


def test_my_questions_shows_mine_whatever_their_state(client, actors, meetings):
    english(client)
    me, someone = actors["resident"], UserFactory()
    private = QuestionFactory(asked_by=me, public_display=False, text="Ma question privée ?")
    rejected = QuestionFactory(
        asked_by=me,
        status=QuestionStatus.REJECTED,
        rejected_reason="Elle cite le nom du voisin.",
        text="Ma question refusée ?",
    )
    answered = QuestionFactory(
        asked_by=me,
        organisation=actors.organisation,
        status=QuestionStatus.ANSWERED,
        received_on=timezone.localdate() - timedelta(days=12),
        due_on=timezone.localdate() + timedelta(days=18),
        answered_on=timezone.localdate(),
        text="Ma question répondue ?",
    )
    AnswerFactory(question=answered, status="published", text="Les travaux commencent lundi.")
    late = QuestionFactory(
        asked_by=me,
        received_on=timezone.localdate() - timedelta(days=40),
        due_on=timezone.localdate() - timedelta(days=10),
        text="Ma question en retard ?",
    )
    theirs = QuestionFactory(asked_by=someone, public_display=False, text="Leur question privée ?")
    actors.login(client, "resident")
    response = client.get(reverse("questions:my_questions"))
    page = response.content.decode()
    for question in (private, rejected, answered, late):
        assert question.text in page
    assert theirs.text not in page
    assert "Not public: only you and the staff" in page
    assert "Elle cite le nom du voisin." in page
    assert "Les travaux commencent lundi." in page
    assert "12 days after the question" in page
    assert "Late" in page


def test_another_residents_private_question_is_visible_nowhere(client, actors, meetings):
    someone = UserFactory()
    theirs = QuestionFactory(asked_by=someone, public_display=False, text="Leur question privée ?")
    mine = QuestionFactory(asked_by=actors["resident"], text="Ma question ?")
    actors.login(client, "resident")
    response = client.get(reverse("questions:my_questions"))
    assert response.status_code == 200
    assert mine.text in response.content.decode()
    assert theirs.text not in response.content.decode()
    assert client.get(reverse("questions:moderation_queue")).status_code == 403
    assert not Question.objects.public().filter(pk=theirs.pk).exists()
    for url, status in (
        (reverse("questions:question", kwargs={"pk": theirs.pk}), 404),
        (reverse("questions:questions"), 200),
        (reverse("questions:qpv_questions", kwargs={"slug": "sanitas"}), 200),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert theirs.text not in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_my_questions_query_count_does_not_grow(
    client, actors, meetings, django_assert_num_queries, count
):
    me = actors["resident"]
    for index in range(count):
        question = QuestionFactory(
            asked_by=me,
            organisation=actors.organisation,
            status=QuestionStatus.ANSWERED if index % 2 else QuestionStatus.FORWARDED,
            answered_on=timezone.localdate() if index % 2 else None,
        )
        if index % 2:
            AnswerFactory(question=question, status="published")
        # Each with its history, and a question of someone else followed.
        for kind in (QuestionEventKind.RECEIVED, QuestionEventKind.FORWARDED):
            QuestionEvent.objects.create(
                question=question, kind=kind, organisation=actors.organisation
            )
        QuestionFollow.objects.create(
            user=me, question=QuestionFactory(organisation=actors.organisation)
        )
    actors.login(client, "resident")
    # session, user, count, questions with QPV, organisation and answer, their history, the
    # questions followed; base.html: menu of QPV, scopes (for the staff area link)
    with django_assert_num_queries(8):
        response = client.get(reverse("questions:my_questions"))
    assert response.status_code == 200
