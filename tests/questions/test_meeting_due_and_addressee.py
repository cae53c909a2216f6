"""Questions heard at a meeting (issue 17, item 7): their due date counts from the meeting, shown
on the form with a warning when it has already passed or when the logging comes late; and whom a
question is for, as the asker said, which the staff see and may correct when they moderate or
forward it."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from dialogue.models import MeetingStatus
from questions import services
from questions.models import (
    DEFAULT_ANSWER_DAYS,
    Addressee,
    Question,
    QuestionEventKind,
    QuestionStatus,
    Theme,
)
from questions.selectors import history_of, transparency_figures
from tests.dialogue.factories import MeetingFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def _meeting(actors, days_ago: int):
    # An hour before this time `days_ago` days ago, but never before that day's midnight in Paris:
    # just after midnight, an hour earlier would be one more calendar day ago.
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    starts_at = max(now - timedelta(days=days_ago, hours=1), midnight)
    return MeetingFactory(
        dialogue_space=actors.space,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        status=MeetingStatus.HELD if days_ago else MeetingStatus.PLANNED,
    )


def _url(meeting) -> str:
    return reverse("questions:meeting_questions", kwargs={"pk": meeting.pk})


def _log(**overrides) -> dict:
    return {
        "text": "Quand le city-stade sera-t-il éclairé ?",
        "theme": Theme.YOUTH,
        "addressed_to": Addressee.CITY,
        "public_display": "on",
        **overrides,
    }


# The due date on the form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "passed", "late"),
    [(0, False, False), (7, False, False), (8, False, True), (31, True, True)],
)
def test_the_form_shows_the_due_date_counted_from_the_meeting(
    client, actors, days_ago, passed, late
):
    meeting = _meeting(actors, days_ago)
    actors.login(client, "facilitator_sanitas", english=True)
    response = client.get(_url(meeting))
    page = html.unescape(response.content.decode())
    due = timezone.localdate(meeting.starts_at) + timedelta(days=DEFAULT_ANSWER_DAYS)
    assert response.context["due_on"] == due
    assert f"Answer due by {date_format(due, 'l j F Y')} (30 days after the meeting)." in (
        page.replace("<strong>", "").replace("</strong>", "")
    )
    assert ("This due date has already passed" in page) is passed
    assert ("counted as logged late in the public figures" in page) is late
    if late and not passed:
        assert f"The meeting was {days_ago} days ago" in page


def test_a_question_logged_after_its_due_date_is_late_at_once_and_counted(client, actors):
    meeting = _meeting(actors, 40)
    actors.login(client, "referent_tours")
    assert client.post(_url(meeting), _log()).status_code == 302
    question = Question.objects.get()
    day = timezone.localdate(meeting.starts_at)
    assert (question.received_on, question.due_on) == (day, day + timedelta(days=30))
    assert question.is_overdue()
    assert question.addressed_to == Addressee.CITY
    [received] = history_of(question)
    assert (received.kind, received.due_on) == (QuestionEventKind.RECEIVED, question.due_on)
    figures = transparency_figures(qpv=actors.sanitas)
    assert (figures.heard_at_meetings, figures.logged_late, figures.overdue) == (1, 1, 1)


def test_the_htmx_block_keeps_the_due_date(client, actors):
    meeting = _meeting(actors, 10)
    actors.login(client, "facilitator_sanitas", english=True)
    response = client.post(_url(meeting), _log(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "counted as logged late in the public figures" in response.content.decode()


def test_the_service_counts_from_the_meeting_day_in_paris(actors):
    # 23:30 in Paris on 31 March is 21:30 UTC: the meeting's day is the 31st, due on 30 April.
    meeting = MeetingFactory(
        dialogue_space=actors.space,
        starts_at=datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("Europe/Paris")),
    )
    assert services.meeting_question_due_on(meeting).isoformat() == "2026-04-30"


@pytest.mark.parametrize("value", ["pope", "UNKNOWN"])
def test_a_bad_addressee_on_the_meeting_form_is_refused_in_french(client, actors, value):
    meeting = _meeting(actors, 1)
    actors.login(client, "facilitator_sanitas")
    response = client.post(_url(meeting), _log(addressed_to=value))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Choisissez l'une des réponses de la liste." in page
    assert response.context["form"]["text"].value() == _log()["text"]
    assert not Question.objects.exists()


def test_an_addressee_left_empty_is_not_said(client, actors):
    actors.login(client, "facilitator_sanitas")
    client.post(_url(_meeting(actors, 1)), _log(addressed_to=""))
    assert Question.objects.get().addressed_to == Addressee.UNKNOWN


# Whom it is for, for the staff ------------------------------------------------------------------


@pytest.fixture
def routable(actors):
    actors.organisation.qpvs.add(actors.sanitas)
    return QuestionFactory(addressed_to=Addressee.CITY)


def test_the_staff_correct_the_addressee_when_forwarding(client, actors, routable):
    actors.login(client, "referent_tours")
    url = reverse("questions:question_route", args=[routable.pk])
    page = client.get(reverse("questions:question_manage", args=[routable.pk])).content.decode()
    assert '<option value="city" selected>' in page  # the asker's choice, to correct
    response = client.post(
        url, {"organisation": actors.organisation.pk, "addressed_to": Addressee.LANDLORD}
    )
    assert response.status_code == 302
    routable.refresh_from_db()
    assert routable.addressed_to == Addressee.LANDLORD
    assert [event.kind for event in history_of(routable)] == [
        QuestionEventKind.ADDRESSEE_CHANGED,
        QuestionEventKind.FORWARDED,
    ]


def test_forwarding_without_an_addressee_leaves_it_unchanged(client, actors, routable):
    actors.login(client, "referent_tours")
    url = reverse("questions:question_route", args=[routable.pk])
    assert client.post(url, {"organisation": actors.organisation.pk}).status_code == 302
    routable.refresh_from_db()
    assert routable.addressed_to == Addressee.CITY
    assert [event.kind for event in history_of(routable)] == [QuestionEventKind.FORWARDED]


def test_a_bad_addressee_when_forwarding_is_refused_in_french(client, actors, routable):
    actors.login(client, "referent_tours")
    url = reverse("questions:question_route", args=[routable.pk])
    response = client.post(url, {"organisation": actors.organisation.pk, "addressed_to": "x"})
    assert response.status_code == 400
    assert "Choisissez l'une des réponses de la liste." in html.unescape(response.content.decode())
    routable.refresh_from_db()
    assert (routable.status, routable.addressed_to) == (QuestionStatus.RECEIVED, Addressee.CITY)


def test_the_moderators_correct_the_addressee_when_publishing(client, actors):
    question = QuestionFactory(status=QuestionStatus.MODERATION, addressed_to=Addressee.UNKNOWN)
    actors.login(client, "facilitator_sanitas")
    queue = client.get(reverse("questions:moderation_queue")).content.decode()
    assert f'name="q{question.pk}-addressed_to"' in queue
    response = client.post(
        reverse("questions:question_moderate", args=[question.pk]),
        {
            f"q{question.pk}-decision": "publish",
            f"q{question.pk}-theme": question.theme,
            f"q{question.pk}-addressed_to": Addressee.STATE,
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.status, question.addressed_to) == (QuestionStatus.RECEIVED, Addressee.STATE)
    assert [event.kind for event in history_of(question)] == [
        QuestionEventKind.PUBLISHED,
        QuestionEventKind.ADDRESSEE_CHANGED,
    ]


def test_the_staff_see_the_addressee_in_the_list_and_the_question(client, actors, routable):
    QuestionFactory(addressed_to=Addressee.UNKNOWN)
    actors.login(client, "referent_tours", english=True)
    page = html.unescape(client.get(reverse("questions:questions_dashboard")).content.decode())
    assert page.count("asker: The city") == 1  # "not said" is not repeated on every row
    page = html.unescape(
        client.get(reverse("questions:question_manage", args=[routable.pk])).content.decode()
    )
    assert "For whom, as the asker said" in page
    assert "The city" in page
