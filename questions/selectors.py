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
- "heard at meetings": the cohort's questions logged by staff from a meeting (channel "meeting");
  "logged late": those of them logged (`created_at`, Paris date) more than LOGGED_LATE_DAYS (7)
  calendar days after their meeting's day (`received_on`, which is the meeting's Paris date).
  Their due date counts from the meeting, so late logging eats into the institution's delay and
  shows here instead of hiding.

Everything is computed by the database, in one query for a scope and one grouped query for the
13 QPV. PostgreSQL has `percentile_cont ... WITHIN GROUP`; SQLite (local run only) has no
percentile function, so the same aggregate is registered on the SQLite connection as a small Python
aggregate: the same SQL shape and the same number of queries on both databases, so the query counts
pinned by the tests hold on both.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.db.models.lookups import GreaterThan
from django.utils.translation import pgettext_lazy

from dialogue.models import today_in_paris
from participation.datacache import versioned
from qpv.models import QPV, Commune, Organisation
from questions.models import (
    OPEN_STATUSES,
    PENDING_OR_OPEN_STATUSES,
    Channel,
    Question,
    QuestionEvent,
    QuestionFollow,
    QuestionStatus,
    open_question_filter,
    overdue_question_filter,
)

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.expressions import Combinable
    from django.db.models.sql.compiler import SQLCompiler


class DaysBetween(Func):
    """Whole days from `start` to `end`, two date expressions (NULL if either is NULL)."""

    arity = 2
    output_field = IntegerField()

    def __init__(self, start: Combinable, end: Combinable, **extra: Any) -> None:
        # Rendered as "end - start".
        super().__init__(end, start, **extra)

    # Only the expressions are given by the caller: the template and the joiner are this class's.
    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
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

    def step(self, value: float | None, fraction: float) -> None:
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

    def __init__(self, expression: Combinable, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile is a fraction between 0 and 1.")
        # A float we checked, written into the SQL: no parameter to type on either database. An
        # instance template, because Aggregate.as_sql() refuses a template argument with a filter.
        self.fraction = float(fraction)
        self.template = f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        super().__init__(expression, **extra)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
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
    heard_at_meetings: int = 0
    logged_late: int = 0

    @property
    def answered_percent(self) -> int | None:
        return _percent(self.answered, self.received)

    @property
    def on_time_percent(self) -> int | None:
        """Share of the received questions answered within their due date."""
        return _percent(self.answered_on_time, self.received)

    @property
    def logged_late_days(self) -> int:
        return LOGGED_LATE_DAYS


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _round_delay(value: float | None) -> float | None:
    # Percentiles of whole days at 0.5 and 0.9 have at most one decimal: rounding only removes
    # the floating-point noise of the interpolation.
    return None if value is None else round(value, 1)


PARIS = ZoneInfo("Europe/Paris")
# A question heard at a meeting and logged more than this many days after it is "logged late".
LOGGED_LATE_DAYS = 7


def logged_late_filter() -> Q:
    """Heard at a meeting and logged more than LOGGED_LATE_DAYS days after the meeting's day: the
    Paris date of `created_at` (the current time zone, Europe/Paris) minus `received_on`."""
    logging_delay = DaysBetween(F("received_on"), TruncDate("created_at", tzinfo=PARIS))
    return Q(channel=Channel.MEETING) & Q(
        GreaterThan(logging_delay, Value(LOGGED_LATE_DAYS)),
    )


def transparency_aggregates(today: date) -> dict[str, Aggregate]:
    """The aggregates of the figures over a query of questions (the indicators reuse them)."""
    answered = Q(status=QuestionStatus.ANSWERED)
    delay = DaysBetween(F("received_on"), F("answered_on"))
    return {
        "heard_at_meetings": Count("pk", filter=Q(channel=Channel.MEETING)),
        "logged_late": Count("pk", filter=logged_late_filter()),
        "received": Count("pk"),
        "answered": Count("pk", filter=answered),
        "answered_on_time": Count("pk", filter=answered & Q(answered_on__lte=F("due_on"))),
        "closed": Count("pk", filter=Q(status=QuestionStatus.CLOSED)),
        "still_open": Count("pk", filter=open_question_filter()),
        "overdue": Count("pk", filter=overdue_question_filter(today)),
        "median_delay_days": PercentileCont(delay, 0.5, filter=answered),
        "p90_delay_days": PercentileCont(delay, 0.9, filter=answered),
    }


def transparency_figures_of(row: dict[str, Any]) -> TransparencyFigures:
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
        heard_at_meetings=row["heard_at_meetings"] or 0,
        logged_late=row["logged_late"] or 0,
    )


