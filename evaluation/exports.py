"""CSV and XLSX exports of the indicator table: one row per QPV and indicator, plus the whole scope.

Values are numbers, never formatted text: a spreadsheet must be able to add them up. The CSV is
UTF-8 with a byte order mark (Excel needs it to read accents); with `;` as separator, decimals take
a comma, as French spreadsheets expect. The XLSX has real number cells and a definitions sheet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from evaluation.indicators import CATALOGUE, FAMILY_LABELS, Indicator, Period, Scope

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_LABELS = {
    "count": gettext_lazy("number"),
    "percent": "%",
    "days": gettext_lazy("days"),
    "score": gettext_lazy("score (1 to 5)"),
    "euros": "€",
    "ratio": gettext_lazy("ratio"),
}
# Excel number formats by unit (the decimal mark follows the reader's locale).
NUMBER_FORMATS = {
    "count": "#,##0",
    "euros": "#,##0",
    "percent": "0.0",
    "days": "0.0",
    "score": "0.00",
    "ratio": "0.00",
}


@dataclass(frozen=True)
class ExportRow:
    scope: str
    start: date
    end: date
    qpv: str  # empty for the whole scope
    commune: str
    indicator: Indicator
    value: float | int | None


def headers() -> list[str]:
    return [
        _("Scope"),
        _("Period start"),
        _("Period end"),
        _("QPV"),
        _("Commune"),
        _("Indicator code"),
        _("Family"),
        _("Indicator"),
        _("Value"),
        _("Unit"),
    ]


def indicator_rows(scope: Scope, period: Period, totals: dict, by_qpv: dict) -> list[ExportRow]:
    """The whole scope first (QPV empty), then each QPV of the scope, in catalogue order."""
    scope_commune = scope.commune or (scope.qpv.commune if scope.qpv is not None else None)
    places = [("", scope_commune.name if scope_commune else "", totals)]
    places += [(qpv.name, qpv.commune.name, values) for qpv, values in by_qpv.items()]
    return [
        ExportRow(
            scope=scope.label,
            start=period.start,
            end=period.end,
            qpv=qpv_name,
            commune=commune_name,
            indicator=indicator,
            value=values.get(indicator.code),
        )
        for qpv_name, commune_name, values in places
        for indicator in CATALOGUE
    ]


def filename(scope_value: str, period: Period, extension: str) -> str:
    scope_part = scope_value.replace(":", "-")
    return (
        f"indicateurs-{scope_part}-{period.start.isoformat()}-{period.end.isoformat()}.{extension}"
    )


def _csv_number(value: float | int | None, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if decimal_comma else text


def build_csv(rows: list[ExportRow], *, separator: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(headers())
    decimal_comma = separator == ";"
    for row in rows:
        writer.writerow(
            [
                row.scope,
                row.start.isoformat(),
                row.end.isoformat(),
                row.qpv,
                row.commune,
                row.indicator.code,
                str(FAMILY_LABELS[row.indicator.family]),
                str(row.indicator.label),
                _csv_number(row.value, decimal_comma),
                str(UNIT_LABELS[row.indicator.unit]),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _header(sheet, titles: list[str], widths: list[int]) -> None:
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def build_xlsx(rows: list[ExportRow]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Indicateurs"
    _header(sheet, headers(), [28, 13, 13, 28, 22, 32, 24, 60, 14, 16])
    for row in rows:
        sheet.append(
            [
                row.scope,
                row.start,
                row.end,
                row.qpv,
                row.commune,
                row.indicator.code,
                str(FAMILY_LABELS[row.indicator.family]),
                str(row.indicator.label),
                row.value,
                str(UNIT_LABELS[row.indicator.unit]),
            ]
        )
        line = sheet.max_row
        sheet.cell(line, 2).number_format = "yyyy-mm-dd"
        sheet.cell(line, 3).number_format = "yyyy-mm-dd"
        sheet.cell(line, 9).number_format = NUMBER_FORMATS[row.indicator.unit]
    sheet.auto_filter.ref = sheet.dimensions

    definitions = workbook.create_sheet("Définitions")
    _header(
        definitions,
        [_("Code"), _("Family"), _("Indicator"), _("Definition"), _("Unit")],
        [32, 24, 60, 100, 16],
    )
    for indicator in CATALOGUE:
        definitions.append(
            [
                indicator.code,
                str(FAMILY_LABELS[indicator.family]),
                str(indicator.label),
                str(indicator.definition),
                str(UNIT_LABELS[indicator.unit]),
            ]
        )
        definitions.cell(definitions.max_row, 4).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
