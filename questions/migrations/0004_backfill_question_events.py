"""The history of the questions that existed before it was recorded (issue 17): rebuilt from what
the rows and the audit log say.

- received: when the question reached the team — the audit log's confirmation of a guest's email
  when there is one, else the row's creation (`created_at`), never before the day it was received;
- accepted by the team (online questions accepted), not published, closed without answer: the time
  of the status change in the audit log; without one, accepted and not published take the time of
  reception and closed the time of the last step known before it (so the order stays right);
- passed on: `forwarded_at`, to the organisation the question is addressed to now (an earlier
  forwarding to another organisation is not known);
- due date extended: each DueDateChange, with its date, reason and new due date;
- answered: the publication of the answer, else noon (Paris) of `answered_on`.

Questions whose email is not confirmed yet have no history (they have not reached the team), and
questions that already have events are left alone: running it twice adds nothing.
`backfill_events` takes the model classes, so that the demo data (devtools) rebuild theirs the same way.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db import migrations
from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")
BATCH = 1000
# Within the same instant, the order of the steps of a question.
ORDER = [
    "received",
    "published",
    "rejected",
    "addressee_changed",
    "forwarded",
    "due_date_extended",
    "answered",
    "closed",
]


def _noon(day) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=PARIS)


def _status_changes(LogEntry, ContentType) -> dict[int, list[tuple[datetime, str, str]]]:
    """{question id: [(when, old status, new status)]}, oldest first, from the audit log."""
    changes_by_question: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    if LogEntry is None or ContentType is None:
        return changes_by_question
    content_type = ContentType.objects.filter(app_label="questions", model="question").first()
    if content_type is None:
        return changes_by_question
    entries = (
        LogEntry.objects.filter(content_type_id=content_type.pk)
        .order_by("timestamp", "pk")
        .values_list("object_pk", "timestamp", "changes")
    )
    for object_pk, timestamp, changes in entries.iterator():
        if isinstance(changes, str):  # auditlog before its JSON field
            try:
                changes = json.loads(changes)
            except ValueError:
                continue
        status = (changes or {}).get("status") if isinstance(changes, dict) else None
        if not (isinstance(status, list) and len(status) == 2 and str(object_pk).isdigit()):
            continue
        changes_by_question[int(object_pk)].append((timestamp, str(status[0]), str(status[1])))
    return changes_by_question


def _first(changes, *, new: str, old: str | None = None) -> datetime | None:
    for when, previous, current in changes:
        if current == new and (old is None or previous == old):
            return when
    return None


def events_of(question, *, changes, due_date_changes, answer, Event) -> list:
    """The events of one question, in order (unsaved)."""
    events = []

    def add(kind, at, **fields):
        events.append(Event(question_id=question.pk, kind=kind, at=at, **fields))

    confirmed = _first(changes, new="moderation", old="unconfirmed")
    received_at = confirmed or question.created_at
    if timezone.localtime(received_at, PARIS).date() < question.received_on:
        received_at = _noon(question.received_on)
    add("received", received_at)
    status = question.status
    if status in ("received", "forwarded", "answered", "closed") and question.channel == "online":
        add("published", _first(changes, new="received", old="moderation") or received_at)
    if status == "rejected":
        add(
            "rejected",
            _first(changes, new="rejected") or received_at,
            note=question.rejected_reason,
        )
    if question.forwarded_at is not None and question.organisation_id is not None:
        add("forwarded", question.forwarded_at, organisation_id=question.organisation_id)
    for change in due_date_changes:
        add(
            "due_date_extended",
            change.changed_at,
            due_date_change_id=change.pk,
            due_on=change.new_due_on,
        )
    if status == "answered":
        published_at = answer.published_at if answer is not None else None
        add(
            "answered",
            published_at
            or _first(changes, new="answered")
            or _noon(question.answered_on or question.received_on),
        )
    if status == "closed":
        latest = max(event.at for event in events)
        add("closed", _first(changes, new="closed") or latest, note=question.closed_reason)
    events.sort(key=lambda event: (event.at, ORDER.index(event.kind)))
    return events


def backfill_events(
    *, Question, QuestionEvent, DueDateChange, Answer, LogEntry=None, ContentType=None
) -> int:
    """Write the events of the questions that have none; returns how many were written."""
    changes_by_question = _status_changes(LogEntry, ContentType)
    questions = (
        Question.objects.exclude(status="unconfirmed")
        .exclude(pk__in=QuestionEvent.objects.values("question_id"))
        .order_by("pk")
    )
    written = 0
    batch: list = []
    ids = list(questions.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        changes_of = defaultdict(list)
        for change in DueDateChange.objects.filter(question_id__in=chunk).order_by(
            "changed_at", "pk"
        ):
            changes_of[change.question_id].append(change)
        answers = {
            answer.question_id: answer
            for answer in Answer.objects.filter(question_id__in=chunk, status="published")
        }
        for question in Question.objects.filter(pk__in=chunk).order_by("pk"):
            batch += events_of(
                question,
                changes=changes_by_question.get(question.pk, []),
                due_date_changes=changes_of.get(question.pk, []),
                answer=answers.get(question.pk),
                Event=QuestionEvent,
            )
        QuestionEvent.objects.bulk_create(batch)
        written += len(batch)
        batch = []
    return written


def forwards(apps, schema_editor):
    backfill_events(
        Question=apps.get_model("questions", "Question"),
        QuestionEvent=apps.get_model("questions", "QuestionEvent"),
        DueDateChange=apps.get_model("questions", "DueDateChange"),
        Answer=apps.get_model("questions", "Answer"),
        LogEntry=apps.get_model("auditlog", "LogEntry"),
        ContentType=apps.get_model("contenttypes", "ContentType"),
    )


def backwards(apps, schema_editor):
    # The events are dropped with their table by 0002's backwards step: nothing to undo here.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0003_pg_trgm"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
