"""Reads of the pages that combine several apps: "Mon espace" (the account home, issue 17).

`my_space(user)` gathers, for one account, what it gave and where each thing stands: its next
registrations (with the waiting-list position, computed in SQL), the surveys it may still answer,
its questions and their dated history, the questions it follows, its ideas, its applications to the
participation fund with their payments, and, for staff, its roles. The number of queries is fixed,
whatever the number of registrations, questions, events, ideas, applications or payments
(tests/portal/test_my_space.py pins it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Prefetch, Subquery, Sum
from django.utils import timezone

from dialogue.models import Meeting, Registration, RegistrationStatus
from dialogue.selectors.feedback import feedback_to_give
from participation.models import RoleAssignment, User
from projects.models import GrantApplication, GrantPayment, Project, ProjectOrigin
from projects.selectors import MONEY
from questions.models import Question, QuestionStatus
from questions.selectors import followed_questions_of, with_history

# "Mon espace" shows the latest questions asked and followed; "Mes questions" (paginated) all.
QUESTIONS_SHOWN = 10


@dataclass(frozen=True)
class MySpace:
    registrations: list[Registration]
    feedback_meetings: list[Meeting]
    # Each with its dated steps in `history` (questions.selectors.with_history).
    questions: list[Question]
    more_questions: bool
    ideas: list[Project]
    applications: list[GrantApplication]
    assignments: list[RoleAssignment]
    # The public questions the account follows (questions.selectors.followed_questions_of).
    followed_questions: list[Question]


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


def my_questions(user: User, *, limit: int = QUESTIONS_SHOWN) -> tuple[list[Question], bool]:
    """The account's latest questions, each with its dated history, and whether it asked more."""
    questions = list(
        with_history(
            Question.objects.filter(asked_by=user)
            .exclude(status=QuestionStatus.UNCONFIRMED)
            .select_related("qpv", "organisation")
            .order_by("-created_at", "-pk")
        )[: limit + 1]
    )
    return questions[:limit], len(questions) > limit


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
        followed_questions=list(followed_questions_of(user)[:QUESTIONS_SHOWN]),
        ideas=my_ideas(user),
        applications=my_applications(user),
        assignments=list(
            RoleAssignment.objects.filter(user=user)
            .select_related("qpv", "commune", "organisation", "dialogue_space__qpv")
            .order_by("role")
        ),
    )
