"""Honest periods and French formats (issue 19, items 3 and 5): a period that ends after today is cut
to today and says so, in the dashboard, the exports, the report list and the PDF; partial quarters
are flagged; quarters and dates in plain French; sizes in Ko/Mo; no code identifier in the annex."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from evaluation import pdf
from evaluation.indicators import CATALOGUE, Period, Scope, report_period
from evaluation.models import Report, ReportStatus
from participation.roles import Role
from participation.sizes import file_size
from qpv.models import QPV, Commune
from tests.participation.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def test_a_period_in_progress_is_cut_to_today_and_says_so():
    year = Period.year(2026)
    cut = year.cut_to(date(2026, 12, 7))
    assert (cut.start, cut.end, cut.planned_end, cut.is_cut) == (
        date(2026, 1, 1),
        date(2026, 12, 7),
        date(2026, 12, 31),
        True,
    )
    with translation.override("fr"):
        assert cut.label == "2026, au 7 décembre 2026 (année en cours)"
        assert [quarter.quarter_label for quarter in cut.quarters()] == [
            "1er trimestre 2026",
            "2e trimestre 2026",
            "3e trimestre 2026",
            "4e trimestre 2026 (partiel)",
        ]
        quarter = Period.quarter(2026, 4).cut_to(date(2026, 11, 1))
        assert quarter.label == "4e trimestre 2026, au 1er novembre 2026 (trimestre en cours)"
        assert cut.dates_text == "du 1er janvier 2026 au 7 décembre 2026"
    # Over, or not started: left as asked.
    assert year.cut_to(date(2027, 1, 1)) == year
    assert year.cut_to(date(2025, 6, 1)) == year and not year.is_cut
    assert year.cut_to(date(2026, 12, 31)) == year


def test_a_report_keeps_the_period_asked_and_prints_the_one_covered():
    qpv = QPV.objects.filter(commune__slug="tours").first()
    report = Report.objects.create(
        qpv=qpv,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        status=ReportStatus.READY,
        generated_at=timezone.make_aware(timezone.datetime(2026, 12, 7, 23, 10)),
    )
    period = report_period(report)
    assert (period.start, period.end, period.planned_end) == (
        date(2026, 1, 1),
        date(2026, 12, 7),
        date(2026, 12, 31),
    )
    report.refresh_from_db()
    assert report.period_end == date(2026, 12, 31)


def test_dashboard_exports_and_report_list_say_the_period_is_in_progress(client):
    user = UserFactory()
    grant(user, Role.COORDINATOR)
    client.force_login(user)
    today = timezone.localdate()
    query = {
        "scope": "commune:tours",
        "preset": "custom",
        "start": (today - timedelta(days=40)).isoformat(),
        "end": (today + timedelta(days=30)).isoformat(),
    }
    with translation.override("fr"):
        start, planned = today - timedelta(days=40), today + timedelta(days=30)
        expected = Period(start, planned).cut_to(today).label
    assert "(période en cours)" in expected

    page = client.get(reverse("evaluation:dashboard"), query).content.decode()
    assert expected in page
    assert "La période n’est pas terminée" in page
    assert "(partiel)" in page  # the last quarter, cut by today

    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("evaluation:export_csv"), query).content.decode("utf-8-sig")
            )
        )
    )
    assert {row[2] for row in rows[1:]} == {today.isoformat()}  # the figures stop today
    assert {row[10] for row in rows[1:]} == {expected}
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("evaluation:export_xlsx"), query).content)
    )
    assert ("Période", expected) in list(workbook["À lire"].iter_rows(values_only=True))

    client.post(reverse("evaluation:reports"), query)
    report = Report.objects.get()
    assert report.period_end == planned  # the record keeps the period asked for
    listing = client.get(reverse("evaluation:reports")).content.decode()
    assert expected in listing


def test_the_pdf_annex_has_no_code_and_gives_sources_in_words():
    with translation.override("fr"):
        html = render_to_string(
            "evaluation/pdf/annex.html",
            {
                "definitions": [
                    ("Réalisation", list(CATALOGUE)),
                ]
            },
        )
    for indicator in CATALOGUE:
        assert indicator.code not in html, indicator.code
    assert "Source : rencontres, inscriptions." in html
    assert "ne s’additionne pas" in html.lower() or "Ne s’additionne pas" in html


def test_sizes_in_ko_and_mo_never_kio():
    with translation.override("fr"):
        assert file_size(245_300) == "245,3\xa0Ko" or file_size(245_300) == "245,3 Ko"
        assert file_size(1_500_000).endswith("Mo")
        assert file_size(12) == "12 octets"
        assert "Kio" not in file_size(2048)


def test_cover_and_footer_say_when_and_from_which_data(monkeypatch):
    scope = Scope.commune_of(Commune.objects.get(slug="tours"))
    report = Report(
        commune=scope.commune, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    today = timezone.localdate()
    with translation.override("fr"):
        context = pdf.build_context(report)
        html = render_to_string("evaluation/pdf/report.html", context)
    assert "Données arrêtées au " in context["data_as_of"]
    assert "base du portail Quartiers en dialogue" in context["data_as_of"]
    if date(2026, 1, 1) <= today < date(2026, 12, 31):
        assert "(année en cours)" in html and "La période n’est pas terminée" in html
    for indicator in CATALOGUE:
        assert f">{indicator.code}<" not in html
