"""The computations of the indicator catalogue, by database aggregation only.

The definitions are in `evaluation.indicators.CATALOGUE`; this module follows them. Each family of
indicators is one aggregate query over its table, filtered by the scope and the whole period, and
optionally grouped by a key: nothing (the scope as a whole), the QPV, or the quarter (a CASE over
the date column with the quarters' Paris bounds, so that the grouping works the same way on
PostgreSQL and SQLite and a date-time belongs to the quarter of its Paris date). The number of
queries is therefore the same for `compute`, `compute_by_qpv` and `compute_by_quarter`, whatever
the data size and the number of quarters (about fifteen; pinned by the tests).

Some figures need window functions (a resident's first attendance ever, the residents who came
twice, a project's last step and highest level, the gap since a space's previous meeting). Windows
cannot be grouped: they mark rows in uncorrelated subqueries (`pk IN (... window ...)`, evaluated
once) that the grouped query counts; the average gap, a value rather than a mark, is aggregated
once with one filtered column per key instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Lag, RowNumber, TruncDate
from django.utils import timezone

from dialogue.models import (
    AgeBand,
    AttendeeCategory,
    DialogueSpace,
    Feedback,
    Gender,
    Meeting,
    MeetingStatus,
    Registration,
    SpaceFormat,
    SpaceOrigin,
    SpeakerCategory,
    SpeakingTurn,
    WalkIn,
)
from evaluation.indicators import CATALOGUE, INDICATORS, Period, Scope, Values
from projects.models import (
    FundEnvelope,
    GrantApplication,
    GrantStatus,
    InfluenceOutcome,
    InfluenceRecord,
    ModerationStatus,
    ParticipationLevel,
    ProjectStage,
    ProjectStep,
)
from qpv.models import QPV
from questions.models import Channel
from questions.selectors import (
    DaysBetween,
    cohort,
    transparency_aggregates,
    transparency_figures_of,
)

# A family's figures before the one rounding: exact Decimals for shares, averages and medians.
Row = dict[str, float | int | Decimal | None]
ALL = "all"  # the key of the ungrouped result (None is a real key: a commune's own fund envelope)
UNDER_26 = (AgeBand.UNDER_18, AgeBand.AGE_18_25)
OVER_60 = (AgeBand.AGE_61_75, AgeBand.OVER_75)
DECLARED_GENDERS = (Gender.WOMAN, Gender.MAN, Gender.OTHER)
DECLARED_AGE_BANDS = tuple(band for band in AgeBand if band != AgeBand.NOT_SAID)
CO_CONSTRUCTION_OR_MORE = ParticipationLevel.CO_CONSTRUCTION


def paris_midnight(day: date) -> datetime:
    """The instant a Paris calendar day starts (midnight always exists in Europe/Paris)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _percent(part: Decimal | float | None, whole: Decimal | float | None) -> Decimal | None:
    """The exact share (a Decimal, not rounded: `_compute` rounds every figure once)."""
    if not whole:
        return None
    return 100 * Decimal(str(part or 0)) / Decimal(str(whole))


def _exact(value: Any) -> Decimal | None:
    """A database average or percentile as a Decimal, exact as the database gave it."""
    return None if value is None else Decimal(str(value))


# ---- Grouping ---------------------------------------------------------------------------------


