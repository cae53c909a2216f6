"""The dated history of a question (issue 17): one event per status change, written by
questions.services.record_question_event inside the change's transaction; read by history_of and
with_history; shown to the asker and to the staff; free of personal data (guest purge, account
deletion).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from dialogue.models import today_in_paris
from portal.services import account_delete
from questions import services
from questions.models import (
    Addressee,
    AnswerStatus,
    Channel,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionStatus,
    Theme,
)
from questions.selectors import history_of, with_history
from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import UserFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

K = QuestionEventKind


def kinds(question: Question) -> list[str]:
    return [event.kind for event in history_of(question)]


@pytest.fixture
def staff(actors):
    return actors["referent_tours"]


@pytest.fixture
def organisation(actors):
    actors.organisation.answer_delay_days = 45
    actors.organisation.save()
    actors.organisation.qpvs.add(actors.sanitas)
    return actors.organisation


def _ask(actors, **kwargs) -> Question:
    defaults = {
        "qpv": actors.sanitas,
        "text": "Quand l'ascenseur du 12 sera-t-il réparé ?",
        "theme": Theme.HOUSING,
        "name": "Karim B.",
        "email": "karim@example.org",
    }
    return services.question_ask_online(**{**defaults, **kwargs})


def test_an_account_question_goes_through_every_step(actors, staff, organisation, mailoutbox):
    resident = actors["resident"]
    question = _ask(actors, user=resident, addressed_to=Addressee.CITY)
    assert kinds(question) == [K.RECEIVED]
    services.question_moderate(
        question=question, accept=True, addressed_to=Addressee.LANDLORD, by=staff
    )
    services.question_route(question=question, organisation=organisation, by=staff)
    question.refresh_from_db()
    later = question.due_on + timedelta(days=10)
    services.question_extend_due_date(
        question=question, new_due_on=later, reason="Devis attendu.", by=staff
    )
    services.answer_save(question=question, text="Brouillon.", by=staff, publish=False)
    assert kinds(question)[-1] == K.DUE_DATE_EXTENDED  # a draft is no step for the asker
    answer = services.answer_save(question=question, text="Réparé lundi.", by=staff, publish=True)
    # A correction of the published answer is no new step either.
    services.answer_save(question=question, text="Réparé mardi.", by=staff, publish=True)

    history = history_of(question)
    assert [event.kind for event in history] == [
        K.RECEIVED,
        K.PUBLISHED,
        K.ADDRESSEE_CHANGED,
        K.FORWARDED,
        K.DUE_DATE_EXTENDED,
        K.ANSWERED,
    ]
    received, _published, corrected, forwarded, extended, answered = history
    question.refresh_from_db()
    assert received.due_on == question.received_on + timedelta(days=30)
    assert corrected.addressed_to == Addressee.LANDLORD
    assert question.addressed_to == Addressee.LANDLORD
    assert forwarded.organisation == organisation
    assert forwarded.due_on == question.received_on + timedelta(days=45)
    assert forwarded.at == question.forwarded_at
    assert extended.due_date_change.reason == "Devis attendu."
    assert (extended.due_on, extended.due_date_change.new_due_on) == (later, later)
    assert answered.at == answer.published_at
    assert [event.at for event in history] == sorted(event.at for event in history)


def test_a_guest_question_is_received_when_the_email_is_confirmed(actors, staff):
    question = _ask(actors)
    assert question.status == QuestionStatus.UNCONFIRMED
    assert kinds(question) == []  # it has not reached the team yet
    services.question_confirm_guest(question=question)
    services.question_confirm_guest(question=question)  # a second click changes nothing
    assert kinds(question) == [K.RECEIVED]
    services.question_moderate(question=question, accept=False, reason="Un nom cité.", by=staff)
    assert kinds(question) == [K.RECEIVED, K.REJECTED]
    assert history_of(question)[-1].note == "Un nom cité."


def test_a_question_heard_at_a_meeting_is_received_then_closed(actors, staff):
    meeting = MeetingFactory(dialogue_space=actors.space)
    question = services.question_log_at_meeting(
        meeting=meeting, text="Et le city-stade ?", theme=Theme.YOUTH, by=staff
    )
    assert question.addressed_to == Addressee.UNKNOWN
    services.question_close(question=question, reason="Déjà répondu en réunion.", by=staff)
    assert kinds(question) == [K.RECEIVED, K.CLOSED]
    assert history_of(question)[-1].note == "Déjà répondu en réunion."


def test_forwarding_again_is_a_new_step_and_an_unchanged_addressee_is_none(
    actors, staff, organisation
):
    other = actors.other_organisation
    other.qpvs.add(actors.sanitas)
    question = QuestionFactory(addressed_to=Addressee.LANDLORD)
    services.question_route(
        question=question, organisation=organisation, addressed_to=Addressee.LANDLORD, by=staff
    )
    services.question_route(question=question, organisation=other, addressed_to="", by=staff)
    events = history_of(question)
    assert [event.kind for event in events] == [K.FORWARDED, K.FORWARDED]
    assert [event.organisation for event in events] == [organisation, other]


def test_a_refused_action_writes_no_step(actors, staff):
    question = QuestionFactory(status=QuestionStatus.ANSWERED)
    with pytest.raises(services.QuestionError):
        services.question_close(question=question, reason="Motif.", by=staff)
    with pytest.raises(services.QuestionError):
        services.question_extend_due_date(
            question=question, new_due_on=question.due_on + timedelta(days=1), reason="", by=staff
        )
    assert kinds(question) == []


def test_every_step_goes_through_the_hook(actors, staff, organisation, monkeypatch):
    """record_question_event is the one door (notifications to the asker will hang there)."""
    seen = []
    monkeypatch.setattr(services, "_on_event", seen.append)
    question = _ask(actors, user=actors["resident"])
    services.question_moderate(question=question, accept=True, by=staff)
    services.question_route(question=question, organisation=organisation, by=staff)
    services.question_close(question=question, reason="Motif public.", by=staff)
    assert [event.kind for event in seen] == [K.RECEIVED, K.PUBLISHED, K.FORWARDED, K.CLOSED]
    assert QuestionEvent.objects.count() == len(seen)


def test_history_of_many_questions_in_one_query(actors, staff, django_assert_num_queries):
    for _ in range(5):
        question = _ask(actors, user=UserFactory(), text=f"Question {_} ?")
        services.question_moderate(question=question, accept=True, by=staff)
    with django_assert_num_queries(2):
        questions = list(with_history(Question.objects.order_by("pk")))
        assert [[event.kind for event in q.history] for q in questions] == [
            [K.RECEIVED, K.PUBLISHED]
        ] * 5
        # Each line reads its question without a query.
        with translation.override("fr"):
            assert {q.history[0].summary for q in questions} == {"Reçue par l'équipe."}


# Privacy ------------------------------------------------------------------------------------------


def _personal_data_in_events(*values: str) -> list[QuestionEvent]:
    return [
        event
        for event in QuestionEvent.objects.all()
        if any(value and value.lower() in str(vars(event)).lower() for value in values)
    ]


def test_events_hold_no_personal_data_after_the_guest_purge(actors, staff, settings):
    settings.GUEST_DATA_RETENTION_DAYS = 365
    question = _ask(actors, name="Karim Benali", email="karim.benali@example.org")
    services.question_confirm_guest(question=question)
    services.question_moderate(question=question, accept=True, by=staff)
    services.question_close(question=question, reason="Hors compétence.", by=staff)
    Question.objects.filter(pk=question.pk).update(
        received_on=today_in_paris() - timedelta(days=400)
    )
    assert services.purge_guest_question_contacts() == {"questions": 1}
    assert kinds(question) == [K.RECEIVED, K.PUBLISHED, K.CLOSED]  # the history stays
    assert _personal_data_in_events("Karim", "Benali", "karim.benali@example.org") == []


def test_account_deletion_keeps_the_anonymous_history(actors, staff):
    resident = UserFactory(full_name="Aïcha Martin", email="aicha@example.org")
    question = _ask(actors, user=resident, name=resident.full_name, email=resident.email)
    services.question_moderate(question=question, accept=True, by=staff)
    account_delete(user=resident)
    question.refresh_from_db()
    assert (question.asked_by, question.asker_name, question.asker_email) == (None, "", "")
    assert kinds(question) == [K.RECEIVED, K.PUBLISHED]
    assert _personal_data_in_events("Aïcha", "Martin", "aicha@example.org") == []


# Pages --------------------------------------------------------------------------------------------


def test_the_asker_reads_the_history_on_the_question_page_and_in_my_questions(
    client, actors, staff, organisation
):
    resident = actors["resident"]
    question = _ask(actors, user=resident)
    services.question_moderate(question=question, accept=True, by=staff)
    services.question_route(question=question, organisation=organisation, by=staff)
    services.question_close(question=question, reason="Relève du syndic.", by=staff)
    actors.login(client, "resident", english=True)
    page = client.get(question.get_absolute_url()).content.decode()
    assert "What happened to your question" in page
    assert "Passed on to Tours Habitat." in page
    assert "Closed without answer, because: Relève du syndic." in page
    page = client.get(reverse("questions:my_questions")).content.decode()
    assert "History of the question" in page
    assert "Checked and accepted by the team of the neighbourhood." in page


def test_others_do_not_read_the_history_on_the_public_page(client, actors, staff):
    question = _ask(actors, user=actors["resident"])
    services.question_moderate(question=question, accept=True, by=staff)
    for role in ("visitor", "correspondent"):
        actors.login(client, role, english=True)
        page = client.get(question.get_absolute_url()).content.decode()
        assert "What happened to your question" not in page


def test_the_staff_read_the_history_on_the_manage_page(client, actors, staff, organisation):
    meeting = MeetingFactory(dialogue_space=actors.space)
    question = services.question_log_at_meeting(
        meeting=meeting, text="Et le city-stade ?", theme=Theme.YOUTH, by=staff
    )
    services.question_route(question=question, organisation=organisation, by=staff)
    actors.login(client, "referent_tours", english=True)
    page = client.get(reverse("questions:question_manage", args=[question.pk])).content.decode()
    day = timezone.localdate(meeting.starts_at)
    assert f"Asked at the meeting of {day:%-d %B %Y}, and noted by the team." in page
    assert "Passed on to Tours Habitat." in page


def test_answered_step_of_an_answer_published_without_the_service_is_not_invented(actors):
    # Demo and imported rows have no history until the backfill: history_of is then empty.
    question = QuestionFactory(status=QuestionStatus.ANSWERED, channel=Channel.ONLINE)
    AnswerFactory(question=question, status=AnswerStatus.PUBLISHED)
    assert history_of(question) == []
