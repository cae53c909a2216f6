"""The indicators dashboard (issue 7, items 3 and 9): scope and period filter, roles in and out of
scope, the SVG charts, bounded queries and the absence of any personal data."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dialogue.models import AttendeeCategory, MeetingStatus, WalkIn
from evaluation import charts
from evaluation.forms import ScopePeriodForm
from evaluation.indicators import Period, Scope
from participation.roles import Role
from qpv.models import QPV, Commune
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.helpers import staff_home
from tests.participation.factories import UserFactory, grant
from tests.qpv.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
DASHBOARD = reverse("evaluation:dashboard")
SVG = "{http://www.w3.org/2000/svg}"


def user_with(role: Role | None = None, **scope):
    user = UserFactory()
    if role is not None:
        grant(user, role, **scope)
    return user


def qpv(slug: str) -> QPV:
    return QPV.objects.select_related("commune").get(slug=slug)


def commune(slug: str) -> Commune:
    return Commune.objects.get(slug=slug)


@pytest.fixture
def referent_tours():
    return user_with(Role.REFERENT, commune=commune("tours"))


@pytest.fixture
def delegate_all():
    return user_with(Role.DELEGATE)


@pytest.fixture
def delegate_sanitas():
    return user_with(Role.DELEGATE, qpv=qpv("sanitas"))


@pytest.fixture
def coordinator():
    return user_with(Role.COORDINATOR)


def held_meetings(count: int, *, slug: str = "sanitas", registrants: int = 2) -> None:
    """`count` held meetings in the past months, each with present registrants and a walk-in."""
    space = DialogueSpaceFactory(qpv=qpv(slug))
    today = timezone.localdate()
    for index in range(count):
        day = today - timedelta(days=20 + 9 * index)
        starts = datetime.combine(day, time(18), tzinfo=PARIS)
        meeting = MeetingFactory(
            dialogue_space=space,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            status=MeetingStatus.HELD,
        )
        for _number in range(registrants):
            RegistrationFactory(meeting=meeting, attended=True)
        WalkIn.objects.create(meeting=meeting, category=AttendeeCategory.RESIDENT)


# ---- Roles in and out of scope ------------------------------------------------------------------


def test_visitor_is_sent_to_login(client):
    for name in ("dashboard", "export_csv", "export_xlsx"):
        response = client.get(reverse(f"evaluation:{name}"))
        assert response.status_code == 302
        assert "/login" in response["Location"] or "connexion" in response["Location"]


@pytest.mark.parametrize("role", ["resident", "facilitator", "correspondent"])
def test_roles_without_indicators_get_403(client, role):
    if role == "resident":
        user = user_with()
    elif role == "facilitator":
        user = user_with(Role.FACILITATOR, qpv=qpv("sanitas"))
    else:
        user = user_with(Role.CORRESPONDENT, organisation=OrganisationFactory())
    client.force_login(user)
    for name in ("dashboard", "export_csv", "export_xlsx"):
        assert client.get(reverse(f"evaluation:{name}")).status_code == 403


def test_referent_reads_the_commune_and_its_qpv(client, referent_tours):
    client.force_login(referent_tours)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["scope"] == Scope.commune_of(commune("tours"))
    assert response.context["period"] == Period.contract_to_date()
    assert client.get(DASHBOARD, {"scope": "qpv:sanitas"}).status_code == 200
    choices = response.context["form"].scopes
    assert "metropole" not in choices
    assert "commune:joue-les-tours" not in choices
    assert "qpv:la-rabiere" not in choices
    assert set(choices) == {"commune:tours"} | {
        f"qpv:{slug}"
        for slug in QPV.objects.filter(commune__slug="tours").values_list("slug", flat=True)
    }


@pytest.mark.parametrize("scope", ["commune:joue-les-tours", "qpv:la-rabiere", "metropole"])
def test_referent_out_of_scope_is_a_form_error(client, referent_tours, scope):
    client.force_login(referent_tours)
    response = client.get(DASHBOARD, {"scope": scope})
    assert response.status_code == 400
    assert "scope" in response.context["form"].errors
    assert "tiles" not in response.context
    for name in ("export_csv", "export_xlsx"):
        assert client.get(reverse(f"evaluation:{name}"), {"scope": scope}).status_code == 400


def test_delegate_everywhere_reads_the_metropole(client, delegate_all):
    client.force_login(delegate_all)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["scope"] == Scope.metropole()
    assert client.get(DASHBOARD, {"scope": "commune:joue-les-tours"}).status_code == 200


def test_delegate_of_a_qpv_reads_only_that_qpv(client, delegate_sanitas):
    client.force_login(delegate_sanitas)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["scope"] == Scope.of_qpv(qpv("sanitas"))
    assert list(response.context["form"].scopes) == ["qpv:sanitas"]
    for scope in ("metropole", "commune:tours", "qpv:europe"):
        assert client.get(DASHBOARD, {"scope": scope}).status_code == 400


def test_coordinator_reads_everything(client, coordinator):
    client.force_login(coordinator)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["scope"] == Scope.metropole()
    choices = response.context["form"].scopes
    assert len(choices) == 1 + Commune.objects.count() + QPV.objects.count()
    for scope in ("commune:la-riche", "qpv:la-rabiere"):
        assert client.get(DASHBOARD, {"scope": scope}).status_code == 200


def test_staff_home_links_to_the_indicators(client, referent_tours):
    client.force_login(referent_tours)
    assert DASHBOARD in staff_home(client)
    client.force_login(user_with(Role.FACILITATOR, qpv=qpv("sanitas")))
    assert DASHBOARD not in staff_home(client)


# ---- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"preset": "custom", "start": "2025-06-01", "end": "2025-05-01"}, "end"),
        ({"preset": "custom", "start": "2014-01-01", "end": "2064-01-01"}, "end"),
        ({"start": "1975-01-01", "end": "2025-01-01"}, "start"),
        ({"start": "2015-01-01", "end": "2022-01-01"}, "end"),  # 7 years and a day
        ({"preset": "custom", "start": "n'importe quoi", "end": "2025-01-01"}, "start"),
        ({"preset": "custom", "start": "2025-02-30", "end": "2025-03-01"}, "start"),
        ({"preset": "custom", "start": "2025-01-01"}, "end"),
        ({"preset": "year-1900"}, "preset"),
        ({"preset": "quarter-2025-9"}, "preset"),
        ({"scope": "qpv:<script>"}, "scope"),
        ({"scope": "commune:nowhere"}, "scope"),
        ({"scope": "qpv:sanitas' OR 1=1"}, "scope"),
    ],
)
def test_bad_input_is_a_400_with_the_form(client, coordinator, params, field):
    client.force_login(coordinator)
    response = client.get(DASHBOARD, params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "error-summary" in response.content.decode()
    csv = client.get(reverse("evaluation:export_csv"), params)
    assert csv.status_code == 400
    assert csv["Content-Type"].startswith("text/plain")


def test_the_message_is_french(client, coordinator):
    client.force_login(coordinator)
    response = client.get(
        DASHBOARD, {"preset": "custom", "start": "2025-06-01", "end": "2025-05-01"}
    )
    # What was typed comes back in the form.
    assert 'value="2025-06-01"' in response.content.decode()
    assert (
        response.context["form"].errors["end"]
        == ["The end of the period must not be before its start."]
        or "fin" in response.context["form"].errors["end"][0]
    )


def test_periods_presets_and_custom():
    user = user_with(Role.COORDINATOR)
    today = date(2026, 5, 10)

    def period(data):
        form = ScopePeriodForm(data, user=user, today=today)
        assert form.is_valid(), form.errors
        return form.cleaned_scope_period()[1]

    assert period({}) == Period(date(2024, 1, 1), today)
    assert period({"preset": "year-2025"}) == Period.year(2025)
    assert period({"preset": "quarter-2026-2"}) == Period.quarter(2026, 2)
    # Dates without a preset are custom dates; with a preset, the preset wins.
    assert period({"start": "2025-03-01", "end": "2025-03-31"}) == Period(
        date(2025, 3, 1), date(2025, 3, 31)
    )
    assert period({"preset": "year-2024", "start": "2025-03-01", "end": "2025-03-31"}) == (
        Period.year(2024)
    )
    # Exactly 7 years (the length of the contract) is accepted.
    assert period({"start": "2017-01-01", "end": "2023-12-31"}) == Period(
        date(2017, 1, 1), date(2023, 12, 31)
    )
    # Future quarters are not offered.
    form = ScopePeriodForm({"preset": "quarter-2026-3"}, user=user, today=today)
    assert not form.is_valid()


# ---- Page content, charts, queries, personal data ------------------------------------------------


def test_page_shows_tiles_families_charts_and_comparison(client, referent_tours):
    held_meetings(2)
    client.force_login(referent_tours)
    response = client.get(DASHBOARD, {"preset": "year-" + str(timezone.localdate().year)})
    assert response.status_code == 200
    html = response.content.decode()
    assert len(response.context["tiles"]) == 12
    assert [family["code"] for family in response.context["families"]] == [
        "realisation",
        "resultat",
        "impact",
        "parole",
    ]
    assert html.count("<details") >= 40
    # Each chart is an <img> with a text alternative, and its data table beside it.
    images = re.findall(r'<img class="img-fluid chart-image"\s+src="([^"]+)"\s+alt="([^"]+)"', html)
    assert len(images) == len(response.context["charts"]) + 1  # + the QPV comparison
    for uri, alt in images:
        assert uri.startswith("data:image/svg+xml;base64,")
        assert alt
        svg = base64.b64decode(uri.split(",", 1)[1]).decode()
        root = ET.fromstring(svg)  # noqa: S314 (our own chart, not untrusted input)
        assert root.find(f"{SVG}title") is not None
    assert html.count("<caption") >= len(images)
    # One row per QPV of Tours in the comparison.
    assert (
        len(response.context["comparison"]["rows"])
        == QPV.objects.filter(commune__slug="tours").count()
    )
    for name in ("export_csv", "export_xlsx"):
        assert reverse(f"evaluation:{name}") + "?scope=commune%3Atours&amp;preset=year-" in html
    assert reverse("evaluation:reports") + "?scope=" in html


def test_no_personal_data_on_the_page(client, coordinator):
    held_meetings(2)
    registration = RegistrationFactory(
        meeting=MeetingFactory(
            status=MeetingStatus.HELD,
            starts_at=timezone.now() - timedelta(days=3),
            ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
        ),
        attended=True,
        name="Zéphyrine Introuvable",
        email="zephyrine.introuvable@example.org",
        phone="06 12 34 56 78",
    )
    client.force_login(coordinator)
    for url in (DASHBOARD, reverse("evaluation:export_csv")):
        response = client.get(url, {"scope": "qpv:sanitas"})
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        assert "Sanitas" in text
        for personal in (registration.name, registration.email, registration.phone, "Introuvable"):
            assert personal not in text


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD, params)
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_data(client, coordinator):
    """Same count with a small dataset and with 3× more meetings (and people) in two QPV."""
    client.force_login(coordinator)
    params = {"preset": "contract"}
    held_meetings(3, slug="sanitas")
    held_meetings(2, slug="la-rabiere")
    small = _queries(client, params)
    held_meetings(6, slug="sanitas", registrants=4)
    held_meetings(4, slug="la-rabiere", registrants=4)
    held_meetings(5, slug="europe")
    assert _queries(client, params) == small
    # A QPV scope costs no more than the metropole.
    assert _queries(client, {"scope": "qpv:sanitas"}) <= small


# ---- The charts themselves ----------------------------------------------------------------------


def _check_svg(svg: str, title: str) -> ET.Element:
    assert "<script" not in svg and "javascript" not in svg.lower()
    assert not svg.startswith("<?xml")
    root = ET.fromstring(svg)  # noqa: S314 (our own chart, not untrusted input)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    first, second = list(root)[:2]
    assert first.tag == f"{SVG}title" and first.text == title
    assert second.tag == f"{SVG}desc" and second.text
    assert not root.findall(f".//{SVG}script")
    return root


def test_quarterly_chart_is_accessible_svg_without_script():
    quarters = ["T1 2025", "T2 2025", "T3 2025"]
    svg = charts.quarterly_chart(
        "Réunions", {"Tenues": [3, 5, None], "Annulées": [0, 1, 0]}, quarters
    )
    root = _check_svg(svg, "Réunions")
    description = root.find(f"{SVG}desc").text
    assert "T2 2025: 5" in description and "Annulées" in description


def test_comparison_chart_is_accessible_svg_without_script():
    svg = charts.comparison_chart(
        "Participations par QPV",
        {"Participations": [1234, 0, 56.5]},
        ["Sanitas", "Europe", "Rochepinard"],
    )
    _check_svg(svg, "Participations par QPV")
    assert "Rochepinard" in svg


def test_empty_chart_does_not_fail():
    _check_svg(charts.quarterly_chart("Vide", {"Rien": []}, []), "Vide")


def test_chart_colours_are_print_safe():
    for colour in charts.COLOURS:
        assert charts.contrast_on_white(colour) >= 4.5, colour


def test_french_number_formatting():
    from django.utils import translation

    with translation.override("fr"):
        assert charts.format_value(1234) == "1\xa0234"
        assert (
            charts.format_value(45.25, "percent") == "45,2\xa0%"
            or charts.format_value(45.25, "percent") == "45,3\xa0%"
        )
        assert charts.format_value(45.2, "percent") == "45,2\xa0%"
        # Euros with their cents, scores with 2 decimals, days with 1: the definitions' decimals.
        assert charts.format_value(1500, "euros") == "1\xa0500,00\xa0€"
        assert charts.format_value(1234.56, "euros") == "1\xa0234,56\xa0€"
        assert charts.format_value(None, "percent") == "–"
        assert charts.format_value(3.45, "score") == "3,45\xa0/\xa05"
        assert charts.format_value(5, "days") == "5,0\xa0j"


def test_unbound_form_offers_the_defaults(delegate_sanitas):
    form = ScopePeriodForm(user=delegate_sanitas)
    assert not form.is_bound
    assert form.initial == {"scope": "qpv:sanitas", "preset": "contract"}
    form = ScopePeriodForm(user=delegate_sanitas, initial={"preset": "year-2025"})
    assert form.initial["preset"] == "year-2025"


def test_every_error_is_reported_at_once(client, referent_tours):
    client.force_login(referent_tours)
    response = client.get(
        DASHBOARD,
        {
            "scope": "commune:joue-les-tours",
            "preset": "custom",
            "start": "2026-05-01",
            "end": "2020-01-01",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"scope", "end"}
    # The forged value is not echoed back in the message.
    assert "joue-les-tours" not in errors["scope"][0]
