"""Targets and trends of the indicators (issue 19, item 2): the coordinator's page (CRUD, invalid
input, permissions), the maths of a scope's target (derived, overridden, pro-rated), progress and
trends, and the key figures of the dashboard and of the PDF."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone, translation

from dialogue.models import AttendeeCategory, MeetingStatus, WalkIn
from evaluation import targets
from evaluation.indicators import Period, Scope
from evaluation.models import IndicatorTarget, TargetDirection, TargetLevel
from qpv.models import QPV, Commune
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
TARGETS = reverse("evaluation:targets")
DASHBOARD = reverse("evaluation:dashboard")


def target(code="meetings_held", value="10", **fields) -> IndicatorTarget:
    return IndicatorTarget.objects.create(code=code, value=Decimal(value), **fields)


def qpv(slug: str) -> QPV:
    return QPV.objects.select_related("commune").get(slug=slug)


def fr(function, *args, **kwargs):
    with translation.override("fr"):
        return function(*args, **kwargs)


def nbsp(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def page_text(response) -> str:
    """The page's words, tags taken out and spaces collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(nbsp(text).split())


# ---- The coordinator's page: create, change, delete ----------------------------------------------


def test_a_coordinator_adds_changes_and_deletes_a_target(client, actors):
    actors.login(client, "coordinator")
    response = client.post(
        TARGETS,
        {"code": "meetings_held", "level": "qpv", "year": "", "direction": "gte", "value": "10"},
    )
    assert response.status_code == 302
    saved = IndicatorTarget.objects.get()
    assert (saved.code, saved.level, saved.year, saved.value) == (
        "meetings_held",
        TargetLevel.EACH_QPV,
        None,
        Decimal("10"),
    )
    assert saved.updated_by == actors["coordinator"]
    # The audit log keeps who set it (participation.audit).
    entry = LogEntry.objects.get_for_object(saved).get()
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, actors["coordinator"])
    page = nbsp(client.get(TARGETS).content.decode())
    assert "≥ 10 par QPV et par an (tout le contrat)" in page
    # A year's target for the same indicator is another row; the French decimal comma is read.
    response = client.post(
        TARGETS,
        {
            "code": "questions_on_time_rate",
            "level": "metropole",
            "year": "2026",
            "direction": "gte",
            "value": "80,5",
        },
    )
    assert response.status_code == 302
    rate = IndicatorTarget.objects.get(code="questions_on_time_rate")
    assert (rate.year, rate.value, rate.level) == (2026, Decimal("80.5"), TargetLevel.METROPOLE)
    assert "≥ 80,5 % pour la métropole en 2026" in nbsp(client.get(TARGETS).content.decode())

    edit = reverse("evaluation:target_edit", kwargs={"pk": saved.pk})
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "code": "meetings_held",
            "level": "qpv",
            "year": "2025",
            "direction": "gte",
            "value": "12",
        },
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.year, saved.value) == (2025, Decimal("12"))

    response = client.post(reverse("evaluation:target_delete", kwargs={"pk": saved.pk}))
    assert response.status_code == 302
    assert not IndicatorTarget.objects.filter(pk=saved.pk).exists()
    assert (
        client.get(reverse("evaluation:target_delete", kwargs={"pk": rate.pk})).status_code == 405
    )