@dataclass
class Grouping:
    """How the rows of a query are split: not at all, by QPV, by quarter of the period, or by
    QPV and quarter (one integer key per pair: `qpv_id * len(quarters) + quarter index`, so that
    every family keeps its single GROUP BY column)."""

    scope: Scope
    period: Period
    by: str | None = None  # None, "qpv", "quarter" or "qpv_quarter"
    qpv_ids: list[int] = field(default_factory=list)

    @cached_property
    def quarters(self) -> list[Period]:
        return self.period.quarters()

    @property
    def quarterly(self) -> bool:
        return self.by in ("quarter", "qpv_quarter")

    def pair_key(self, qpv_id: int, index: int) -> int:
        return qpv_id * len(self.quarters) + index

    def quarter_index(self, key_value) -> int:
        """The index of the quarter of a key of a quarterly grouping."""
        return key_value if self.by == "quarter" else key_value % len(self.quarters)

    @property
    def keys(self) -> list:
        if self.by == "qpv":
            return list(self.qpv_ids)
        if self.by == "quarter":
            return list(range(len(self.quarters)))
        if self.by == "qpv_quarter":
            return [
                self.pair_key(qpv_id, index)
                for qpv_id in self.qpv_ids
                for index in range(len(self.quarters))
            ]
        return [ALL]

    def scope_q(self, qpv_path: str) -> Q:
        """The rows of the scope, `qpv_path` leading from the row to its QPV."""
        if self.scope.qpv is not None:
            return Q(**{qpv_path: self.scope.qpv})
        if self.scope.commune is not None:
            return Q(**{f"{qpv_path}__commune": self.scope.commune})
        return Q()

    def period_q(self, date_field: str, *, is_datetime: bool) -> Q:
        start, end = self.period.start, self.period.end
        if is_datetime:
            return Q(
                **{
                    f"{date_field}__gte": paris_midnight(start),
                    f"{date_field}__lt": paris_midnight(end + timedelta(days=1)),
                }
            )
        return Q(**{f"{date_field}__gte": start, f"{date_field}__lte": end})

    def key(self, qpv_path: str, date_field: str, *, is_datetime: bool):
        """The grouping expression of a row (None when not grouped)."""
        if self.by == "qpv":
            return F(qpv_path)
        if self.quarterly:
            whens = []
            for index, quarter in enumerate(self.quarters):
                bounds: dict[str, date]  # datetimes are dates too
                if is_datetime:
                    bounds = {
                        f"{date_field}__gte": paris_midnight(quarter.start),
                        f"{date_field}__lt": paris_midnight(quarter.end + timedelta(days=1)),
                    }
                else:
                    bounds = {
                        f"{date_field}__gte": quarter.start,
                        f"{date_field}__lte": quarter.end,
                    }
                whens.append(When(Q(**bounds), then=Value(index)))
            index_of_row = Case(*whens, default=Value(None), output_field=IntegerField())
            if self.by == "quarter":
                return index_of_row
            return ExpressionWrapper(
                F(qpv_path) * Value(len(self.quarters)) + index_of_row, output_field=IntegerField()
            )
        return None


def _grouped(queryset: QuerySet, aggregates: dict, key) -> dict[Any, dict]:
    """One aggregate row per key: `aggregate()` when not grouped, else GROUP BY the key."""
    if key is None:
        return {ALL: queryset.aggregate(**aggregates)}
    rows = queryset.annotate(_key=key).values("_key").annotate(**aggregates).order_by()
    return {row.pop("_key"): row for row in rows}


def _per_key_columns(
    queryset: QuerySet, make_aggregates: Callable[[Q], dict], key, keys: Iterable
) -> dict[Any, dict]:
    """One row per key from ONE aggregate() with a filtered column per key and aggregate.

    For querysets annotated with window functions, which no database can GROUP BY: Django wraps
    the windowed query in a subquery and aggregates over it.
    """
    if key is None:
        return {ALL: queryset.aggregate(**make_aggregates(Q()))}
    queryset = queryset.annotate(_key=key)
    columns = {}
    for index, key_value in enumerate(keys):
        for name, aggregate in make_aggregates(Q(_key=key_value)).items():
            columns[f"k{index}__{name}"] = aggregate
    row = queryset.aggregate(**columns)
    result = {}
    for index, key_value in enumerate(keys):
        prefix = f"k{index}__"
        result[key_value] = {
            name[len(prefix) :]: value for name, value in row.items() if name.startswith(prefix)
        }
    return result


# ---- The families -----------------------------------------------------------------------------


