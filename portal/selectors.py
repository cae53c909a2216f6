"""Reads of the pages that combine several apps: "Mon espace" (the account home, issue 17).

`my_space(user)` gathers, for one account, what it gave and where each thing stands: its next
registrations (with the waiting-list position, computed in SQL), the surveys it may still answer,
its questions and their dated history, the questions it follows, its ideas, its applications to the
participation fund with their payments, and, for staff, its roles. The number of queries is fixed,
whatever the number of registrations, questions, events, ideas, applications or payments
(tests/portal/test_my_space.py pins it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import OuterRef, Prefetch, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.models import Meeting, Registration, RegistrationStatus
from dialogue.selectors.feedback import feedback_to_give
from participation.models import RoleAssignment, User
from projects.models import GrantApplication, GrantPayment, Project, ProjectOrigin
from projects.selectors import MONEY
from questions.models import ACCEPTED_STATUSES, DueDateChange, Question, QuestionStatus

# "Mon espace" shows the latest questions; "Mes questions" (paginated) shows them all.
QUESTIONS_SHOWN = 10


@dataclass(frozen=True)
class HistoryEntry:
    """One dated line of a question's history, as the asker reads it."""

    on: date
    text: str
    detail: str = ""


@dataclass(frozen=True)
class QuestionItem:
    question: Question
    history: list[HistoryEntry]


@dataclass(frozen=True)
class MySpace:
    registrations: list[Registration]
    feedback_meetings: list[Meeting]
    questions: list[QuestionItem]
    more_questions: bool
    ideas: list[Project]
    applications: list[GrantApplication]
    assignments: list[RoleAssignment]
    # The questions the account follows (questions.selectors.followed_questions_of, issue 17).
    followed_questions: list[Question] = field(default_factory=list)


def next_registrations(user: User, *, now: datetime | None = None) -> list[Registration]:
    """The account's seats and waiting-list places for meetings not over yet, soonest first."""
    return list(
        Registration.objects.filter(
            user=user,
            status__in=(RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED),
            meeting__ends_at__gte=now or timezone.now(),
        )
        .with_waitlist_position()
        .select_related("meeting__dialogue_space__qpv")
        .order_by("meeting__starts_at", "meeting_id", "pk")
    )


def question_history(question: Question) -> list[HistoryEntry]:
    """The dated steps of a question, oldest first, from its fields, its due date changes and its
    answer (prefetched by `my_questions`)."""
    received = question.received_on
    entries = [HistoryEntry(received, _("Question received"))]
    if question.status == QuestionStatus.REJECTED:
        entries.append(
            HistoryEntry(received, _("Question not published"), question.rejected_reason)
        )
    elif question.status in ACCEPTED_STATUSES and question.public_display:
        entries.append(HistoryEntry(received, _("Question published")))
    if question.forwarded_at is not None and question.organisation is not None:
        entries.append(
            HistoryEntry(
                timezone.localdate(question.forwarded_at),
                _("Passed to %(organisation)s") % {"organisation": question.organisation.name},
            )
        )
    for change in question.due_date_changes.all():
        entries.append(
            HistoryEntry(
                timezone.localdate(change.changed_at),
                _("Due date extended to %(day)s") % {"day": change.new_due_on.strftime("%d/%m/%Y")},
                change.reason,
            )
        )
    answer = getattr(question, "answer", None)
    if question.status == QuestionStatus.ANSWERED and answer is not None and answer.is_published:
        published = answer.published_at
        entries.append(
            HistoryEntry(
                timezone.localdate(published) if published else question.answered_on or received,
                _("Answer published"),
            )
        )
    if question.status == QuestionStatus.CLOSED:
        # No date of closing is kept before the questions' events (issue 17): the due date.
        entries.append(
            HistoryEntry(
                min(question.due_on, timezone.localdate()),
                _("Closed without answer"),
                question.closed_reason,
            )
        )
    return sorted(entries, key=lambda entry: entry.on)


def my_questions(user: User, *, limit: int = QUESTIONS_SHOWN) -> tuple[list[QuestionItem], bool]:
    """The account's latest questions with their history, and whether it asked more."""
    questions = list(
        Question.objects.filter(asked_by=user)
        .exclude(status=QuestionStatus.UNCONFIRMED)
        .select_related("qpv", "organisation", "answer")
        .prefetch_related(
            Prefetch("due_date_changes", queryset=DueDateChange.objects.order_by("changed_at"))
        )
        .order_by("-created_at", "-pk")[: limit + 1]
    )
    more = len(questions) > limit
    return [QuestionItem(q, question_history(q)) for q in questions[:limit]], more


def my_ideas(user: User) -> list[Project]:
    """The ideas the account proposed online: moderation status and the staff's reason."""
    return list(
        Project.objects.filter(proposed_by=user, origin=ProjectOrigin.ONLINE)
        .select_related("qpv")
        .order_by("-created_at", "-pk")
    )


def my_applications(user: User) -> list[GrantApplication]:
    """The account's applications to the fund, with the committee's meeting, the payments and
    their total (`paid`, computed by the database)."""
    paid = (
        GrantPayment.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return list(
        GrantApplication.objects.filter(submitted_by=user)
        .annotate(paid=Subquery(paid, output_field=MONEY))
        .select_related("envelope__qpv", "envelope__commune", "decision_meeting")
        .prefetch_related(
            Prefetch("payments", queryset=GrantPayment.objects.order_by("paid_on", "pk"))
        )
        .order_by("-submitted_at", "-pk")
    )


def my_space(user: User, *, now: datetime | None = None) -> MySpace:
    now = now or timezone.now()
    questions, more_questions = my_questions(user)
    return MySpace(
        registrations=next_registrations(user, now=now),
        feedback_meetings=feedback_to_give(user, now=now),
        questions=questions,
        more_questions=more_questions,
        ideas=my_ideas(user),
        applications=my_applications(user),
        assignments=list(
            RoleAssignment.objects.filter(user=user)
            .select_related("qpv", "commune", "organisation", "dialogue_space__qpv")
            .order_by("role")
        ),
    )
