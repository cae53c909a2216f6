"""The catalogue costs a fixed number of queries whatever the data size (issue 7, item 1).

One aggregate query per family of indicators (spaces, meetings, gaps between meetings, walk-ins,
registrants, speaking time, feedback, questions, projects, influence, grants, applications,
envelopes) plus the list of the scope's QPV: 14 for the scope as a whole, by QPV or by quarter.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dialogue.models import AttendeeCategory, MeetingStatus, SpeakerCategory
from evaluation.computations import compute, compute_by_qpv, compute_by_quarter
from evaluation.indicators import CODES, Period, Scope
from projects.models import GrantStatus
from qpv.models import QPV
from questions.models import QuestionStatus
from tests.dialogue.factories import DialogueSpaceFactory
from tests.evaluation.factories import (
    FeedbackFactory,
    WalkInFactory,
    meeting_at,
    paris,
    present,
    turn,
)
from tests.projects.factories import (
    FundEnvelopeFactory,
    GrantApplicationFactory,
    InfluenceRecordFactory,
    ProjectFactory,
    ProjectStepFactory,
)
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
PERIOD = Period(date(2025, 1, 1), date(2026, 11, 25))
QUERIES = 14


def make_data(scale: int) -> None:
    """`scale` rows of every kind in each of three QPV, spread over 2025 and 2026."""
    for index, slug in enumerate(["sanitas", "la-rabiere", "europe"]):
        qpv = QPV.objects.get(slug=slug)
        space = DialogueSpaceFactory(qpv=qpv)
        envelope = FundEnvelopeFactory(qpv=qpv, year=2026, amount=Decimal("10000"))
        for n in range(scale):
            day = date(2025, 1, 5) + timedelta(days=41 * n + index)
            starts_at = paris(day.year, day.month, day.day)
            status = MeetingStatus.CANCELLED if n % 4 == 3 else MeetingStatus.HELD
            meeting = meeting_at(space, starts_at, status, residents_who_spoke=n)
            for person in range(3):
                present(meeting, f"p{person + n % 2}@example.org", "woman", "26_40")
            WalkInFactory(meeting=meeting, first_time=bool(n % 2))
            WalkInFactory(meeting=meeting, category=AttendeeCategory.ELECTED)
            turn(meeting, SpeakerCategory.RESIDENT, 0, 60 + n)
            turn(meeting, SpeakerCategory.INSTITUTION, 100, 30)
            FeedbackFactory(meeting=meeting, answered_on=day + timedelta(days=1))
            QuestionFactory(
                qpv=qpv,
                received_on=day,
                due_on=day + timedelta(days=30),
                status=QuestionStatus.ANSWERED if n % 2 else QuestionStatus.FORWARDED,
                answered_on=day + timedelta(days=n) if n % 2 else None,
            )
            project = ProjectFactory(qpv=qpv)
            ProjectStepFactory(project=project, date=day, participation_level=1 + n % 5)
            InfluenceRecordFactory(qpv=qpv, decided_on=day, project=project)
            GrantApplicationFactory(
                envelope=envelope,
                status=GrantStatus.GRANTED,
                amount_granted=Decimal("100"),
                decided_at=starts_at,
                submitted_at=starts_at - timedelta(days=3),
            )


@pytest.mark.parametrize("scale", [2, 10])
def test_compute_costs_a_fixed_number_of_queries(scale, django_assert_num_queries):
    make_data(scale)
    with django_assert_num_queries(QUERIES):
        values = compute(Scope.metropole(), PERIOD, today=TODAY)
    assert values["meetings_held"] + values["meetings_cancelled"] == 3 * scale
    assert values["feedback_answers"] == 3 * scale


@pytest.mark.parametrize("scale", [2, 10])
def test_compute_by_qpv_costs_a_fixed_number_of_queries(scale, django_assert_num_queries):
    make_data(scale)
    with django_assert_num_queries(QUERIES):
        rows = compute_by_qpv(Scope.metropole(), PERIOD, today=TODAY)
    assert len(rows) == 13
    assert sum(values["questions_received"] for values in rows.values()) == 3 * scale


@pytest.mark.parametrize("scale", [2, 10])
def test_compute_by_quarter_costs_a_fixed_number_of_queries(scale, django_assert_num_queries):
    make_data(scale)
    with django_assert_num_queries(QUERIES):
        rows = compute_by_quarter(Scope.metropole(), PERIOD, CODES, today=TODAY)
    assert len(rows) == 8
    assert sum(values["feedback_answers"] for _, values in rows) == 3 * scale


def test_a_qpv_scope_costs_the_same(django_assert_num_queries):
    make_data(2)
    sanitas = QPV.objects.get(slug="sanitas")
    with django_assert_num_queries(QUERIES):
        compute(Scope.of_qpv(sanitas), PERIOD, today=TODAY)
    with django_assert_num_queries(QUERIES):
        compute_by_quarter(Scope.of_qpv(sanitas), PERIOD, CODES, today=TODAY)


def test_grouped_figures_add_up_to_the_whole():
    make_data(6)
    whole = compute(Scope.metropole(), PERIOD, today=TODAY)
    by_qpv = compute_by_qpv(Scope.metropole(), PERIOD, today=TODAY)
    by_quarter = compute_by_quarter(Scope.metropole(), PERIOD, CODES, today=TODAY)
    # Additive counts (not distinct residents, not the spaces' state repeated each quarter).
    for code in ["meetings_held", "attendance_total", "walk_ins", "first_time", "returning",
                 "questions_received", "fph_grants", "feedback_answers", "residents_who_spoke"]:  # fmt: skip
        assert sum(values[code] for values in by_qpv.values()) == whole[code], code
        assert sum(values[code] for _, values in by_quarter) == whole[code], code


def test_each_family_declares_exactly_the_codes_it_computes():
    """`computations.FAMILIES` lets a partial computation skip families: a code written by a
    family but not declared would silently stay at zero, so the declaration is checked here."""
    from evaluation.computations import ALL, DERIVED, FAMILIES, Grouping

    make_data(2)
    grouping = Grouping(
        Scope.metropole(), PERIOD, None, list(QPV.objects.values_list("pk", flat=True))
    )
    declared_union = set()
    for family, declared in FAMILIES:
        written = {code for code in family(grouping, TODAY)[ALL] if code in CODES}
        assert written == declared
        assert not declared & declared_union, "a code is written by two families"
        declared_union |= declared
    assert declared_union | set(DERIVED) == set(CODES)


def test_a_few_codes_by_quarter_cost_fewer_queries_and_give_the_same_figures(
    django_assert_num_queries,
):
    from evaluation.pdf import QUARTER_CODES

    make_data(3)
    full = compute_by_quarter(Scope.metropole(), PERIOD, CODES, today=TODAY)
    # Meetings, registrants and walk-ins, questions, feedback, and the list of QPV.
    with django_assert_num_queries(6):
        partial = compute_by_quarter(Scope.metropole(), PERIOD, QUARTER_CODES, today=TODAY)
    assert [quarter for quarter, _ in partial] == [quarter for quarter, _ in full]
    for (_, some), (_, every) in zip(partial, full, strict=True):
        assert some == {code: every[code] for code in QUARTER_CODES}
    assert sum(values["attendance_total"] for _, values in partial) > 0
    # A derived code brings the family it is computed from.
    with django_assert_num_queries(2):
        derived = compute_by_quarter(
            Scope.metropole(), PERIOD, ["meetings_per_qpv_month"], today=TODAY
        )
    assert [values for _, values in derived] == [
        {"meetings_per_qpv_month": every["meetings_per_qpv_month"]} for _, every in full
    ]


def test_by_qpv_and_quarter_gives_each_qpvs_quarters_in_the_queries_of_one_call(
    django_assert_num_queries,
):
    """The report's QPV sections: one call instead of one `compute_by_quarter` per QPV, with
    exactly the figures of the per-QPV calls, for every code (every family, derived ones too)."""
    from evaluation.computations import compute_by_qpv_and_quarter

    make_data(4)
    with django_assert_num_queries(QUERIES):
        by_pair = compute_by_qpv_and_quarter(Scope.metropole(), PERIOD, CODES, today=TODAY)
    assert len(by_pair) == 13
    for qpv, rows in by_pair.items():
        assert rows == compute_by_quarter(Scope.of_qpv(qpv), PERIOD, CODES, today=TODAY), qpv
    assert sum(values["attendance_total"] for rows in by_pair.values() for _, values in rows) > 0
    sanitas = QPV.objects.get(slug="sanitas")
    commune = compute_by_qpv_and_quarter(
        Scope.commune_of(sanitas.commune), PERIOD, CODES, today=TODAY
    )
    assert commune[sanitas] == by_pair[sanitas]