def _spaces(grouping: Grouping) -> dict[Any, Row]:
    """Active spaces now (no history of the flag): the same figures for every quarter."""
    spaces = DialogueSpace.objects.active().filter(grouping.scope_q("qpv")).order_by()
    aggregates = {
        "spaces_active": Count("pk"),
        "spaces_strengthened": Count("pk", filter=Q(origin=SpaceOrigin.STRENGTHENED)),
        "spaces_created": Count("pk", filter=Q(origin=SpaceOrigin.CREATED)),
        **{
            f"spaces_format_{space_format.value}": Count("pk", filter=Q(format=space_format))
            for space_format in SpaceFormat
        },
    }
    if grouping.by == "quarter":
        row = spaces.aggregate(**aggregates)
        return {key: dict(row) for key in grouping.keys}
    if grouping.by == "qpv_quarter":
        by_qpv = _grouped(spaces, aggregates, F("qpv_id"))
        return {
            grouping.pair_key(qpv_id, index): dict(row)
            for qpv_id, row in by_qpv.items()
            for index in range(len(grouping.quarters))
        }
    key = F("qpv_id") if grouping.by == "qpv" else None
    return _grouped(spaces, aggregates, key)


def _meetings(grouping: Grouping) -> dict[Any, Row]:
    meetings = Meeting.objects.filter(
        grouping.scope_q("dialogue_space__qpv"),
        grouping.period_q("starts_at", is_datetime=True),
    ).order_by()
    held = Q(status=MeetingStatus.HELD)
    rows = _grouped(
        meetings,
        {
            "meetings_held": Count("pk", filter=held),
            "meetings_cancelled": Count("pk", filter=Q(status=MeetingStatus.CANCELLED)),
            "residents_who_spoke": Sum("residents_who_spoke", filter=held),
        },
        grouping.key("dialogue_space__qpv", "starts_at", is_datetime=True),
    )
    for row in rows.values():
        row["channel_meetings"] = row["meetings_held"]
        row["residents_who_spoke"] = row["residents_who_spoke"] or 0
    return rows


def _days_between_meetings(grouping: Grouping) -> dict[Any, Row]:
    """Lag over the held meetings of each space (and quarter, when grouped by quarter)."""
    key = grouping.key("dialogue_space__qpv", "starts_at", is_datetime=True)
    partition = [F("dialogue_space_id")]
    if grouping.quarterly:
        # A gap across two quarters belongs to neither: each quarter is a period of its own.
        partition.append(key)
    day = TruncDate("starts_at", tzinfo=timezone.get_default_timezone())
    meetings = (
        Meeting.objects.filter(
            grouping.scope_q("dialogue_space__qpv"),
            grouping.period_q("starts_at", is_datetime=True),
            status=MeetingStatus.HELD,
        )
        .order_by()
        .annotate(
            day=day,
            previous_day=Window(
                Lag(day),  # type: ignore[arg-type]  # an expression: the stubs say a field name
                partition_by=partition,
                order_by=[F("starts_at").asc(), F("pk").asc()],
            ),
        )
        .annotate(gap=DaysBetween(F("previous_day"), F("day")))
    )
    rows = _per_key_columns(
        meetings,
        lambda extra: {"days_between_meetings": Avg("gap", filter=extra)},
        key,
        grouping.keys,
    )
    return {
        key_value: {"days_between_meetings": _exact(row["days_between_meetings"])}
        for key_value, row in rows.items()
    }


def _walk_ins(grouping: Grouping) -> dict[Any, dict]:
    walk_ins = WalkIn.objects.filter(
        grouping.scope_q("meeting__dialogue_space__qpv"),
        grouping.period_q("meeting__starts_at", is_datetime=True),
        meeting__status=MeetingStatus.HELD,
    ).order_by()
    resident = Q(category=AttendeeCategory.RESIDENT)
    return _grouped(
        walk_ins,
        {
            "walk_ins": Count("pk"),
            "residents": Count("pk", filter=resident),
            **_diversity(resident),
            # Not named after the field "first_time": the annotation would shadow it.
            "declared_first": Count("pk", filter=resident & Q(first_time=True)),
            "declared_returning": Count("pk", filter=resident & Q(first_time=False)),
        },
        grouping.key("meeting__dialogue_space__qpv", "meeting__starts_at", is_datetime=True),
    )


