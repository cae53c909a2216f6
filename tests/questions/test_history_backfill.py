"""The history of the questions that existed before it was recorded (questions 0004): rebuilt from
the rows (created_at, received_on, forwarded_at and the organisation, DueDateChange rows, the
published answer) and from the audit log's status changes."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from qpv.models import QPV
from questions.models import Answer, DueDateChange, Question, QuestionEvent
from tests.dialogue.factories import MeetingFactory
from tests.qpv.factories import OrganisationFactory

BEFORE = [("questions", "0003_pg_trgm")]
PARIS = ZoneInfo("Europe/Paris")
backfill = importlib.import_module("questions.migrations.0004_backfill_question_events")


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=PARIS)


def history(question_pk: int) -> list[tuple]:
    return [
        (event.kind, event.at, event.organisation_id, event.due_date_change_id, event.note)
        for event in QuestionEvent.objects.filter(question_id=question_pk).order_by("at", "pk")
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_backfill_rebuilds_each_question_history():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    qpv = QPV.objects.get(slug="sanitas")
    meeting = MeetingFactory(starts_at=at(2, 18))
    organisation = OrganisationFactory()
    question_type = ContentType.objects.get_for_model(Question)
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        OldQuestion = old.get_model("questions", "Question")
        OldEvent = old.get_model("questions", "QuestionEvent")

        def question(**fields):
            created_at = fields.pop("created_at")
            row = OldQuestion.objects.create(
                qpv_id=qpv.pk,
                theme="housing",
                text="Une question ?",
                token=f"token-{OldQuestion.objects.count()}",
                **fields,
            )
            OldQuestion.objects.filter(pk=row.pk).update(created_at=created_at)
            return row

        def online_on_9_march(**fields):
            """Received online on 9 March, due 30 days later."""
            received = at(9, 0).date()
            return question(
                channel="online",
                received_on=received,
                due_on=received + timedelta(days=30),
                **fields,
            )

        def status_changed(row, old_status, new_status, when):
            entry = LogEntry.objects.create(
                content_type_id=question_type.pk,
                object_pk=str(row.pk),
                object_id=row.pk,
                object_repr="Question",
                action=LogEntry.Action.UPDATE,
                changes={"status": [old_status, new_status]},
            )
            LogEntry.objects.filter(pk=entry.pk).update(timestamp=when)

        # A guest's question, confirmed two days after it was typed, accepted, forwarded, its due
        # date moved, then closed: every time comes from the audit log or the rows.
        guest = question(
            channel="online",
            status="closed",
            closed_reason="Relève du syndic.",
            received_on=at(5, 0).date(),
            due_on=at(5, 0).date() + timedelta(days=50),
            organisation_id=organisation.pk,
            forwarded_at=at(7, 9),
            created_at=at(3, 22),
        )
        status_changed(guest, "unconfirmed", "moderation", at(5, 8))
        status_changed(guest, "moderation", "received", at(6, 10))
        status_changed(guest, "forwarded", "closed", at(20, 16))
        change = old.get_model("questions", "DueDateChange").objects.create(
            question_id=guest.pk,
            previous_due_on=at(5, 0).date() + timedelta(days=30),
            new_due_on=at(5, 0).date() + timedelta(days=50),
            reason="Devis attendu.",
            changed_at=at(15, 11),
        )
        # Heard at a meeting, logged the day after, forwarded and answered; no audit entry.
        heard = question(
            channel="meeting",
            meeting_id=meeting.pk,
            status="answered",
            received_on=at(2, 0).date(),
            due_on=at(2, 0).date() + timedelta(days=30),
            answered_on=at(12, 0).date(),
            organisation_id=organisation.pk,
            forwarded_at=at(4, 9),
            created_at=at(3, 9),
        )
        old.get_model("questions", "Answer").objects.create(
            question_id=heard.pk, text="Oui.", status="published", published_at=at(12, 15)
        )
        # Closed, and rejected, without any audit entry; one awaiting moderation; one unconfirmed.
        closed = online_on_9_march(
            status="closed",
            closed_reason="Doublon.",
            organisation_id=organisation.pk,
            forwarded_at=at(10, 9),
            created_at=at(9, 8),
        )
        rejected = online_on_9_march(
            status="rejected",
            rejected_reason="Un voisin est nommé.",
            created_at=at(9, 7),
        )
        waiting = online_on_9_march(
            status="moderation",
            created_at=at(9, 6),
        )
        unconfirmed = online_on_9_march(
            status="unconfirmed",
            created_at=at(9, 5),
        )
        # Already with a history: left alone.
        recorded = online_on_9_march(
            status="received",
            created_at=at(9, 4),
        )
        OldEvent.objects.create(question_id=recorded.pk, kind="received", at=at(9, 4))
    finally:
        migrate(leaves)

    assert history(guest.pk) == [
        ("received", at(5, 8), None, None, ""),
        ("published", at(6, 10), None, None, ""),
        ("forwarded", at(7, 9), organisation.pk, None, ""),
        ("due_date_extended", at(15, 11), None, change.pk, ""),
        ("closed", at(20, 16), None, None, "Relève du syndic."),
    ]
    assert QuestionEvent.objects.get(due_date_change_id=change.pk).due_on == change.new_due_on
    assert history(heard.pk) == [
        ("received", at(3, 9), None, None, ""),
        ("forwarded", at(4, 9), organisation.pk, None, ""),
        ("answered", at(12, 15), None, None, ""),
    ]
    assert history(closed.pk) == [
        ("received", at(9, 8), None, None, ""),
        ("published", at(9, 8), None, None, ""),
        ("forwarded", at(10, 9), organisation.pk, None, ""),
        # No audit entry: after the last step known.
        ("closed", at(10, 9), None, None, "Doublon."),
    ]
    assert [kind for kind, *_ in history(rejected.pk)] == ["received", "rejected"]
    assert history(rejected.pk)[1][4] == "Un voisin est nommé."
    assert history(waiting.pk) == [("received", at(9, 6), None, None, "")]
    assert history(unconfirmed.pk) == []
    assert history(recorded.pk) == [("received", at(9, 4), None, None, "")]

    # Run again (the demo data rebuild theirs with it): nothing more.
    count = QuestionEvent.objects.count()
    written = backfill.backfill_events(
        Question=Question,
        QuestionEvent=QuestionEvent,
        DueDateChange=DueDateChange,
        Answer=Answer,
        LogEntry=LogEntry,
        ContentType=ContentType,
    )
    assert (written, QuestionEvent.objects.count()) == (0, count)


def test_a_question_received_before_its_creation_day_is_received_at_noon_of_that_day():
    """A guest confirmed days after typing the question, without an audit entry: the history
    starts on the day it was received, not the day it was typed."""
    row = Question(
        pk=1,
        channel="online",
        status="moderation",
        received_on=at(10, 0).date(),
        created_at=at(3, 9),
    )
    events = backfill.events_of(
        row, changes=[], due_date_changes=[], answer=None, Event=QuestionEvent
    )
    assert [(event.kind, event.at) for event in events] == [
        ("received", timezone.make_aware(datetime(2026, 3, 10, 12, 0), PARIS))
    ]