def cohort(
    *,
    qpv: QPV | int | None = None,
    commune: Commune | int | None = None,
    organisation: Organisation | int | None = None,
    start: date | None = None,
    end: date | None = None,
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
    qpv: QPV | int | None = None,
    commune: Commune | int | None = None,
    organisation: Organisation | int | None = None,
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
    commune: Commune | int | None = None,
    organisation: Organisation | int | None = None,
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


# What the figures read: questions, their answers and events, and the QPV (participation.datacache's
# topics). A check-in or a speaking-time tap during a live meeting leaves them stored.
TRANSPARENCY_TOPICS = ("territory", "questions")


def public_transparency(*, today: date, qpv: QPV | None = None) -> TransparencyFigures:
    """The figures the public Q&A shows, kept until the next database write (they aggregate every
    question: a few tens of milliseconds of SQL that most page views would otherwise repeat)."""
    return versioned(
        "transparency",
        (today.isoformat(), getattr(qpv, "pk", None)),
        lambda: transparency_figures(qpv=qpv, today=today),
        topics=TRANSPARENCY_TOPICS,
    )


def public_transparency_by_qpv(*, today: date, qpvs: list[QPV]) -> dict[QPV, TransparencyFigures]:
    """`transparency_by_qpv` of the public Q&A, kept like `public_transparency`. `qpvs` are all the
    QPV (the header's list): the figures of any subset are read from the same stored copy."""
    by_pk = versioned(
        "transparency-by-qpv",
        (today.isoformat(),),
        lambda: {
            qpv.pk: figures for qpv, figures in transparency_by_qpv(today=today, qpvs=qpvs).items()
        },
        topics=TRANSPARENCY_TOPICS,
    )
    return {qpv: by_pk.get(qpv.pk, TransparencyFigures()) for qpv in qpvs}


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


def public_status_filter(status: str, today: date) -> Q:
    """The questions of one PublicStatus, said on the columns (status, due date) so that the
    indexes serve it; filtering on public_status_expression would compute it on every row."""
    if status == PublicStatus.ANSWERED:
        return Q(status=QuestionStatus.ANSWERED)
    if status == PublicStatus.CLOSED:
        return Q(status=QuestionStatus.CLOSED)
    if status == PublicStatus.LATE:
        return Q(status__in=OPEN_STATUSES, due_on__lt=today)
    return Q(status__in=OPEN_STATUSES, due_on__gte=today)


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
        question.public_status_label = PublicStatus(status).label if status else ""  # type: ignore[attr-defined]  # set for the template
    return questions


def public_questions_of(*, today: date, limit: int | None = None, **filters: Any) -> list[Question]:
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
        question.public_answer = answer if answer is not None and answer.is_published else None  # type: ignore[attr-defined]  # idem
        late = getattr(question, "public_status", "") == PublicStatus.LATE
        question.days_late = (today - question.due_on).days if late else 0  # type: ignore[attr-defined]  # idem
        meeting = question.meeting
        question.public_meeting = (  # type: ignore[attr-defined]  # idem
            meeting if meeting is not None and meeting.dialogue_space.is_active else None
        )
    return questions


# Similar questions, before sending (issue 17, item 7) -------------------------------------------

SIMILAR_LIMIT = 3
# Words that say nothing of the subject (French, lower case): left out of the comparison.
STOP_WORDS = frozenset({
    "les", "des", "une", "est", "que", "qui", "quoi", "quand", "pour", "dans", "sur", "pas",
    "plus", "par", "avec", "sans", "sous", "chez", "vers", "mais", "donc", "car", "comme", "tout",
    "tous", "toute", "toutes", "tres", "trop", "peu", "aussi", "encore", "deja", "bien", "mal",
    "alors", "ainsi", "elle", "elles", "ils", "nous", "vous", "leur", "leurs", "notre", "nos",
    "votre", "vos", "mon", "mes", "ton", "tes", "son", "ses", "cette", "ces", "cet", "est-ce",
    "sont", "sera", "seront", "serait", "etre", "avoir", "ont", "fait", "faire", "faut", "peut",
    "peuvent", "pourrait", "pourquoi", "comment", "combien", "quel", "quelle", "quels", "quelles",
    "lequel", "laquelle", "dont", "ici", "aux", "avez", "avons", "ete", "etait", "y-a-t-il",
    "a-t-il", "va-t-il", "vont", "veut", "voudrais", "voudrait", "merci", "bonjour", "question",
    "questions", "savoir", "besoin", "depuis", "apres", "avant", "pendant", "entre", "contre",
    "font", "doit", "doivent", "mettre", "cela", "ceci", "celle", "celui", "ceux", "toujours",
    "jamais", "rien", "chaque", "autre", "autres", "meme", "lors", "moins", "beaucoup", "non",
    "oui",
})  # fmt: skip
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
MAX_SIGNIFICANT_WORDS = 8
MIN_SIGNIFICANT_WORDS = 2
# The average, over the significant words typed, of how well each one is found in a question.
SIMILARITY_THRESHOLD = 0.5


def _plain(word: str) -> str:
    """Lower case without accents, to compare with the stop words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def significant_words(text: str) -> list[str]:
    """The words that carry the subject of a question: 3 letters or more, not a stop word, each
    once, the longest first (at most MAX_SIGNIFICANT_WORDS), in lower case."""
    seen: dict[str, str] = {}
    for match in WORD.finditer(text):
        word = match.group().lower().replace("’", "'")
        # "l'ascenseur" → "ascenseur": the elided article says nothing.
        word = re.sub(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'", "", word)
        plain = _plain(word)
        if len(word) < 3 or plain in STOP_WORDS or word in seen:
            continue
        seen[word] = plain
    return sorted(seen, key=len, reverse=True)[:MAX_SIGNIFICANT_WORDS]


def _uses_trigrams() -> bool:
    return connection.vendor == "postgresql"


def _word_score(word: str, *, trigram: bool) -> Func | Case:
    """How well `word` is found in a question's text, from 0 to 1.

    PostgreSQL: pg_trgm's word_similarity (word, text) — the best trigram similarity between the
    word and any word of the text, so that "réparé" finds "réparée" and a typo still matches.
    SQLite (the local run only, no pg_trgm): 1 when the text contains the word (LIKE, whose case
    folding is ASCII only), else 0.
    """
    if trigram:
        return TrigramWordSimilarity(word, "text")
    return Case(
        When(text__icontains=word, then=Value(1.0)), default=Value(0.0), output_field=FloatField()
    )


def similar_open_questions(
    *,
    qpv: QPV,
    text: str,
    limit: int = SIMILAR_LIMIT,
    exclude_pk: int | None = None,
    trigram: bool | None = None,
) -> list[Question]:
    """The public questions of the QPV still waiting for an answer (received or forwarded) that
    look like `text`, the closest first, each with `similarity` (0 to 1). One query; none when the
    text has fewer than MIN_SIGNIFICANT_WORDS significant words.

    Why not pg_trgm's similarity() of the two whole texts: French questions share many short
    words ("quand", "est-ce que", "le", "la"...), so two unrelated questions score about as high as
    two about the same lift (0.24 against 0.35 on the demo questions). The score here is the
    average, over the significant words typed, of how well each is found in the question
    (`_word_score`): 0.55 to 1 for questions on the same subject, below 0.4 otherwise. `trigram`
    forces one method or the other (None: trigrams on PostgreSQL).
    """
    words = significant_words(text)
    if len(words) < MIN_SIGNIFICANT_WORDS:
        return []
    use_trigrams = _uses_trigrams() if trigram is None else trigram
    total: Any = Value(0.0)
    for word in words:
        total = total + _word_score(word, trigram=use_trigrams)
    candidates = Question.objects.public().open().filter(qpv=qpv)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    return list(
        candidates.annotate(similarity=total / Value(float(len(words))))
        .filter(similarity__gte=SIMILARITY_THRESHOLD)
        .select_related("organisation")
        .order_by("-similarity", "-received_on", "-pk")[:limit]
    )


def duplicate_question(
    *, qpv: QPV, text: str, user: Any = None, email: str = ""
) -> Question | None:
    """The same text (case and surrounding spaces aside) already asked by the same person (the
    account, else the email address) in the QPV, and still on its way (email to confirm,
    moderation, received or forwarded)."""
    if user is not None:
        asker = Q(asked_by=user)
    elif email.strip():
        asker = Q(asked_by__isnull=True, asker_email__iexact=email.strip())
    else:
        return None
    return (
        Question.objects.filter(
            asker, qpv=qpv, status__in=PENDING_OR_OPEN_STATUSES, text__iexact=text.strip()
        )
        .order_by("-created_at", "-pk")
        .first()
    )


# Questions followed, and the history of a question ---------------------------------------------


def followed_questions_of(user: Any) -> QuerySet[Question]:
    """The public questions the user follows (questions.services.question_follow), the latest
    followed first, with what a list item shows. For "Mon espace"."""
    if not user.is_authenticated:
        return Question.objects.none()
    follows = QuestionFollow.objects.filter(user=user, question=OuterRef("pk"))
    return (
        Question.objects.public()
        .filter(Exists(follows))
        .with_relations()
        .annotate(followed_at=Subquery(follows.values("created_at")[:1]))
        .order_by("-followed_at", "-pk")
    )


def is_following(user: Any, question: Question) -> bool:
    return bool(
        user.is_authenticated
        and QuestionFollow.objects.filter(user=user, question=question).exists()
    )


def history_of(question: Question) -> list[QuestionEvent]:
    """The dated steps of a question, oldest first (one query); each reads its `summary`."""
    events = list(QuestionEvent.objects.filter(question=question).in_order())
    for event in events:
        event.question = question  # no query when a line reads its question
    return events


def with_history(questions: QuerySet[Question]) -> QuerySet[Question]:
    """Questions with their steps in `history` (a list, oldest first, each knowing its question):
    one query for all."""
    return questions.prefetch_related(
        Prefetch("events", queryset=QuestionEvent.objects.in_order(), to_attr="history")
    )


# The staff list -----------------------------------------------------------------------------------

FINISHED_STATUSES = (QuestionStatus.ANSWERED, QuestionStatus.CLOSED)


def staff_list_counts(questions: QuerySet[Question]) -> dict[str, int]:
    """The sizes of the staff list's three parts, in one query."""
    return questions.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        moderation=Count("pk", filter=Q(status=QuestionStatus.MODERATION)),
        finished=Count("pk", filter=Q(status__in=FINISHED_STATUSES)),
    )


