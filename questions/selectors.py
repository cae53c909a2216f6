"""Transparency figures of the questions and answers (issue 5, DESIGN §4 "rapport aux institutions").

Definitions (also read by the indicators and reports):

- The figures of a scope (QPV, commune, addressed organisation) and a period follow a *cohort*: the
  accepted questions (received, forwarded, answered or closed: never those awaiting moderation, nor
  rejected ones) whose `received_on` falls in the period, bounds included. Every other figure counts
  questions of that cohort, so that received = answered + closed without answer + still open.
- "answered": the cohort's questions answered at any time up to now, even after the end of the
  period. A late answer is still an answer; an older period's figures improve as answers arrive.
- "answered within the due date": answered with `answered_on <= due_on` (the due date in force,
  which includes extensions granted with a reason).
- Delays are calendar days between the Paris dates `received_on` and `answered_on`: month lengths
  and clock changes do not matter. The median and the 90th percentile are continuous percentiles
  (linear interpolation, PostgreSQL's `percentile_cont`) over the cohort's answered questions.
- "still open": received or forwarded, not answered nor closed. "overdue": still open with a due date
  before `today` (Paris date, default today).
- Whether the asker agreed to public display does not matter: these are counts, not contents.

Everything is computed by the database, in one query for a scope and one grouped query for the
13 QPV. PostgreSQL has `percentile_cont ... WITHIN GROUP`; SQLite (local run only) has no
percentile function, so the same aggregate is registered on the SQLite connection as a small Python
aggregate: the same SQL shape and the same number of queries on both databases, so the query counts
pinned by the tests hold on both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    TextChoices,
    Value,
    When,
)
from django.utils.translation import pgettext_lazy

from dialogue.models import today_in_paris
from qpv.models import QPV
from questions.models import Question, QuestionStatus, open_question_filter, overdue_question_filter


class DaysBetween(Func):
    """Whole days from `start` to `end`, two date expressions (NULL if either is NULL)."""

    arity = 2
    output_field = IntegerField()

    def __init__(self, start, end, **extra) -> None:
        # Rendered as "end - start".
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Julian days of two dates differ by a whole number: the cast loses nothing.
        return super().as_sql(
            compiler,
            connection,
            template="CAST(JULIANDAY(%(expressions)s) AS INTEGER)",
            arg_joiner=") - JULIANDAY(",
            **extra_context,
        )


def percentile_cont(values: Iterable[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont in Python: linear interpolation between the nearest ranks."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class _SQLitePercentileCont:
    """The aggregate behind PercentileCont on SQLite (step/finalize protocol of sqlite3)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


SQLITE_PERCENTILE_FUNCTION = "QD_PERCENTILE_CONT"