def _diversity(condition: Q) -> dict:
    """Counts behind the shares of women, men, under-26s and over-60s."""
    return {
        "women": Count("pk", filter=condition & Q(gender=Gender.WOMAN)),
        "men": Count("pk", filter=condition & Q(gender=Gender.MAN)),
        "gender_declared": Count("pk", filter=condition & Q(gender__in=DECLARED_GENDERS)),
        "under_26": Count("pk", filter=condition & Q(age_band__in=UNDER_26)),
        "over_60": Count("pk", filter=condition & Q(age_band__in=OVER_60)),
        "age_declared": Count("pk", filter=condition & Q(age_band__in=DECLARED_AGE_BANDS)),
    }


def _registrants(grouping: Grouping) -> dict[Any, dict]:
    """Registrations ticked present at the held meetings of the scope and period, grouped.

    Two window subqueries mark rows, the outer query counts them with a plain GROUP BY:
    - first attendances: over ALL the attendances anywhere that started before the end of the
      period (history matters), the rows whose meeting started when the person first came;
    - repeated attendances: over the attendances of the scope and period, the rows whose person
      came to another meeting of the same group (QPV or quarter).
    """
    in_scope = grouping.scope_q("meeting__dialogue_space__qpv") & grouping.period_q(
        "meeting__starts_at", is_datetime=True
    )
    key = grouping.key("meeting__dialogue_space__qpv", "meeting__starts_at", is_datetime=True)
    # Who a registrant is: the email address (case ignored), or the mobile number of a guest
    # registered by number only (dialogue.models.PERSON_KEY, a generated column).
    person = F("person_key")
    attendances = Registration.objects.filter(
        attended=True, meeting__status=MeetingStatus.HELD
    ).order_by()
    first_attendances = (
        attendances.filter(
            meeting__starts_at__lt=paris_midnight(grouping.period.end + timedelta(days=1))
        )
        .annotate(first_started=Window(Min("meeting__starts_at"), partition_by=[person]))
        .filter(meeting__starts_at=F("first_started"))
        .values("pk")
    )
    partition = [person] if key is None else [key, person]
    repeated_attendances = (
        attendances.filter(in_scope)
        .annotate(
            first_meeting=Window(Min("meeting_id"), partition_by=partition),
            last_meeting=Window(Max("meeting_id"), partition_by=partition),
        )
        .filter(first_meeting__lt=F("last_meeting"))
        .values("pk")
    )
    return _grouped(
        attendances.filter(in_scope),
        {
            "present": Count("pk"),
            "distinct": Count(person, distinct=True),
            "came_again": Count(person, distinct=True, filter=Q(pk__in=repeated_attendances)),
            "first_time": Count("pk", filter=Q(pk__in=first_attendances)),
            **_diversity(Q()),
        },
        key,
    )


def _attendance(grouping: Grouping) -> dict[Any, Row]:
    walk_ins = _walk_ins(grouping)
    registrants = _registrants(grouping)
    rows = {}
    for key_value in set(walk_ins) | set(registrants):
        walk = walk_ins.get(key_value) or {}
        registered = registrants.get(key_value) or {}

        def both(name: str, walk=walk, registered=registered) -> int:
            return (walk.get(name) or 0) + (registered.get(name) or 0)

        present = registered.get("present") or 0
        distinct = registered.get("distinct") or 0
        first_registrants = registered.get("first_time") or 0
        rows[key_value] = {
            "attendance_total": present + (walk.get("walk_ins") or 0),
            "attendance_residents": present + (walk.get("residents") or 0),
            "residents_distinct": distinct,
            "walk_ins": walk.get("walk_ins") or 0,
            "share_women": _percent(both("women"), both("gender_declared")),
            "share_men": _percent(both("men"), both("gender_declared")),
            "share_under_26": _percent(both("under_26"), both("age_declared")),
            "share_over_60": _percent(both("over_60"), both("age_declared")),
            "first_time": first_registrants + (walk.get("declared_first") or 0),
            "returning": present - first_registrants + (walk.get("declared_returning") or 0),
            "return_rate": _percent(registered.get("came_again") or 0, distinct),
        }
    return rows


