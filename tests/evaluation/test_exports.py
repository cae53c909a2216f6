"""CSV and XLSX exports of the indicators (issue 7, item 4): one row per QPV and indicator plus
the whole scope, a definitions sheet, the `;` option with decimal commas, same permission and
validation as the dashboard."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluation import exports
from evaluation.indicators import CATALOGUE, Period, Scope
from participation.roles import Role
from qpv.models import QPV, Commune
from tests.participation.factories import UserFactory, grant

pytestmark = pytest.mark.django_db
CSV_URL = reverse("evaluation:export_csv")
XLSX_URL = reverse("evaluation:export_xlsx")
YEAR_2025 = {"scope": "commune:tours", "preset": "year-2025"}


@pytest.fixture
def referent(client):
    user = UserFactory()
    grant(user, Role.REFERENT, commune=Commune.objects.get(slug="tours"))
    client.force_login(user)
    return user


@pytest.fixture
def fake_values(monkeypatch):
    """Non-integer values, to see the decimal mark (the computations are tested elsewhere)."""

    def values(scope, period, **kwargs):
        return {
            # As computed: rounded once to the indicator's decimals (percent: 1).
            indicator.code: (45.3 if indicator.unit == "percent" else 1234)
            for indicator in CATALOGUE
        }

    def by_qpv(scope, period, **kwargs):
        return {qpv: {"share_women": 12.5} for qpv in scope.qpvs()}

    monkeypatch.setattr("evaluation.views.dashboard.compute", values)
    monkeypatch.setattr("evaluation.views.dashboard.compute_by_qpv", by_qpv)


def tours_qpvs() -> list[str]:
    return list(
        QPV.objects.filter(commune__slug="tours").order_by("name").values_list("name", flat=True)
    )


def read_csv(response, separator=","):
    content = response.content
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=separator))


def test_csv_has_one_row_per_qpv_and_indicator(client, referent):
    response = client.get(CSV_URL, YEAR_2025)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="indicateurs-commune-tours-2025-01-01-2025-12-31.csv"'
    )
    header, *rows = read_csv(response)
    assert len(header) == 12
    assert header[5] == "Code de l’indicateur (pour les logiciels)"
    assert len(rows) == (1 + len(tours_qpvs())) * len(CATALOGUE)
    pairs = {(row[3], row[5]) for row in rows}
    assert len(pairs) == len(rows)  # no duplicate (QPV, code)
    assert {row[3] for row in rows} == {"", *tours_qpvs()}
    whole = [row for row in rows if row[3] == ""]
    assert len(whole) == len(CATALOGUE)
    assert {row[0] for row in rows} == {"Tours"}
    assert {(row[1], row[2]) for row in rows} == {("2025-01-01", "2025-12-31")}
    assert {row[4] for row in rows} == {"Tours"}
    assert [row[5] for row in whole] == [indicator.code for indicator in CATALOGUE]


def test_csv_numbers_with_comma_or_semicolon(client, referent, fake_values):
    rows = read_csv(client.get(CSV_URL, YEAR_2025))[1:]
    share = next(row for row in rows if row[3] == "" and row[5] == "share_women")
    count = next(row for row in rows if row[3] == "" and row[5] == "meetings_held")
    assert (share[8], count[8]) == ("45.3", "1234")
    # The period as printed, and the note of the figures that do not add up.
    assert share[10] == "2025" and share[11] == "ne s’additionne pas entre quartiers"
    assert count[11] == ""
    sanitas = next(row for row in rows if row[3] == "Sanitas" and row[5] == "share_women")
    assert sanitas[8] == "12.5"
    missing = next(row for row in rows if row[3] == "Sanitas" and row[5] == "meetings_held")
    assert missing[8] == ""

    french = client.get(CSV_URL, {**YEAR_2025, "sep": ";"})
    rows = read_csv(french, separator=";")[1:]
    share = next(row for row in rows if row[3] == "" and row[5] == "share_women")
    assert share[8] == "45,3"
    assert len(rows[0]) == 12


def test_xlsx_has_number_cells_and_definitions(client, referent, fake_values):
    response = client.get(XLSX_URL, YEAR_2025)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_MIMETYPE
    assert response["Content-Disposition"].endswith('-2025-12-31.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Indicateurs", "Définitions", "À lire"]
    sheet = workbook["Indicateurs"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["H"].width >= 40
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == (1 + len(tours_qpvs())) * len(CATALOGUE)
    share = next(row for row in rows if row[3] is None and row[5] == "share_women")
    assert share[8] == 45.3 and isinstance(share[8], float)
    assert share[1].date() == date(2025, 1, 1)
    count = next(row for row in rows if row[3] is None and row[5] == "meetings_held")
    assert count[8] == 1234
    definitions = list(workbook["Définitions"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in definitions] == [indicator.code for indicator in CATALOGUE]
    assert all(row[3] for row in definitions)
    # Number formats by the indicator's decimals; the read-me sheet says what the figures cover.
    formats = {row[5].value: row[8].number_format for row in sheet.iter_rows(min_row=2)}
    assert formats["share_women"] == "#,##0.0" and formats["meetings_held"] == "#,##0"
    assert formats["fph_granted_euros"] == "#,##0.00" and formats["feedback_heard"] == "#,##0.00"
    read_me = list(workbook["À lire"].iter_rows(values_only=True))
    assert ("Période", "2025") in read_me


def test_xlsx_is_readable_by_libreoffice(client, referent, tmp_path):
    """LibreOffice (installed by scripts/system_deps.sh) converts the export back to CSV."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: run scripts/system_deps.sh test"
    path = tmp_path / "export.xlsx"
    path.write_bytes(client.get(XLSX_URL, YEAR_2025).content)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, double quote, UTF-8
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    converted = (tmp_path / "export.csv").read_text(encoding="utf-8")
    assert "meetings_held" in converted
    assert converted.count("\n") > len(CATALOGUE)


def test_metropole_export_names_every_qpv(client):
    user = UserFactory()
    grant(user, Role.DELEGATE)
    client.force_login(user)
    response = client.get(CSV_URL, {"preset": "year-2025"})
    assert "indicateurs-metropole-2025-01-01" in response["Content-Disposition"]
    rows = read_csv(response)[1:]
    assert len(rows) == (1 + QPV.objects.count()) * len(CATALOGUE)
    assert {row[4] for row in rows if row[3] == ""} == {""}


def test_invalid_period_is_a_400_in_french_text(client, referent):
    response = client.get(
        XLSX_URL, {"preset": "custom", "start": "2025-05-01", "end": "2024-01-01"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "The end of the period" in text or "La fin de la période" in text
    assert client.get(CSV_URL, {"scope": "commune:joue-les-tours"}).status_code == 400


def test_build_csv_rows_directly():
    scope = Scope.of_qpv(QPV.objects.select_related("commune").get(slug="sanitas"))
    period = Period.year(2025)
    rows = exports.indicator_rows(
        scope, period, {"share_women": 0.5}, {scope.qpv: {"share_women": 33.333333}}
    )
    assert len(rows) == 2 * len(CATALOGUE)
    text = exports.build_csv(rows, separator=";").decode("utf-8-sig")
    # Exactly the indicator's decimals (share_women: 1).
    assert ";0,5;" in text and ";33,3;" in text and "33,33" not in text
    assert exports.filename("qpv:sanitas", period, "csv") == (
        "indicateurs-qpv-sanitas-2025-01-01-2025-12-31.csv"
    )
