"""Exactness of the indicator catalogue: every code's value on a hand-made dataset (issue 7).

The dataset is in factories.build_dataset(); the expected figures are worked out by hand in the
comments. "today" is 15 May 2026 everywhere.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from evaluation.computations import compute, compute_by_qpv, compute_by_quarter
from evaluation.indicators import CATALOGUE, CODES, FAMILIES, INDICATORS, UNITS, Period, Scope
from qpv.models import QPV
from questions.selectors import transparency_figures
from tests.evaluation.factories import build_dataset

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 15)
Q1 = Period.quarter(2026, 1)
QPV_COUNT = 13

SPACE_FORMAT_ZEROS = {
    "spaces_format_atelier": 0,
    "spaces_format_diagnostic": 0,
    "spaces_format_permanence": 0,
    "spaces_format_reunion_publique": 0,
    "spaces_format_comite_npnru": 0,
    "spaces_format_autre": 0,
}
STAGE_ZEROS = {
    f"projects_stage_{stage}": 0
    for stage in (
        "idea",
        "elaboration",
        "validated",
        "funded",
        "in_progress",
        "completed",
        "evaluated",
        "abandoned",
    )
}
LEVEL_ZEROS = {f"projects_level_{level}": 0 for level in range(1, 6)}


@pytest.fixture
def data():
    return build_dataset()


# ---- The catalogue itself ---------------------------------------------------------------------


def test_catalogue_is_complete_and_well_formed():
    contract_codes = {
        "spaces_active", "spaces_strengthened", "spaces_created", "channel_meetings",
        "channel_online_questions", "channel_feedback_answers", "channel_fph_applications",
        "meetings_held", "meetings_cancelled", "meetings_per_qpv_month", "days_between_meetings",
        "attendance_total", "residents_distinct", "walk_ins", "share_women", "share_men",
        "share_under_26", "share_over_60", "first_time", "returning", "return_rate",
        "projects_total", "projects_co_construction_or_more", "fph_grants", "fph_granted_euros",
        "fph_envelope_share", "influence_adopted", "influence_partly", "influence_not_adopted",
        "projects_changed_course", "feedback_answers", "feedback_heard", "feedback_legitimate",
        "feedback_understood", "questions_received", "questions_answered",
        "questions_answered_on_time", "questions_delay_median", "questions_overdue",
        "speaking_share_residents", "residents_who_spoke",
    }  # fmt: skip
    assert contract_codes <= set(CODES)
    assert len(CODES) == len(CATALOGUE) == len(INDICATORS)
    with translation.override("en"):
        for indicator in CATALOGUE:
            assert indicator.family in FAMILIES
            assert indicator.unit in UNITS
            assert str(indicator.label).strip()
            assert len(str(indicator.definition)) > 40, indicator.code
    assert str(INDICATORS["spaces_format_cafe"].label) != str(
        INDICATORS["spaces_format_atelier"].label
    )


def test_periods():
    assert Period.year(2026) == Period(date(2026, 1, 1), date(2026, 12, 31))
    assert Period.quarter(2026, 2) == Period(date(2026, 4, 1), date(2026, 6, 30))
    assert Period.contract_to_date(date(2026, 11, 25)) == Period(
        date(2024, 1, 1), date(2026, 11, 25)
    )
    period = Period(date(2025, 11, 15), date(2026, 4, 2))
    assert period.quarters() == [
        Period(date(2025, 11, 15), date(2025, 12, 31)),
        Period.quarter(2026, 1),
        Period(date(2026, 4, 1), date(2026, 4, 2)),
    ]
    assert len(Period.contract_to_date(date(2030, 12, 31)).quarters()) == 28
    assert period.months == 6
    with translation.override("en"):
        assert Period.year(2026).label == "2026"
        assert Period.quarter(2026, 2).label == "2nd quarter 2026"
    with translation.override("fr"):
        assert Period.quarter(2026, 1).label == "1er trimestre 2026"
        assert Period.quarter(2026, 4).label == "4e trimestre 2026"
        assert Period(date(2026, 3, 1), date(2026, 6, 30)).label == (
            "du 1er mars 2026 au 30 juin 2026"
        )
        assert "2024" in Period.contract_to_date(date(2026, 11, 25)).label
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 31))
    with pytest.raises(ValueError):
        Period.quarter(2026, 5)


def test_scopes(data):
    assert Scope.metropole().kind == "metropole"
    assert Scope.commune_of(data.tours).kind == "commune"
    assert Scope.of_qpv(data.sanitas).kind == "qpv"
    assert Scope.of_qpv(data.sanitas).label == "Sanitas"
    assert Scope.commune_of(data.tours).label == "Tours"
    assert Scope.metropole().permission_object is None
    assert Scope.metropole().qpvs().count() == QPV_COUNT
    with pytest.raises(ValueError):
        Scope(commune=data.tours, qpv=data.sanitas)


# ---- Every figure, by hand --------------------------------------------------------------------

METROPOLE_Q1 = {
    # Active spaces: S1 (café, created), S2 and S4 (citizens' councils, strengthened); S3 inactive.
    "spaces_active": 3,
    "spaces_strengthened": 2,
    "spaces_created": 1,
    "spaces_format_conseil_citoyen": 2,
    "spaces_format_cafe": 1,
    **SPACE_FORMAT_ZEROS,
    # Held in Q1: m1, m2, m3 (31 March 23:30), m6, m8; m4 (1 April 00:30) is Q2, m7 is 2025,
    # m5 cancelled, the planned one neither.
    "channel_meetings": 5,
    "meetings_held": 5,
    "meetings_cancelled": 1,
    "meetings_per_qpv_month": round(5 / (QPV_COUNT * 3), 2),
    # S1: 10 Jan → 31 Jan (21 days) → 31 Mar (59 days); S2 and S4 held one meeting each.
    "days_between_meetings": 40.0,
    # Questions: online and accepted, received in Q1: Sanitas 5 Jan and 10 Mar, Rabière 2 Feb.
    "channel_online_questions": 3,
    # Feedback answered in Q1: two on m1, one on m8 (the one of 1 April is Q2).
    "channel_feedback_answers": 3,
    # Applications submitted in Q1: 1 Mar, 1 Feb (Tours), 10 Jan (Rabière), 20 Jan.
    "channel_fph_applications": 4,
    # Registrants present: alice ×2 (m1, m2 in another case), bob ×2 (m1, m3), carol, frank = 6;
    # walk-ins at held meetings: 2 at m1 (a resident, an institution), 1 at m6 = 3.
    "attendance_total": 9,
    "attendance_residents": 8,
    "residents_distinct": 4,
    "walk_ins": 3,
    # Residents: women alice ×2, frank, the m1 walk-in = 4; men bob ×2; declared 6.
    "share_women": 66.7,
    "share_men": 33.3,
    # Age declared 8: under 26 carol (18-25), the m1 walk-in (under 18); over 60 bob ×2, frank.
    "share_under_26": 25.0,
    "share_over_60": 37.5,
    # First times: bob at m1, carol, frank, and the m1 walk-in who said so; alice came in 2025.
    "first_time": 4,
    # Returning: alice at m1 and m2, bob at m3, and the m6 walk-in who said so.
    "returning": 4,
    # alice and bob came twice in Q1, carol and frank once.
    "return_rate": 50.0,
    # Projects with a step in Q1: p1 (validated, highest level 4), p2 (idea, 2), p5 (two steps on
    # 31 March: funded level 5 then in progress level 3); p3 pending moderation, p4 2025 only.
    "projects_total": 3,
    "projects_co_construction_or_more": 2,
    **STAGE_ZEROS,
    "projects_stage_idea": 1,
    "projects_stage_validated": 1,
    "projects_stage_in_progress": 1,
    **LEVEL_ZEROS,
    "projects_level_2": 1,
    "projects_level_4": 1,
    "projects_level_5": 1,
    # Grants decided in Q1: 1 500 € (31 March 23:30, Sanitas) and 2 000 € (Tours' envelope);
    # the 1 000 € of 1 April 00:30 is Q2. Envelopes 2026: 10 000 + 5 000 + 4 000.
    "fph_grants": 2,
    "fph_granted_euros": 3500.0,
    "fph_envelope_share": 18.4,
    "influence_adopted": 1,
    "influence_partly": 2,
    "influence_not_adopted": 1,
    "projects_changed_course": 1,  # p1 (adopted and partly adopted), p2's was not adopted in Q1
    "feedback_answers": 3,
    "feedback_heard": 4.0,  # (5 + 4 + 3) / 3
    "feedback_legitimate": 3.33,  # (4 + 4 + 2) / 3
    "feedback_understood": 3.33,  # (3 + 2 + 5) / 3
    # Questions received in Q1 and accepted: 5 Jan (answered on time, 15 days), 1 Feb (answered
    # 10 April, after the period and late: 68 days), 10 Mar (forwarded, due 9 April: overdue on
    # 15 May), Rabière 2 Feb (received, due 4 March: overdue). The one in moderation is left out.
    "questions_received": 4,
    "questions_answered": 2,
    "questions_answered_on_time": 1,
    "questions_on_time_rate": 25,
    "questions_delay_median": 41.5,
    "questions_overdue": 2,
    # The 1 February question heard at a meeting was logged on 12 February.
    "questions_logged_late": 1,
    # Finished turns of held meetings: m1 resident 360 s, institution 240 s; m8 facilitator 120 s,
    # resident 60 s; the running turn of m2 is left out. 420 / 780.
    "speaking_share_residents": 53.8,
    # m1 4 + m3 2 + m8 1; the cancelled m5's 9 is left out.
    "residents_who_spoke": 7,
}


def test_every_indicator_of_the_metropole(data):
    values = compute(Scope.metropole(), Q1, today=TODAY)
    assert set(values) == set(CODES)
    assert values == METROPOLE_Q1


SANITAS_Q1 = {
    **METROPOLE_Q1,
    "spaces_active": 2,
    "spaces_strengthened": 1,
    "spaces_created": 1,
    "spaces_format_conseil_citoyen": 1,
    "channel_meetings": 4,
    "meetings_held": 4,
    "meetings_per_qpv_month": 1.33,
    "channel_online_questions": 2,
    "channel_feedback_answers": 2,
    "channel_fph_applications": 2,  # the Tours envelope's application is not the QPV's
    "attendance_total": 8,
    "attendance_residents": 7,
    "residents_distinct": 3,
    "share_women": 60.0,  # alice ×2, the walk-in / 5 declared
    "share_men": 40.0,
    "share_under_26": 28.6,  # 2 / 7
    "share_over_60": 28.6,  # bob ×2 / 7
    "first_time": 3,  # bob at m1, carol, the walk-in: alice came before, in La Rabière
    "returning": 4,
    "return_rate": 66.7,
    "projects_total": 2,
    "projects_co_construction_or_more": 1,
    "projects_stage_in_progress": 0,
    "projects_level_5": 0,
    "fph_grants": 1,
    "fph_granted_euros": 1500.0,
    "fph_envelope_share": 15.0,
    "influence_partly": 1,
    "feedback_answers": 2,
    "feedback_heard": 4.5,
    "feedback_legitimate": 4.0,
    "feedback_understood": 2.5,
    "questions_received": 3,
    "questions_on_time_rate": 33.3,  # 1 of 3, one decimal (the public figure says 33 %)
    "questions_overdue": 1,
    "speaking_share_residents": 60.0,
    "residents_who_spoke": 6,
}

RABIERE_Q1 = {
    **METROPOLE_Q1,
    "spaces_active": 1,
    "spaces_strengthened": 1,
    "spaces_created": 0,
    "spaces_format_conseil_citoyen": 1,
    "spaces_format_cafe": 0,
    "channel_meetings": 1,
    "meetings_held": 1,
    "meetings_cancelled": 0,
    "meetings_per_qpv_month": 0.33,
    "days_between_meetings": None,
    "channel_online_questions": 1,
    "channel_feedback_answers": 1,
    "channel_fph_applications": 1,
    "attendance_total": 1,
    "attendance_residents": 1,
    "residents_distinct": 1,
    "walk_ins": 0,
    "share_women": 100.0,
    "share_men": 0.0,
    "share_under_26": 0.0,
    "share_over_60": 100.0,
    "first_time": 1,
    "returning": 0,
    "return_rate": 0.0,
    "projects_total": 1,
    "projects_co_construction_or_more": 1,
    **STAGE_ZEROS,
    "projects_stage_in_progress": 1,
    **LEVEL_ZEROS,
    "projects_level_5": 1,
    "fph_grants": 0,
    "fph_granted_euros": 0.0,
    "fph_envelope_share": 0.0,
    "influence_adopted": 0,
    "influence_partly": 1,
    "influence_not_adopted": 0,
    "projects_changed_course": 0,  # partly adopted, but linked to no project
    "feedback_answers": 1,
    "feedback_heard": 3.0,
    "feedback_legitimate": 2.0,
    "feedback_understood": 5.0,
    "questions_received": 1,
    "questions_answered": 0,
    "questions_answered_on_time": 0,
    "questions_on_time_rate": 0,
    "questions_delay_median": None,
    "questions_overdue": 1,
    "questions_logged_late": 0,
    "speaking_share_residents": 33.3,
    "residents_who_spoke": 1,
}

EMPTY = {
    **dict.fromkeys(CODES, 0),
    "meetings_per_qpv_month": 0.0,
    "days_between_meetings": None,
    "fph_granted_euros": 0.0,
    "share_women": None,
    "share_men": None,
    "share_under_26": None,
    "share_over_60": None,
    "return_rate": None,
    "fph_envelope_share": None,
    "feedback_heard": None,
    "feedback_legitimate": None,
    "feedback_understood": None,
    "questions_on_time_rate": None,
    "questions_delay_median": None,
    "speaking_share_residents": None,
}


def test_every_indicator_of_a_qpv(data):
    assert compute(Scope.of_qpv(data.sanitas), Q1, today=TODAY) == SANITAS_Q1
    assert compute(Scope.of_qpv(data.rabiere), Q1, today=TODAY) == RABIERE_Q1


def test_a_commune_includes_its_own_fund_envelope(data):
    values = compute(Scope.commune_of(data.tours), Q1, today=TODAY)
    # Tours has 8 QPV; its figures are Sanitas' plus the commune's own fund envelope.
    expected = {
        **SANITAS_Q1,
        "meetings_per_qpv_month": round(4 / (8 * 3), 2),
        "channel_fph_applications": 3,
        "fph_grants": 2,
        "fph_granted_euros": 3500.0,
        "fph_envelope_share": 23.3,  # 3 500 / 15 000
    }
    assert values == expected


def test_an_empty_qpv_gives_zeros_and_no_data(data):
    europe = QPV.objects.get(slug="europe")
    assert compute(Scope.of_qpv(europe), Q1, today=TODAY) == EMPTY


def test_an_empty_database_gives_zeros(db):
    values = compute(Scope.metropole(), Period.contract_to_date(TODAY), today=TODAY)
    assert values == {**EMPTY, "meetings_per_qpv_month": 0.0}


def test_the_second_quarter(data):
    values = compute(Scope.metropole(), Period.quarter(2026, 2), today=TODAY)
    # m4 (1 April 00:30 Paris): gina's first time, bob's return.
    assert values["meetings_held"] == 1
    assert values["attendance_total"] == 2
    assert values["residents_distinct"] == 2
    assert values["first_time"] == 1
    assert values["returning"] == 1
    assert values["return_rate"] == 0.0
    assert values["days_between_meetings"] is None
    assert values["speaking_share_residents"] == 100.0
    assert values["feedback_answers"] == 1
    assert values["fph_grants"] == 1
    assert values["fph_granted_euros"] == 1000.0
    assert values["questions_received"] == 1
    assert values["projects_total"] == 1  # p2's step of 2 April
    assert values["projects_level_5"] == 1
    assert values["projects_stage_elaboration"] == 1
    assert values["influence_adopted"] == 1
    assert values["projects_changed_course"] == 1


def test_the_last_quarter_of_2025(data):
    values = compute(Scope.metropole(), Period.quarter(2025, 4), today=TODAY)
    # m7 (31 December 23:30 Paris, 22:30 UTC): alice's first time.
    assert values["meetings_held"] == 1
    assert values["first_time"] == 1
    assert values["returning"] == 0
    assert values["projects_total"] == 1  # p1's first step
    assert values["channel_fph_applications"] == 1  # submitted 31 December 23:30 Paris


def test_the_questions_are_the_transparency_figures(data):
    values = compute(Scope.metropole(), Q1, today=TODAY)
    figures = transparency_figures(start=Q1.start, end=Q1.end, today=TODAY)
    assert values["questions_received"] == figures.received
    assert values["questions_answered"] == figures.answered
    assert values["questions_answered_on_time"] == figures.answered_on_time
    # The same counts; the indicator keeps 1 decimal where the public page rounds to the unit.
    assert round(values["questions_on_time_rate"]) == figures.on_time_percent
    assert values["questions_delay_median"] == figures.median_delay_days
    assert values["questions_overdue"] == figures.overdue
    assert values["questions_logged_late"] == figures.logged_late == 1


def test_overdue_questions_depend_on_today(data):
    # On 1 April the 10 March question (due 9 April) is not late yet; the Rabière one is.
    values = compute(Scope.metropole(), Q1, today=date(2026, 4, 1))
    assert values["questions_received"] == 4
    assert values["questions_overdue"] == 1
    # "answered" reads the status now: the answer of 10 April counts for Q1, as in transparency.py.
    assert values["questions_answered"] == 2


# ---- Grouped computations agree with the scalar one -------------------------------------------


def test_by_qpv_gives_each_qpv_its_own_figures(data):
    rows = compute_by_qpv(Scope.metropole(), Q1, today=TODAY)
    assert list(rows) == list(QPV.objects.for_listing())
    assert rows[data.sanitas] == SANITAS_Q1
    assert rows[data.rabiere] == RABIERE_Q1
    europe = QPV.objects.get(slug="europe")
    assert rows[europe] == EMPTY


def test_by_qpv_of_a_commune_lists_its_qpv(data):
    rows = compute_by_qpv(Scope.commune_of(data.tours), Q1, today=TODAY)
    assert len(rows) == 8
    assert all(qpv.commune == data.tours for qpv in rows)
    assert rows[data.sanitas] == SANITAS_Q1


def test_by_quarter_equals_each_quarter_computed_alone(data):
    period = Period(date(2025, 11, 15), date(2026, 4, 2))
    rows = compute_by_quarter(Scope.metropole(), period, CODES, today=TODAY)
    assert [quarter for quarter, _ in rows] == period.quarters()
    for quarter, values in rows:
        assert values == compute(Scope.metropole(), quarter, today=TODAY), quarter
    assert rows[1][1] == METROPOLE_Q1


def test_by_quarter_of_a_qpv_and_some_codes(data):
    period = Period.year(2026)
    rows = compute_by_quarter(
        Scope.of_qpv(data.sanitas), period, ["meetings_held", "return_rate"], today=TODAY
    )
    assert [values for _, values in rows] == [
        {"meetings_held": 4, "return_rate": 66.7},
        {"meetings_held": 1, "return_rate": 0.0},
        {"meetings_held": 0, "return_rate": None},
        {"meetings_held": 0, "return_rate": None},
    ]
    with pytest.raises(KeyError):
        compute_by_quarter(Scope.metropole(), period, ["no_such_code"], today=TODAY)


def test_days_between_meetings_stay_within_each_quarter(data):
    # Over Q1 + Q2 the gap 31 March 23:30 → 1 April 00:30 is one calendar day (Paris dates).
    values = compute(Scope.metropole(), Period(date(2026, 1, 1), date(2026, 6, 30)), today=TODAY)
    assert values["days_between_meetings"] == round((21 + 59 + 1) / 3, 1)