def _speaking(grouping: Grouping) -> dict[Any, Row]:
    turns = (
        SpeakingTurn.objects.finished()
        .filter(
            grouping.scope_q("meeting__dialogue_space__qpv"),
            grouping.period_q("meeting__starts_at", is_datetime=True),
            meeting__status=MeetingStatus.HELD,
        )
        .order_by()
    )
    duration = F("ended_at") - F("started_at")
    rows = _grouped(
        turns,
        {
            "total": Sum(duration),
            "residents": Sum(duration, filter=Q(category=SpeakerCategory.RESIDENT)),
        },
        grouping.key("meeting__dialogue_space__qpv", "meeting__starts_at", is_datetime=True),
    )
    return {
        key_value: {
            "speaking_share_residents": _percent(_seconds(row["residents"]), _seconds(row["total"]))
        }
        for key_value, row in rows.items()
    }


def _seconds(duration: timedelta | None) -> float:
    return duration.total_seconds() if duration else 0.0


def _feedback(grouping: Grouping) -> dict[Any, Row]:
    answers = Feedback.objects.filter(
        grouping.scope_q("meeting__dialogue_space__qpv"),
        grouping.period_q("answered_on", is_datetime=False),
    ).order_by()
    rows = _grouped(
        answers,
        {
            "feedback_answers": Count("pk"),
            "feedback_heard": Avg("felt_heard"),
            "feedback_legitimate": Avg("felt_legitimate"),
            "feedback_understood": Avg("understood_institutions"),
        },
        grouping.key("meeting__dialogue_space__qpv", "answered_on", is_datetime=False),
    )
    for row in rows.values():
        row["channel_feedback_answers"] = row["feedback_answers"]
        for name in ("feedback_heard", "feedback_legitimate", "feedback_understood"):
            row[name] = _exact(row[name])
    return rows


def _questions(grouping: Grouping, today: date) -> dict[Any, Row]:
    """The cohort and aggregates of questions.selectors, grouped like the rest: the same
    definitions as the public transparency figures, in one query."""
    questions = cohort(
        qpv=grouping.scope.qpv,
        commune=grouping.scope.commune,
        start=grouping.period.start,
        end=grouping.period.end,
    )
    rows = _grouped(
        questions,
        {**transparency_aggregates(today), "online": Count("pk", filter=Q(channel=Channel.ONLINE))},
        grouping.key("qpv", "received_on", is_datetime=False),
    )
    values = {}
    for key_value, row in rows.items():
        figures = transparency_figures_of(row)
        values[key_value] = {
            "channel_online_questions": row["online"] or 0,
            "questions_received": figures.received,
            "questions_answered": figures.answered,
            "questions_answered_on_time": figures.answered_on_time,
            # From the counts and the database's median, rounded once by `_compute` (the public
            # transparency figures round the share to the unit; the indicator has 1 decimal).
            "questions_on_time_rate": _percent(figures.answered_on_time, figures.received),
            "questions_delay_median": _exact(row["median_delay_days"]),
            "questions_overdue": figures.overdue,
            "questions_logged_late": figures.logged_late,
        }
    return values


def _projects(grouping: Grouping) -> dict[Any, Row]:
    """Steps of the period of published projects, grouped; window subqueries mark each project's
    last step (its stage at the end of the period or quarter) and its highest-level steps."""
    key = grouping.key("project__qpv", "date", is_datetime=False)
    partition = [F("project_id")] if key is None else [F("project_id"), key]
    steps = ProjectStep.objects.filter(
        grouping.scope_q("project__qpv"),
        grouping.period_q("date", is_datetime=False),
        project__moderation=ModerationStatus.PUBLISHED,
    ).order_by()
    last_steps = (
        steps.annotate(
            rank=Window(
                RowNumber(), partition_by=partition, order_by=[F("date").desc(), F("pk").desc()]
            )
        )
        .filter(rank=1)
        .values("pk")
    )
    highest_steps = (
        steps.annotate(highest=Window(Max("participation_level"), partition_by=partition))
        .filter(participation_level=F("highest"))
        .values("pk")
    )
    project = "project_id"
    return _grouped(
        steps,
        {
            "projects_total": Count(project, distinct=True),
            "projects_co_construction_or_more": Count(
                project,
                filter=Q(participation_level__gte=CO_CONSTRUCTION_OR_MORE),
                distinct=True,
            ),
            **{
                f"projects_stage_{stage.value}": Count(
                    project, filter=Q(stage=stage, pk__in=last_steps), distinct=True
                )
                for stage in ProjectStage
            },
            **{
                f"projects_level_{level.value}": Count(
                    project,
                    filter=Q(participation_level=level, pk__in=highest_steps),
                    distinct=True,
                )
                for level in ParticipationLevel
            },
        },
        key,
    )