VALID = {"code": "meetings_held", "level": "qpv", "year": "", "direction": "gte", "value": "10"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": "-3"}, "L'objectif ne peut pas être négatif."),
        ({"code": "share_women", "value": "120"}, "Un objectif en pourcentage ne dépasse pas 100."),
        ({"code": "feedback_heard", "value": "7"}, "Un objectif de note est compris entre 1 et 5."),
        ({"code": "no_such_indicator"}, "Choisissez un indicateur de la liste."),
        ({"year": "2031"}, "Choisissez une année du contrat (2024 à 2030)."),
        ({"value": "dix"}, "Indiquez un nombre, par exemple 10 ou 80,5."),
        ({"value": "1,234"}, "Indiquez au plus 2 décimales."),
        ({"value": ""}, "Ce champ est obligatoire."),
        ({"direction": "more"}, "Sélectionnez un choix valide"),
    ],
)
def test_invalid_targets_get_the_form_back_in_french(client, actors, changes, message):
    actors.login(client, "coordinator")
    response = client.post(TARGETS, VALID | changes)
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert message in html
    assert not IndicatorTarget.objects.exists()
    # What was typed is kept.
    typed = (VALID | changes)["value"]
    if typed:
        assert f'value="{typed}"' in html


@pytest.mark.parametrize("year", ["", "2026"])
def test_a_duplicate_target_is_refused(client, actors, year):
    target(year=int(year) if year else None)
    actors.login(client, "coordinator")
    response = client.post(TARGETS, VALID | {"year": year, "value": "15"})
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert "Cet indicateur a déjà un objectif pour" in html
    assert IndicatorTarget.objects.get().value == Decimal("10")
    # The other level (the metropole) is another target.
    response = client.post(TARGETS, VALID | {"year": year, "level": "metropole", "value": "90"})
    assert response.status_code == 302
    assert IndicatorTarget.objects.count() == 2


def test_changing_a_target_into_a_duplicate_is_refused(client, actors):
    target(year=None)
    other = target(year=2026, value="12")
    actors.login(client, "coordinator")
    edit = reverse("evaluation:target_edit", kwargs={"pk": other.pk})
    response = client.post(edit, VALID | {"value": "12"})
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.year == 2026


# ---- Permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        ("visitor", 302, 302),
        ("resident", 403, 403),
        ("facilitator_sanitas", 403, 403),
        ("correspondent", 403, 403),
        ("delegate_sanitas", 200, 403),
        ("delegate_all", 200, 403),
        ("referent_tours", 200, 403),
        ("coordinator", 200, 302),
    ],
)
def test_only_coordinators_set_targets_delegates_and_referents_read_them(
    client, actors, role, get, post
):
    existing = target()
    actors.login(client, role)
    response = client.get(TARGETS)
    assert response.status_code == get
    if get == 200:
        html = response.content.decode()
        assert "par QPV et par an" in nbsp(html)
        # Only a coordinator sees the form and the buttons.
        assert ('name="value"' in html) == (role == "coordinator")
        assert (reverse("evaluation:target_edit", kwargs={"pk": existing.pk}) in html) == (
            role == "coordinator"
        )
    assert client.post(TARGETS, VALID | {"year": "2026"}).status_code == post
    edit = reverse("evaluation:target_edit", kwargs={"pk": existing.pk})
    delete = reverse("evaluation:target_delete", kwargs={"pk": existing.pk})
    if role == "coordinator":
        assert client.get(edit).status_code == 200
        return
    refused = 302 if role == "visitor" else 403  # the visitor is sent to log in
    assert client.get(edit).status_code == refused
    assert client.post(edit, VALID | {"value": "99"}).status_code == refused
    assert client.post(delete).status_code == refused
    assert IndicatorTarget.objects.filter(pk=existing.pk, value=Decimal("10")).exists()


# ---- A scope's target -------------------------------------------------------------------------------


def test_per_qpv_target_gives_each_qpv_commune_and_metropole_targets():
    target(value="10")  # ≥ 10 meetings per QPV and per year
    target(code="questions_on_time_rate", value="80")
    year = Period.year(2026)
    sanitas = targets.targets_for(Scope.of_qpv(qpv("sanitas")), year)
    assert sanitas["meetings_held"].value == 10
    assert not sanitas["meetings_held"].derived
    tours = Commune.objects.get(slug="tours")
    count = QPV.objects.filter(commune=tours).count()
    commune = targets.targets_for(Scope.commune_of(tours), year)
    assert commune["meetings_held"].value == 10 * count
    assert commune["meetings_held"].derived
    assert fr(lambda: targets.targets_for(Scope.commune_of(tours), year))[
        "meetings_held"
    ].notes == [f"L'objectif par QPV × {count} QPV."]
    # A rate is not added up.
    assert commune["questions_on_time_rate"].value == 80
    metropole = targets.targets_for(Scope.metropole(), year)
    assert metropole["meetings_held"].value == 10 * QPV.objects.count()
    assert nbsp(metropole["questions_on_time_rate"].text) == "≥ 80,0 %"