class StaffQuestionList:
    """The staff list in its order, as a sequence Django's Paginator slices: the open questions by
    due date (the overdue come first, their due date being past), then those awaiting
    moderation by due date, then the finished ones, latest received first.

    Sorting every question of the scope by a computed rank cost a sort of the whole table per
    page (120 ms for a coordinator on the 7-year data); here a slice reads only the parts it
    covers, each in an order an index serves, and the part sizes come from one grouped count.
    """

    def __init__(self, questions: QuerySet[Question], counts: dict[str, int]) -> None:
        order = ("due_on", "-received_on", "-pk")
        self.parts: list[tuple[QuerySet[Question], int]] = [
            (questions.filter(status__in=OPEN_STATUSES).order_by(*order), counts["open"]),
            (
                questions.filter(status=QuestionStatus.MODERATION).order_by(*order),
                counts["moderation"],
            ),
            (
                questions.filter(status__in=FINISHED_STATUSES).order_by("-received_on", "-pk"),
                counts["finished"],
            ),
        ]

    def count(self) -> int:
        return sum(size for _questions, size in self.parts)

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Question]:
        for questions, _size in self.parts:
            yield from questions

    @overload
    def __getitem__(self, key: int) -> Question: ...

    @overload
    def __getitem__(self, key: slice) -> list[Question]: ...

    def __getitem__(self, key: int | slice) -> Question | list[Question]:
        if isinstance(key, int):
            one = self[key : key + 1]
            if not one:
                raise IndexError(key)
            return one[0]
        if key.step not in (None, 1):
            raise TypeError("StaffQuestionList is read by slices without a step.")
        start = key.start or 0
        stop = self.count() if key.stop is None else key.stop
        rows: list[Question] = []
        offset = 0
        for questions, size in self.parts:
            low, high = max(start - offset, 0), min(stop - offset, size)
            if low < high:
                rows.extend(questions[low:high])
            offset += size
        return rows