def _influence(grouping: Grouping) -> dict[Any, Row]:
    records = InfluenceRecord.objects.filter(
        grouping.scope_q("qpv"), grouping.period_q("decided_on", is_datetime=False)
    ).order_by()
    return _grouped(
        records,
        {
            "influence_adopted": Count("pk", filter=Q(outcome=InfluenceOutcome.ADOPTED)),
            "influence_partly": Count("pk", filter=Q(outcome=InfluenceOutcome.PARTLY)),
            "influence_not_adopted": Count("pk", filter=Q(outcome=InfluenceOutcome.NOT_ADOPTED)),
            "projects_changed_course": Count(
                "project",
                filter=Q(outcome__in=[InfluenceOutcome.ADOPTED, InfluenceOutcome.PARTLY]),
                distinct=True,
            ),
        },
        grouping.key("qpv", "decided_on", is_datetime=False),
    )


def _envelope_scope_q(grouping: Grouping, prefix: str) -> Q:
    """The envelopes of the scope: a QPV's; a commune's own and its QPV's; all for the metropole."""
    if grouping.scope.qpv is not None:
        return Q(**{f"{prefix}qpv": grouping.scope.qpv})
    if grouping.scope.commune is not None:
        return Q(**{f"{prefix}qpv__commune": grouping.scope.commune}) | Q(
            **{f"{prefix}commune": grouping.scope.commune}
        )
    return Q()


def _fund(grouping: Grouping) -> dict[Any, Row]:
    grants = _grouped(
        GrantApplication.objects.filter(
            _envelope_scope_q(grouping, "envelope__"),
            grouping.period_q("decided_at", is_datetime=True),
            status=GrantStatus.GRANTED,
        ).order_by(),
        {"fph_grants": Count("pk"), "fph_granted_euros": Sum("amount_granted")},
        grouping.key("envelope__qpv", "decided_at", is_datetime=True),
    )
    applications = _grouped(
        GrantApplication.objects.filter(
            _envelope_scope_q(grouping, "envelope__"),
            grouping.period_q("submitted_at", is_datetime=True),
        ).order_by(),
        {"channel_fph_applications": Count("pk")},
        grouping.key("envelope__qpv", "submitted_at", is_datetime=True),
    )
    envelopes_qs = FundEnvelope.objects.filter(
        _envelope_scope_q(grouping, ""),
        year__gte=grouping.period.start.year,
        year__lte=grouping.period.end.year,
    ).order_by()
    if grouping.by == "quarter":
        # A quarter's envelope is its year's.
        by_year = {
            row["year"]: row["total"]
            for row in envelopes_qs.values("year").annotate(total=Sum("amount"))
        }
        envelopes = {
            index: by_year.get(quarter.start.year)
            for index, quarter in enumerate(grouping.quarters)
        }
    elif grouping.by == "qpv_quarter":
        by_qpv_year = {
            (row["qpv_id"], row["year"]): row["total"]
            for row in envelopes_qs.values("qpv_id", "year").annotate(total=Sum("amount"))
        }
        envelopes = {
            grouping.pair_key(qpv_id, index): by_qpv_year.get((qpv_id, quarter.start.year))
            for qpv_id in grouping.qpv_ids
            for index, quarter in enumerate(grouping.quarters)
        }
    else:
        key = F("qpv_id") if grouping.by == "qpv" else None
        envelopes = {
            key_value: row["total"]
            for key_value, row in _grouped(envelopes_qs, {"total": Sum("amount")}, key).items()
        }
    rows = {}
    for key_value in grouping.keys:
        granted = grants.get(key_value) or {}
        euros = granted.get("fph_granted_euros") or Decimal("0")
        rows[key_value] = {
            "fph_grants": granted.get("fph_grants") or 0,
            "fph_granted_euros": euros,
            "fph_envelope_share": _percent(euros, envelopes.get(key_value)),
            "channel_fph_applications": (applications.get(key_value) or {}).get(
                "channel_fph_applications"
            )
            or 0,
        }
    return rows


