"""The questions app took its models over from dialogue (dialogue 0006, questions 0001, projects 0003):
a database that holds questions in the former schema keeps every row, link and audit entry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from projects.models import Project
from qpv.models import QPV
from questions.models import Answer, AnswerRevision, DueDateChange, Question
from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import UserFactory
from tests.qpv.factories import OrganisationFactory

# The models the questions app took over (its later models have content types of their own).
MOVED = ("question", "answer", "answerrevision", "duedatechange")
BEFORE = [
    ("dialogue", "0005_indexes_for_pages"),
    ("projects", "0002_indexes_for_pages"),
    ("questions", None),
]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_upgraded_database_keeps_every_question_answer_and_link():
    leaves = latest()
    qpv = QPV.objects.get(slug="sanitas")
    meeting = MeetingFactory()
    organisation = OrganisationFactory()
    author = UserFactory()
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE[:2]).apps
        OldQuestion = old.get_model("dialogue", "Question")
        OldAnswer = old.get_model("dialogue", "Answer")
        OldProject = old.get_model("projects", "Project")
        ContentType = old.get_model("contenttypes", "ContentType")
        assert not ContentType.objects.filter(app_label="questions", model__in=MOVED).exists()
        received = date(2026, 3, 2)
        questions = [
            OldQuestion.objects.create(
                qpv_id=qpv.pk,
                meeting_id=meeting.pk,
                organisation_id=organisation.pk,
                channel="meeting",
                text=f"Question {n} about the lifts",
                theme="housing",
                status="answered",
                received_on=received,
                due_on=received + timedelta(days=30),
                answered_on=received + timedelta(days=n),
                token=f"token-{n}",
            )
            for n in range(3)
        ]
        answer = OldAnswer.objects.create(
            question_id=questions[0].pk, text="The lift is repaired.", status="published"
        )
        old.get_model("dialogue", "AnswerRevision").objects.create(
            answer_id=answer.pk, previous_text="Soon.", edited_by_id=author.pk
        )
        old.get_model("dialogue", "DueDateChange").objects.create(
            question_id=questions[1].pk,
            previous_due_on=received + timedelta(days=30),
            new_due_on=received + timedelta(days=45),
            reason="Waiting for the landlord.",
        )
        project = OldProject.objects.create(
            title="Lifts that work",
            qpv_id=qpv.pk,
            summary="From a question.",
            origin="question",
            origin_question_id=questions[2].pk,
            carried_by="institution",
            stage="idea",
        )
        question_type = ContentType.objects.get(app_label="dialogue", model="question")
        entry = LogEntry.objects.create(
            content_type_id=question_type.pk,
            object_pk=str(questions[0].pk),
            object_id=questions[0].pk,
            object_repr="Question 0",
            action=LogEntry.Action.UPDATE,
            changes={"status": ["received", "answered"]},
        )
    finally:
        migrate(leaves)

    assert sorted(Question.objects.values_list("text", flat=True)) == [
        "Question 0 about the lifts",
        "Question 1 about the lifts",
        "Question 2 about the lifts",
    ]
    first = Question.objects.get(pk=questions[0].pk)
    assert (first.meeting, first.organisation, first.qpv) == (meeting, organisation, qpv)
    assert first.answer.text == "The lift is repaired."
    assert AnswerRevision.objects.get().answer == Answer.objects.get()
    assert DueDateChange.objects.get().question_id == questions[1].pk
    assert Project.objects.get(pk=project.pk).origin_question_id == questions[2].pk
    # The audit entry written before the move still names the question, through its content type.
    entry = LogEntry.objects.get(pk=entry.pk)
    assert (entry.content_type.app_label, entry.content_type.model) == ("questions", "question")
    assert entry.content_type.get_object_for_this_type(pk=first.pk) == first
