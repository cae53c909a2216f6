"""CSV and XLSX exports of the indicator table: one row per QPV and indicator, plus the whole scope.

Values are numbers, never formatted text: a spreadsheet must be able to add them up. Each is the
indicator's value as computed (rounded once to its definition's decimals) and written with exactly
those decimals, as on the dashboard and in the PDF. The CSV is UTF-8 with a byte order mark (Excel
needs it to read accents); with `;` as separator, decimals take a comma, as French spreadsheets
expect. Each row also gives the period as printed ("2026, au 7 décembre 2026 (année en cours)" for a
period in progress) and a note for the figures that do not add up across neighbourhoods. The XLSX
has real number cells formatted with the indicator's decimals, a "read me" sheet and a definitions
sheet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from evaluation.indicators import (
    CATALOGUE,
    FAMILY_LABELS,
    NOT_ADDITIVE_NOTE,
    Indicator,
    Period,
    Scope,
    long_date,
)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_LABELS = {
    "count": gettext_lazy("number"),
    "percent": "%",
    "days": gettext_lazy("days"),
    "score": gettext_lazy("score (1 to 5)"),
    "euros": "€",
    "ratio": gettext_lazy("ratio"),
}


def number_format_of(indicator: Indicator) -> str:
    """The Excel number format of an indicator: its decimals, no more, no fewer (the decimal
    mark follows the reader's locale)."""
    return "#,##0" + ("." + "0" * indicator.decimals if indicator.decimals else "")


def note_of(indicator: Indicator) -> str:
    """The note column: "does not add up across neighbourhoods", and the explanation if any."""
    parts = []
    if not indicator.additive:
        parts.append(_(NOT_ADDITIVE_NOTE))
    if indicator.explanation:
        parts.append(str(indicator.explanation))
    return " ; ".join(parts) if parts else ""


@dataclass(frozen=True)
class ExportRow:
    scope: str
    start: date
    end: date
    qpv: str  # empty for the whole scope
    commune: str
    indicator: Indicator
    value: float | int | None
    period_label: str = ""


def headers() -> list[str]:
    return [
        _("Scope"),
        _("Period start"),
        _("Period end"),
        _("QPV"),
        _("Commune"),
        _("Indicator code (for software)"),
        _("Family"),
        _("Indicator"),
        _("Value"),
        _("Unit"),
        _("Period as printed"),
        _("Note"),
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
            period_label=period.label,
        )
        for qpv_name, commune_name, values in places
        for indicator in CATALOGUE
    ]


def filename(scope_value: str, period: Period, extension: str) -> str:
    scope_part = scope_value.replace(":", "-")
    return (
        f"indicateurs-{scope_part}-{period.start.isoformat()}-{period.end.isoformat()}.{extension}"
    )


def _csv_number(value: float | int | None, decimals: int, decimal_comma: bool) -> str:
    """The value with exactly `decimals` decimals, no grouping ("1234,56" with a comma)."""
    if value is None:
        return ""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{exact:f}"
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
                _csv_number(row.value, row.indicator.decimals, decimal_comma),
                str(UNIT_LABELS[row.indicator.unit]),
                row.period_label,
                note_of(row.indicator),
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
    _header(sheet, headers(), [28, 13, 13, 28, 22, 32, 24, 60, 14, 16, 36, 60])
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
                row.period_label,
                note_of(row.indicator),
            ]
        )
        line = sheet.max_row
        sheet.cell(line, 2).number_format = "yyyy-mm-dd"
        sheet.cell(line, 3).number_format = "yyyy-mm-dd"
        sheet.cell(line, 9).number_format = number_format_of(row.indicator)
    sheet.auto_filter.ref = sheet.dimensions

    definitions = workbook.create_sheet("Définitions")
    _header(
        definitions,
        [
            _("Indicator code (for software)"),
            _("Family"),
            _("Indicator"),
            _("Definition"),
            _("Unit"),
            _("Decimals"),
            _("Sources"),
            _("Note"),
        ],
        [32, 24, 60, 100, 16, 10, 40, 60],
    )
    for indicator in CATALOGUE:
        definitions.append(
            [
                indicator.code,
                str(FAMILY_LABELS[indicator.family]),
                str(indicator.label),
                str(indicator.definition),
                str(UNIT_LABELS[indicator.unit]),
                indicator.decimals,
                str(indicator.sources),
                note_of(indicator),
            ]
        )
        definitions.cell(definitions.max_row, 4).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    _read_me(workbook, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _read_me(workbook: Workbook, rows: list[ExportRow]) -> None:
    """A first sheet saying what the figures cover: territory, period (cut to the day of the
    export when in progress), when they were computed, the rounding rule and the notes."""
    sheet = workbook.create_sheet("À lire")
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 100
    first = rows[0] if rows else None
    lines = [
        (_("Territory"), first.scope if first else ""),
        (_("Period"), first.period_label if first else ""),
        (
            _("Dates"),
            _("%(start)s to %(end)s, both included")
            % {"start": long_date(first.start), "end": long_date(first.end)}
            if first
            else "",
        ),
        (
            _("Data as of"),
            _("%(day)s, database of the portal Quartiers en dialogue")
            % {"day": long_date(timezone.localdate())},
        ),
        (
            _("Rounding"),
            _(
                "Each value is rounded once from its exact value to the decimals of its "
                "definition (sheet “Définitions”): counts without decimals, amounts in euros "
                "with their cents, percentages and delays in days with one decimal, scores out "
                "of 5 with two."
            ),
        ),
        (
            _("Note"),
            _(
                "Figures marked “does not add up across neighbourhoods” (distinct people, "
                "shares, averages, medians): the figure of a territory is not the sum of its "
                "neighbourhoods'."
            ),
        ),
    ]
    for title, text in lines:
        sheet.append([title, text])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