def test_a_metropole_target_replaces_the_derived_one_for_the_metropole_only():
    target(code="residents_distinct", value="100")
    target(code="residents_distinct", value="900", level=TargetLevel.METROPOLE)
    year = Period.year(2025)
    assert targets.targets_for(Scope.metropole(), year)["residents_distinct"].value == 900
    tours = Commune.objects.get(slug="tours")
    count = QPV.objects.filter(commune=tours).count()
    assert targets.targets_for(Scope.commune_of(tours), year)["residents_distinct"].value == (
        100 * count
    )


def test_a_year_target_replaces_the_contract_target_that_year():
    target(value="10")
    target(value="20", year=2026)
    scope = Scope.of_qpv(qpv("sanitas"))
    assert targets.targets_for(scope, Period.year(2025))["meetings_held"].value == 10
    assert targets.targets_for(scope, Period.year(2026))["meetings_held"].value == 20
    # Two whole years: the sum of each year's target.
    both = targets.targets_for(scope, Period(date(2025, 1, 1), date(2026, 12, 31)))
    assert both["meetings_held"].value == 30
    assert len(both["meetings_held"].sources) == 2


def test_a_shorter_period_pro_rates_counts_and_keeps_rates():
    target(value="12")
    target(code="questions_on_time_rate", value="80")
    scope = Scope.of_qpv(qpv("sanitas"))
    quarter = fr(targets.targets_for, scope, Period.quarter(2026, 1))
    assert quarter["meetings_held"].value == round(12 * 90 / 365)
    assert quarter["meetings_held"].prorated
    assert (
        "Objectif annuel au prorata des 90 jours de la période." in quarter["meetings_held"].notes
    )
    assert quarter["questions_on_time_rate"].value == 80
    assert not quarter["questions_on_time_rate"].prorated
    assert not targets.targets_for(scope, Period.year(2026))["meetings_held"].prorated


def test_no_target_when_a_year_of_the_period_has_none():
    target(value="20", year=2026)
    scope = Scope.of_qpv(qpv("sanitas"))
    assert "meetings_held" in targets.targets_for(scope, Period.year(2026))
    assert targets.targets_for(scope, Period(date(2025, 7, 1), date(2026, 6, 30))) == {}


# ---- Progress and trend -----------------------------------------------------------------------------


def _target(code="meetings_held", value=10.0, direction=TargetDirection.AT_LEAST):
    return targets.Target(code=code, direction=direction, value=value, text="", sources=[])


def test_progress_of_a_count_and_of_an_at_most_target():
    progress = fr(targets.progress, 8, _target())
    assert (progress.reached, progress.ratio) == (False, 0.8)
    assert nbsp(progress.text) == "pas atteint (8 sur 10, 80 %)"
    assert fr(targets.progress, 10, _target()).text.startswith("atteint")
    overdue = _target("questions_overdue", 0.0, TargetDirection.AT_MOST)
    assert fr(targets.progress, 0, overdue).text == "atteint"
    assert fr(targets.progress, 3, overdue).text == "pas atteint"
    rate = _target("questions_on_time_rate", 80.0)
    assert fr(targets.progress, 82.5, rate).text == "atteint"
    assert fr(targets.progress, None, rate).text == "aucune donnée"