class PercentileCont(Aggregate):
    """percentile_cont(fraction) WITHIN GROUP (ORDER BY expression): NULLs are ignored."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile is a fraction between 0 and 1.")
        # A float we checked, written into the SQL: no parameter to type on either database. An
        # instance template, because Aggregate.as_sql() refuses a template argument with a filter.
        self.fraction = float(fraction)
        self.template = f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        super().__init__(expression, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Registered on each use: cheap, and it survives reconnections of the local server.
        connection.ensure_connection()
        connection.connection.create_aggregate(SQLITE_PERCENTILE_FUNCTION, 2, _SQLitePercentileCont)
        clone = self.copy()
        clone.function = SQLITE_PERCENTILE_FUNCTION
        clone.template = f"%(function)s(%(expressions)s, {self.fraction!r})"
        return super(PercentileCont, clone).as_sql(compiler, connection, **extra_context)


@dataclass(frozen=True)
class TransparencyFigures:
    """The figures of one scope and period (definitions in the module docstring)."""

    received: int = 0
    answered: int = 0
    answered_on_time: int = 0
    closed: int = 0
    still_open: int = 0
    overdue: int = 0
    median_delay_days: float | None = None
    p90_delay_days: float | None = None

    @property
    def answered_percent(self) -> int | None:
        return _percent(self.answered, self.received)

    @property
    def on_time_percent(self) -> int | None:
        """Share of the received questions answered within their due date."""
        return _percent(self.answered_on_time, self.received)


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _round_delay(value: float | None) -> float | None:
    # Percentiles of whole days at 0.5 and 0.9 have at most one decimal: rounding only removes
    # the floating-point noise of the interpolation.
    return None if value is None else round(value, 1)


def transparency_aggregates(today: date) -> dict[str, Aggregate]:
    """The aggregates of the figures over a query of questions (the indicators reuse them)."""
    answered = Q(status=QuestionStatus.ANSWERED)
    delay = DaysBetween(F("received_on"), F("answered_on"))
    return {
        "received": Count("pk"),
        "answered": Count("pk", filter=answered),
        "answered_on_time": Count("pk", filter=answered & Q(answered_on__lte=F("due_on"))),
        "closed": Count("pk", filter=Q(status=QuestionStatus.CLOSED)),
        "still_open": Count("pk", filter=open_question_filter()),
        "overdue": Count("pk", filter=overdue_question_filter(today)),
        "median_delay_days": PercentileCont(delay, 0.5, filter=answered),
        "p90_delay_days": PercentileCont(delay, 0.9, filter=answered),
    }


def transparency_figures_of(row: dict) -> TransparencyFigures:
    """The figures of one row of `transparency_aggregates`."""
    return TransparencyFigures(
        received=row["received"] or 0,
        answered=row["answered"] or 0,
        answered_on_time=row["answered_on_time"] or 0,
        closed=row["closed"] or 0,
        still_open=row["still_open"] or 0,
        overdue=row["overdue"] or 0,
        median_delay_days=_round_delay(row["median_delay_days"]),
        p90_delay_days=_round_delay(row["p90_delay_days"]),
    )


def cohort(
    *, qpv=None, commune=None, organisation=None, start: date | None = None, end: date | None = None
) -> QuerySet[Question]:
    """The accepted questions of a scope received in the period (models or primary keys)."""
    questions = Question.objects.accepted()
    if qpv is not None:
        questions = questions.filter(qpv=qpv)
    if commune is not None:
        questions = questions.filter(qpv__commune=commune)
    if organisation is not None:
        questions = questions.filter(organisation=organisation)
    if start is not None:
        questions = questions.filter(received_on__gte=start)
    if end is not None:
        questions = questions.filter(received_on__lte=end)
    return questions.order_by()


def transparency_figures(
    *,
    qpv=None,
    commune=None,
    organisation=None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> TransparencyFigures:
    """The figures of a scope and period, in one query. An empty scope gives zeros and None."""
    questions = cohort(qpv=qpv, commune=commune, organisation=organisation, start=start, end=end)
    return transparency_figures_of(
        questions.aggregate(**transparency_aggregates(today or today_in_paris()))
    )


def transparency_by_qpv(
    *,
    commune=None,
    organisation=None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
    qpvs: Iterable[QPV] | None = None,
) -> dict[QPV, TransparencyFigures]:
    """The figures of every QPV (of the commune, if given), in the order of `qpvs`.

    Two queries: the QPV (none when the caller passes them, e.g. the header's menu list) and one
    grouped aggregate. A QPV without questions gets zeros.
    """
    if qpvs is None:
        qpvs = QPV.objects.for_listing()
        if commune is not None:
            qpvs = qpvs.filter(commune=commune)
    qpvs = list(qpvs)
    if commune is not None:
        commune_id = getattr(commune, "pk", commune)
        qpvs = [qpv for qpv in qpvs if qpv.commune_id == commune_id]
    questions = cohort(commune=commune, organisation=organisation, start=start, end=end)
    rows = questions.values("qpv_id").annotate(**transparency_aggregates(today or today_in_paris()))
    by_qpv_id = {row["qpv_id"]: transparency_figures_of(row) for row in rows}
    return {qpv: by_qpv_id.get(qpv.pk, TransparencyFigures()) for qpv in qpvs}


# ---- The public reading of a question's status ----


class PublicStatus(TextChoices):
    """The four statuses residents read on the public Q&A (computed with the date)."""

    WAITING = "waiting", pgettext_lazy("public status of a question", "Awaiting an answer")
    LATE = "late", pgettext_lazy("public status of a question", "Late")
    ANSWERED = "answered", pgettext_lazy("public status of a question", "Answered")
    CLOSED = "closed", pgettext_lazy("public status of a question", "Closed without answer")


def public_status_expression(today: date) -> Case:
    """SQL for PublicStatus: "late" means open with a due date before today (Paris date)."""
    return Case(
        When(status=QuestionStatus.ANSWERED, then=Value(PublicStatus.ANSWERED.value)),
        When(status=QuestionStatus.CLOSED, then=Value(PublicStatus.CLOSED.value)),
        When(due_on__lt=today, then=Value(PublicStatus.LATE.value)),
        default=Value(PublicStatus.WAITING.value),
        output_field=CharField(),
    )


def with_public_status(questions: QuerySet[Question], today: date | None = None) -> QuerySet:
    """Annotate `public_status` (a PublicStatus value) on accepted questions."""
    return questions.annotate(public_status=public_status_expression(today or today_in_paris()))


# Lists of public questions -------------------------------------------------------------------


def public_questions(today: date) -> QuerySet[Question]:
    """The public Q&A, newest first, with what a list item shows (one query per page)."""
    questions = Question.objects.public().with_relations().select_related("meeting__dialogue_space")
    return with_public_status(questions, today).order_by("-received_on", "-pk")


def label_statuses(questions: list[Question]) -> list[Question]:
    """Set `public_status_label` from the annotated `public_status` (empty when there is none)."""
    for question in questions:
        status = getattr(question, "public_status", "")
        question.public_status_label = PublicStatus(status).label if status else ""
    return questions


def public_questions_of(*, today: date, limit: int | None = None, **filters) -> list[Question]:
    """Short lists of public questions (QPV page, meeting page): one query, statuses labelled.

    Items of these lists show the status and the text only: nothing else is loaded.
    """
    questions = with_public_status(Question.objects.public().filter(**filters), today)
    return label_statuses(list(questions.order_by("-received_on", "-pk")[:limit]))


def prepare_for_display(questions: list[Question], today: date) -> list[Question]:
    """Attach what the templates read without a query nor an exception.

    `public_answer` is the published answer or None (a draft is never shown: reading
    `question.answer` would also raise when there is none); `days_late` counts the days past the
    due date of a late question; `public_meeting` is the meeting if its page is public.
    """
    label_statuses(questions)
    for question in questions:
        answer = getattr(question, "answer", None)
        question.public_answer = answer if answer is not None and answer.is_published else None
        late = getattr(question, "public_status", "") == PublicStatus.LATE
        question.days_late = (today - question.due_on).days if late else 0
        meeting = question.meeting
        question.public_meeting = (
            meeting if meeting is not None and meeting.dialogue_space.is_active else None
        )
    return questions