# ---- Assembling -------------------------------------------------------------------------------


def _zeros() -> Values:
    """Counts 0, everything else None (no data)."""
    return {
        indicator.code: 0 if indicator.unit in ("count", "euros") else None
        for indicator in CATALOGUE
    }


def _months(grouping: Grouping, key_value) -> int:
    if grouping.quarterly:
        return grouping.quarters[grouping.quarter_index(key_value)].months
    return grouping.period.months


# Each family's query function and the indicator codes it writes (checked against what the
# functions return by tests/evaluation/test_indicator_queries.py), so that a computation asked for a
# few codes runs only the queries they need: the report's 13 QPV sections by quarter need 4 of 10.
FAMILIES: tuple[tuple[Callable[[Grouping, date], dict[Any, Row]], frozenset[str]], ...] = (
    (
        lambda grouping, today: _spaces(grouping),
        frozenset(
            ["spaces_active", "spaces_strengthened", "spaces_created"]
            + [f"spaces_format_{space_format.value}" for space_format in SpaceFormat]
        ),
    ),
    (
        lambda grouping, today: _meetings(grouping),
        frozenset(
            ["meetings_held", "meetings_cancelled", "residents_who_spoke", "channel_meetings"]
        ),
    ),
    (
        lambda grouping, today: _days_between_meetings(grouping),
        frozenset(["days_between_meetings"]),
    ),
    (
        lambda grouping, today: _attendance(grouping),
        frozenset(
            [
                "attendance_total",
                "attendance_residents",
                "residents_distinct",
                "walk_ins",
                "share_women",
                "share_men",
                "share_under_26",
                "share_over_60",
                "first_time",
                "returning",
                "return_rate",
            ]
        ),
    ),
    (lambda grouping, today: _speaking(grouping), frozenset(["speaking_share_residents"])),
    (
        lambda grouping, today: _feedback(grouping),
        frozenset(
            [
                "feedback_answers",
                "feedback_heard",
                "feedback_legitimate",
                "feedback_understood",
                "channel_feedback_answers",
            ]
        ),
    ),
    (
        _questions,
        frozenset(
            [
                "channel_online_questions",
                "questions_received",
                "questions_answered",
                "questions_answered_on_time",
                "questions_on_time_rate",
                "questions_delay_median",
                "questions_overdue",
                "questions_logged_late",
            ]
        ),
    ),
    (
        lambda grouping, today: _projects(grouping),
        frozenset(
            ["projects_total", "projects_co_construction_or_more"]
            + [f"projects_stage_{stage.value}" for stage in ProjectStage]
            + [f"projects_level_{level.value}" for level in ParticipationLevel]
        ),
    ),
    (
        lambda grouping, today: _influence(grouping),
        frozenset(
            [
                "influence_adopted",
                "influence_partly",
                "influence_not_adopted",
                "projects_changed_course",
            ]
        ),
    ),
    (
        lambda grouping, today: _fund(grouping),
        frozenset(
            ["fph_grants", "fph_granted_euros", "fph_envelope_share", "channel_fph_applications"]
        ),
    ),
)
# Computed from the others once they are all in.
DERIVED = {"meetings_per_qpv_month": frozenset(["meetings_held"])}