def test_trend_in_percent_for_counts_and_in_points_for_percentages():
    comparison = fr(targets.comparison_phrase, Period.year(2025))
    assert comparison == "par rapport à 2025"
    up = fr(
        targets.trend,
        {"meetings_held": 56},
        {"meetings_held": 50},
        "meetings_held",
        comparison=comparison,
    )
    assert (up.change, up.arrow) == ("up", "▲")
    assert nbsp(up.text) == "en hausse de 12 % par rapport à 2025 (50)"
    down = fr(
        targets.trend,
        {"share_women": 52.0},
        {"share_women": 55.0},
        "share_women",
        comparison=comparison,
    )
    assert (down.change, down.arrow) == ("down", "▼")
    assert nbsp(down.text) == "en baisse de 3,0 points par rapport à 2025 (55,0 %)"
    same = fr(targets.trend, {"meetings_held": 4}, {"meetings_held": 4}, "meetings_held")
    assert (same.change, same.arrow) == ("same", "=")
    assert same.text.startswith("stable par rapport à la même période un an plus tôt")
    from_zero = fr(targets.trend, {"meetings_held": 3}, {"meetings_held": 0}, "meetings_held")
    assert from_zero.change == "up" and "(0)" in from_zero.text
    none = fr(targets.trend, {"meetings_held": 3}, None, "meetings_held")
    assert (none.change, none.arrow, none.comparable) == ("none", "", False)
    assert none.text == "pas de comparaison (aucune donnée un an plus tôt)"
    no_value = fr(
        targets.trend, {"feedback_heard": None}, {"feedback_heard": 3.2}, "feedback_heard"
    )
    assert no_value.text.startswith("pas de comparaison")


def test_the_period_a_year_earlier():
    assert targets.previous_period(Period.year(2026)) == Period.year(2025)
    assert targets.previous_period(Period(date(2024, 2, 29), date(2024, 12, 7))) == Period(
        date(2023, 2, 28), date(2023, 12, 7)
    )
    assert not targets.has_history(targets.previous_period(Period.year(2024)))
    assert targets.has_history(targets.previous_period(Period.year(2025)))
    assert (
        fr(targets.comparison_phrase, Period.quarter(2025, 3)) == "par rapport au 3e trimestre 2025"
    )
    assert (
        fr(targets.comparison_phrase, Period(date(2025, 1, 1), date(2025, 12, 7)))
        == "par rapport à la même période de 2025"
    )


# ---- Dashboard and PDF ------------------------------------------------------------------------------


