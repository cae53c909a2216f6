"""One number, one value (issue 19, item 4): for EVERY indicator of the catalogue, the value printed
in the PDF (pdftotext of a real built report), on the dashboard and in the CSV and XLSX exports of
the same scope and period is the same, with exactly the decimals of the indicator's definition.

The data has figures with non-trivial decimals: an average score of 100/29 = 3.4483 (printed
"3,45 / 5", never "3,5 / 5" through a double rounding), an on-time rate of 1/3 (33,3 %, where the
public transparency figure rounds to 33 %), a grant of 1 234,56 € (cents shown).
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from dialogue.models import MeetingStatus
from evaluation import charts, pdf, services
from evaluation.computations import compute, compute_by_qpv
from evaluation.indicators import CATALOGUE, INDICATORS, Period, Scope, round_half_up
from evaluation.models import ReportStatus
from participation.roles import Role
from qpv.models import Commune
from tests.evaluation.factories import FeedbackFactory, build_dataset, meeting_at, paris
from tests.evaluation.test_reports import normalised, pdf_text
from tests.participation.factories import UserFactory, grant
from tests.whole_site.plain_text import visible_lines

pytestmark = pytest.mark.django_db

Q1_2026 = Period.quarter(2026, 1)
QUERY = {"scope": "commune:tours", "preset": "quarter-2026-1"}
# 27 more answers: with the dataset's two (5 and 4) in Tours, "I felt heard" sums to 100 over 29.
EXTRA_HEARD = [5] * 9 + [3] * 14 + [1] * 4


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def data():
    from projects.models import FundEnvelope, GrantStatus
    from tests.projects.factories import GrantApplicationFactory

    dataset = build_dataset()
    space = dataset.m1.dialogue_space
    extra = meeting_at(space, paris(2026, 2, 14), MeetingStatus.HELD)
    for index, score in enumerate(EXTRA_HEARD):
        FeedbackFactory(
            meeting=extra,
            answered_on=date(2026, 2, 15 + index % 10),
            felt_heard=score,
            felt_legitimate=1 + index % 5,
            understood_institutions=1 + index % 3,
        )
    GrantApplicationFactory(
        envelope=FundEnvelope.objects.get(qpv=dataset.sanitas, year=2026),
        status=GrantStatus.GRANTED,
        amount_granted=Decimal("1234.56"),
        decided_at=paris(2026, 2, 20),
        submitted_at=paris(2026, 2, 2),
    )
    return dataset


def number_of(printed: str) -> str:
    """The number of a printed figure, as the `;` CSV writes it: "4 734,56 €" → "4734,56"."""
    if printed.startswith("–"):
        return ""
    number = printed.replace("\u202f", "").replace("\xa0", " ").split(" / ")[0]
    return re.sub(r"[^0-9,\-]", "", number)


def decimals_of(number: str) -> int:
    return len(number.split(",")[1]) if "," in number else 0


def dashboard_values(page: str) -> dict[str, str]:
    """Label → printed value of the tables "All the indicators" of the dashboard."""
    section = page.split('id="all-indicators-title"', 1)[1]
    labels = re.findall(r'<th scope="row" class="fw-normal">\s*(.*?)\s*<details', section, re.S)
    cells = re.findall(r'<td class="text-end text-nowrap fw-semibold">(.*?)</td>', section, re.S)
    assert len(labels) == len(cells) == len(CATALOGUE)
    values = {}
    for label, cell in zip(labels, cells, strict=True):
        text = html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        values[normalised(html.unescape(label))] = "–" if text.startswith("–") else text
    return values


def xlsx_number(value, number_format: str) -> str:
    if value is None:
        return ""
    decimals = len(number_format.split(".")[1]) if "." in number_format else 0
    return f"{Decimal(str(value)):.{decimals}f}".replace(".", ",")


def test_every_indicator_prints_one_value_in_the_pdf_the_dashboard_and_the_exports(
    data, client, django_capture_on_commit_callbacks, tmp_path
):
    tours = Commune.objects.get(slug="tours")
    scope = Scope.commune_of(tours)
    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    client.force_login(coordinator)

    # The PDF of a real build.
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(user=coordinator, scope=scope, period=Q1_2026)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    path = Path(tmp_path) / "report.pdf"
    path.write_bytes(report.file.read())
    report.file.close()
    text = pdf_text(path)
    with translation.override("fr"):
        labels = {code: normalised(str(INDICATORS[code].label)) for code in INDICATORS}
        first_qpv = next(iter(compute_by_qpv(scope, Q1_2026)))
        every = "Tous les indicateurs du territoire"
        values = compute(scope, Q1_2026)
        expected = {code: normalised(pdf.format_indicator(values, code)) for code in INDICATORS}
    territory = text.split(every, 1)[1].split(f"{first_qpv.name} ({tours.name})", 1)[0]

    # The dashboard and the exports of the same scope and period.
    page = client.get(reverse("evaluation:dashboard"), QUERY).content.decode()
    dashboard = dashboard_values(page)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("evaluation:export_csv"), {**QUERY, "sep": ";"}).content.decode(
                    "utf-8-sig"
                )
            ),
            delimiter=";",
        )
    )[1:]
    csv_values = {row[5]: row[8] for row in rows if row[3] == ""}
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("evaluation:export_xlsx"), QUERY).content)
    )
    xlsx_values = {
        row[5].value: xlsx_number(row[8].value, row[8].number_format)
        for row in workbook["Indicateurs"].iter_rows(min_row=2)
        if not row[3].value
    }

    for indicator in CATALOGUE:
        code, printed = indicator.code, expected[indicator.code]
        assert f"{labels[code]} {printed}" in territory, (code, printed)
        assert normalised(dashboard[labels[code]]) == printed, code
        number = number_of(printed)
        assert csv_values[code] == number, (code, csv_values[code], printed)
        assert xlsx_values[code] == number, (code, xlsx_values[code], printed)
        if number:
            assert decimals_of(number) == indicator.decimals, (code, number)

    # The non-trivial decimals are those of the definitions, rounded once.
    assert values["feedback_heard"] == 3.45 and expected["feedback_heard"] == "3,45 / 5"
    assert expected["fph_granted_euros"] == "4 734,56 €"
    assert values["questions_on_time_rate"] == 33.3
    # The transparency table prints the same on-time share as the indicator (not 33,0 %).
    total, _per_qpv = pdf._transparency(scope, Q1_2026, date.today())
    row = pdf.transparency_row(total)
    with translation.override("fr"):
        assert normalised(row[3]) == expected["questions_on_time_rate"] == "33,3 %"
    assert normalised(f"{tours.name} {' '.join(row)}") in text

    # Item 5: no code identifier in what a delegate reads (the PDF, the dashboard, the report's
    # page), and no SHA-256 on that page (it stays on the record and in the audit log).
    code = re.compile(r"\b(" + "|".join(map(re.escape, INDICATORS)) + r")\b")
    assert not code.search(text), code.search(text)
    assert not code.search(" ".join(visible_lines(page)))
    detail = client.get(report.get_absolute_url()).content.decode()
    assert not code.search(" ".join(visible_lines(detail)))
    assert report.checksum and report.checksum not in detail and "SHA" not in detail


def test_rounding_is_once_and_half_up():
    assert round_half_up(3.4484, 2) == 3.45
    assert round_half_up(100 / 29, 2) == 3.45
    assert round_half_up(68.25, 1) == 68.3  # not 68.2 (binary float and banker's rounding)
    assert round_half_up(2.5, 0) == 3 and isinstance(round_half_up(2.5, 0), int)
    assert round_half_up(None, 1) is None
    with translation.override("fr"):
        heard = INDICATORS["feedback_heard"]
        assert charts.format_indicator(heard, heard.round(3.4484)) == "3,45\xa0/\xa05"
        rate = INDICATORS["questions_on_time_rate"]
        assert charts.format_indicator(rate, rate.round(68.26)) == "68,3\xa0%"


def test_the_catalogue_says_decimals_sources_and_additivity():
    for indicator in CATALOGUE:
        assert indicator.sources, indicator.code
        assert indicator.decimals == {"count": 0, "euros": 2, "percent": 1}.get(
            indicator.unit, indicator.decimals
        )
    assert not INDICATORS["residents_distinct"].additive
    assert not INDICATORS["return_rate"].additive and INDICATORS["return_rate"].explanation
    assert INDICATORS["meetings_held"].additive
    with translation.override("fr"):
        assert "1 décimale" in str(INDICATORS["questions_on_time_rate"].definition)
        assert "unité" not in str(INDICATORS["questions_on_time_rate"].definition)