def _compute(
    grouping: Grouping, today: date, codes: Iterable[str] | None = None
) -> dict[Any, Values]:
    """The catalogue for each key of the grouping; with `codes`, only the families they need
    run (the other codes keep their zero or None)."""
    results: dict[Any, Row] = {key_value: dict(_zeros()) for key_value in grouping.keys}
    wanted = None
    if codes is not None:
        wanted = set(codes)
        for code in list(wanted):
            wanted |= DERIVED.get(code, frozenset())
    for family, family_codes in FAMILIES:
        if wanted is not None and not wanted & family_codes:
            continue
        for key_value, row in family(grouping, today).items():
            if key_value in results:
                results[key_value].update(
                    {code: value for code, value in row.items() if code in results[key_value]}
                )
    if grouping.by in ("qpv", "qpv_quarter"):
        qpv_counts = dict.fromkeys(grouping.keys, 1)
    else:
        qpv_counts = dict.fromkeys(grouping.keys, len(grouping.qpv_ids))
    for key_value, values in results.items():
        denominator = qpv_counts[key_value] * _months(grouping, key_value)
        values["meetings_per_qpv_month"] = (
            # A count, never None (every key starts from zeros).
            Decimal(values["meetings_held"] or 0) / denominator if denominator else None
        )
    # The one rounding of every figure, from its exact value, to its definition's decimals.
    return {
        key_value: {code: INDICATORS[code].round(value) for code, value in values.items()}
        for key_value, values in results.items()
    }


def compute(scope: Scope, period: Period, *, today: date | None = None) -> Values:
    """Every indicator of the catalogue for a scope and a period (a bounded number of queries)."""
    qpv_ids = list(scope.qpvs().values_list("pk", flat=True))
    return _compute(Grouping(scope, period, None, qpv_ids), today or timezone.localdate())[ALL]


def compute_by_qpv(scope: Scope, period: Period, *, today: date | None = None) -> dict[QPV, Values]:
    """Every indicator for each QPV of the scope, in listing order; a QPV without data gets zeros."""
    qpvs = list(scope.qpvs())
    grouping = Grouping(scope, period, "qpv", [qpv.pk for qpv in qpvs])
    results = _compute(grouping, today or timezone.localdate())
    return {qpv: results[qpv.pk] for qpv in qpvs}


def compute_by_quarter(
    scope: Scope, period: Period, codes: Iterable[str], *, today: date | None = None
) -> list[tuple[Period, Values]]:
    """The given indicators for each quarter of the period (clipped to it), in order."""
    codes = list(codes)
    unknown = [code for code in codes if code not in INDICATORS]
    if unknown:
        raise KeyError(f"Unknown indicator codes: {', '.join(unknown)}")
    qpv_ids = list(scope.qpvs().values_list("pk", flat=True))
    grouping = Grouping(scope, period, "quarter", qpv_ids)
    results = _compute(grouping, today or timezone.localdate(), codes)
    return [
        (quarter, {code: results[index][code] for code in codes})
        for index, quarter in enumerate(grouping.quarters)
    ]


def compute_by_qpv_and_quarter(
    scope: Scope, period: Period, codes: Iterable[str], *, today: date | None = None
) -> dict[QPV, list[tuple[Period, Values]]]:
    """`compute_by_quarter` of each QPV of the scope, with the queries of one call (the report's
    13 QPV sections): the same figures as `compute_by_quarter(Scope.of_qpv(qpv), ...)`."""
    codes = list(codes)
    unknown = [code for code in codes if code not in INDICATORS]
    if unknown:
        raise KeyError(f"Unknown indicator codes: {', '.join(unknown)}")
    qpvs = list(scope.qpvs())
    grouping = Grouping(scope, period, "qpv_quarter", [qpv.pk for qpv in qpvs])
    results = _compute(grouping, today or timezone.localdate(), codes)
    return {
        qpv: [
            (quarter, {code: results[grouping.pair_key(qpv.pk, index)][code] for code in codes})
            for index, quarter in enumerate(grouping.quarters)
        ]
        for qpv in qpvs
    }


__all__ = [
    "compute",
    "compute_by_qpv",
    "compute_by_qpv_and_quarter",
    "compute_by_quarter",
    "paris_midnight",
]