def held(slug: str, day: date, attendees: int = 1) -> None:
    space = DialogueSpaceFactory(qpv=qpv(slug))
    starts = datetime.combine(day, time(18), tzinfo=PARIS)
    meeting = MeetingFactory(
        dialogue_space=space,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    for _number in range(attendees):
        RegistrationFactory(meeting=meeting, attended=True)
    WalkIn.objects.create(meeting=meeting, category=AttendeeCategory.RESIDENT)


def _last_year_dates(count: int) -> list[date]:
    year = timezone.localdate().year - 1
    return [date(year, 3, 1) + timedelta(days=7 * index) for index in range(count)]


def test_the_dashboard_shows_targets_progress_and_trends(
    client, actors, django_assert_max_num_queries
):
    target(value="10")
    last_year = timezone.localdate().year - 1
    for day in _last_year_dates(3):
        held("sanitas", day)
    held("sanitas", date(last_year - 1, 3, 1))
    held("europe", _last_year_dates(1)[0])
    actors.login(client, "referent_tours")
    # 40 before targets and trends (cache cold), + 14 for the same period a year earlier, + 1
    # for the targets.
    with django_assert_max_num_queries(55):
        response = client.get(DASHBOARD, {"scope": "qpv:sanitas", "preset": f"year-{last_year}"})
    assert response.status_code == 200
    text = page_text(response)
    assert "Objectif : ≥ 10 — pas atteint (3 sur 10, 30 %)" in text
    assert f"▲ en hausse de 200 % par rapport à {last_year - 1} (1)" in text
    assert '<span aria-hidden="true">▲</span>' in response.content.decode()
    # The commune: each QPV's row, with the per-QPV target, and the commune's derived target.
    response = client.get(DASHBOARD, {"scope": "commune:tours", "preset": f"year-{last_year}"})
    text = page_text(response)
    assert "Chiffres clés par QPV : objectifs et évolutions" in text
    count = QPV.objects.filter(commune__slug="tours").count()
    assert f"Objectif : ≥ {10 * count} — pas atteint (4 sur {10 * count}" in text
    assert f"L'objectif par QPV × {count} QPV." in text
    figures = response.context["key_figures"]
    sanitas = dict(figures["by_qpv"])[qpv("sanitas")]
    assert (sanitas[0].code, sanitas[0].value, sanitas[0].target.value) == (
        "meetings_held",
        "3",
        10,
    )


@pytest.mark.parametrize("meetings", [1, 6])
def test_the_dashboard_queries_do_not_grow_with_the_data(
    client, actors, django_assert_max_num_queries, meetings
):
    target(value="10")
    target(code="questions_on_time_rate", value="80", level=TargetLevel.METROPOLE)
    for day in _last_year_dates(meetings):
        held("sanitas", day)
        held("la-rabiere", day - timedelta(days=365))
    actors.login(client, "coordinator")
    # 40 queries before targets and trends (cache cold); the earlier period's catalogue and its
    # catalogue by QPV add 14 each, the targets one: 69, whatever the data (a second view: 6).
    with django_assert_max_num_queries(69):
        response = client.get(DASHBOARD, {"scope": "metropole"})
    assert response.status_code == 200
    assert "Objectif" in response.content.decode()


def test_the_pdf_shows_the_target_and_the_change_of_a_key_figure(tmp_path):
    from evaluation.models import Report
    from evaluation.pdf import build_context, render_report_pdf
    from tests.evaluation.test_reports import pdf_text

    target(value="10")
    for day in (date(2025, 2, 3), date(2025, 2, 10), date(2025, 3, 3)):
        held("sanitas", day)
    held("sanitas", date(2024, 2, 5))
    report = Report.objects.create(
        qpv=qpv("sanitas"), period_start=date(2025, 1, 1), period_end=date(2025, 3, 31)
    )
    with translation.override("fr"):
        context = build_context(report)
        content = render_report_pdf(context)
    first = context["key_figures"][0]
    assert first.code == "meetings_held"
    assert first.target.value == round(10 * 90 / 365)  # pro-rated to the quarter
    assert first.trend.change == "up"
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = pdf_text(path)
    assert "Objectif : ≥ 2 — atteint (3 sur 2, 150 %)" in text
    assert "Objectif annuel au prorata des 90 jours de la période." in text
    assert "en hausse de 200 % par rapport au 1er trimestre 2024 (1)" in text
    # The QPV section shows the same figure with the same target.
    assert text.count("Objectif : ≥ 2") >= 2


@pytest.mark.parametrize("meetings", [1, 5])
def test_the_pdf_context_queries_do_not_grow_with_the_data(meetings, django_assert_max_num_queries):
    from evaluation.models import Report
    from evaluation.pdf import build_context

    target(value="10")
    for day in _last_year_dates(meetings):
        held("sanitas", day)
        held("europe", day - timedelta(days=365))
    year = timezone.localdate().year - 1
    report = Report.objects.create(
        commune=Commune.objects.get(slug="tours"),
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
    )
    # 87 before targets and trends (Tours: 6 QPV sections, each with its quarters); the same
    # period a year earlier adds one catalogue and one catalogue by QPV (14 queries each), the
    # targets one query, the published written parts one: 117, whatever the data.
    with django_assert_max_num_queries(117):
        context = build_context(report)
    assert (
        context["key_figures"][0].target.value
        == 10 * QPV.objects.filter(commune__slug="tours").count()
    )
