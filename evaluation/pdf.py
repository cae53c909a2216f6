"""The PDF report for the Plenary Assembly (WeasyPrint, A4, tagged PDF/UA-1), and its content.

The report is French whatever the language of the person who asked for it: it is read by the
Plenary Assembly. It loads nothing: the style is in the template, charts are SVG data URIs made by
`evaluation.charts` (the same functions as the dashboard), fonts are the system's (DejaVu Sans),
and the URL fetcher refuses every scheme but `data:`, so no text of the database can make the
worker fetch anything.

Every figure is formatted by `charts.format_value`, as on the dashboard: the tests compare the
PDF's text with `compute(...)` formatted the same way. Only aggregates appear; the highlights
quote the public "Vous avez dit, nous avons fait" records and published projects, never a resident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case, IntegerField, Max, Q, Value, When
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from evaluation import charts, targets
from evaluation.computations import (
    compute,
    compute_by_qpv,
    compute_by_qpv_and_quarter,
    compute_by_quarter,
)
from evaluation.indicators import (
    CATALOGUE,
    FAMILIES,
    FAMILY_LABELS,
    INDICATORS,
    Period,
    Scope,
    Values,
    long_date,
    report_period,
    report_scope,
)
from evaluation.models import Report, SectionKind
from participation.dates import date_format
from projects.models import InfluenceOutcome, InfluenceRecord, ParticipationLevel, Project
from questions.selectors import (
    TransparencyFigures,
    transparency_by_qpv,
    transparency_figures,
)

PARIS = ZoneInfo("Europe/Paris")
CONTRACT_NAME = "Contrat de ville 2024-2030"
TERRITORY_NAME = "Tours Métropole Val de Loire"
PORTAL_NAME = "Quartiers en dialogue"
# The transparency table's columns (received, answered, shares, delays, still open, overdue):
# shares and delays do not add up across its per-QPV rows.
TRANSPARENCY_ADDITIVE = (True, True, False, False, False, False, True, True)

# The key figures of the summary, and of each QPV's section (a shorter list).
KEY_FIGURES = (
    "meetings_held",
    "attendance_total",
    "residents_distinct",
    "share_women",
    "return_rate",
    "projects_co_construction_or_more",
    "fph_granted_euros",
    "influence_adopted",
    "questions_answered",
    "questions_delay_median",
    "feedback_heard",
    "speaking_share_residents",
)
QPV_KEY_FIGURES = (
    "meetings_held",
    "attendance_total",
    "residents_distinct",
    "return_rate",
    "influence_adopted",
    "questions_received",
)
# The side-by-side comparison of the QPV of a commune or of the metropole.
COMPARISON_CODES = (
    "meetings_held",
    "attendance_total",
    "residents_distinct",
    "return_rate",
    "projects_total",
    "influence_adopted",
    "questions_received",
    "questions_answered",
)
# Evolution by quarter: the table beside the charts, and the series of the charts.
QUARTER_CODES = (
    "meetings_held",
    "attendance_total",
    "residents_distinct",
    "questions_received",
    "feedback_heard",
    "feedback_legitimate",
    "feedback_understood",
)
QUARTER_TABLE_CODES = (
    "meetings_held",
    "attendance_total",
    "residents_distinct",
    "questions_received",
)
ATTENDANCE_SERIES = ("attendance_total", "residents_distinct")
# What a QPV section prints by quarter: its table and its attendance chart.
SECTION_QUARTER_CODES = tuple(dict.fromkeys(QUARTER_TABLE_CODES + ATTENDANCE_SERIES))
FEEDBACK_SERIES = ("feedback_heard", "feedback_legitimate", "feedback_understood")
# "Vous avez dit, nous avons fait": a few records, adopted first; projects at co-construction+.
HIGHLIGHT_RECORDS = 6
HIGHLIGHT_PROJECTS = 8
HIGHLIGHT_TEXT_LIMIT = 320

Progress = Callable[[int, str], None]
# The general rules printed before the definitions of the annex, in the PDF and in the ODT.
ANNEX_INTRO = (
    gettext_lazy(
        "A period is a pair of Paris calendar dates, both included; a period still in "
        "progress stops on the day the report was built. A scope is the metropole, a commune "
        "(its QPV) or one QPV; a meeting, a speaking turn or a feedback answer belongs to the"
        " QPV of its dialogue space. Counts of an empty scope or period are 0; averages, "
        "shares and medians with nothing to average are shown as “–” (no data)."
    ),
    gettext_lazy(
        "Each figure is rounded once, from its exact value, to the number of decimals its "
        "definition states, and printed with exactly that many everywhere (this report, the "
        "dashboard, the spreadsheets): counts without decimals, amounts in euros with their "
        "cents, percentages and delays in days with one decimal, scores out of 5 with two."
    ),
)


def _no_progress(progress: int, label: str) -> None:
    return None


@dataclass(frozen=True)
class Figure:
    code: str
    label: str
    value: str
    additive: bool = True
    explanation: str = ""


@dataclass(frozen=True)
class Column:
    """A column of a table with per-QPV rows: non-additive ones carry a mark and a legend."""

    label: str
    additive: bool = True

    def __str__(self) -> str:
        # Printed as its label where a plain string was expected (the ODT copy, older templates).
        return self.label


@dataclass(frozen=True)
class Chart:
    title: str
    uri: str
    alt: str


@dataclass
class QuarterTable:
    columns: list[str]
    rows: list[tuple[str, list[str]]]
    # The quarters clipped by the period or by the day of computation ("(partiel)" in the rows).
    partial: list[Period] = field(default_factory=list)


@dataclass
class QPVSection:
    qpv: object
    figures: list[targets.KeyFigure]
    families: list[tuple[str, list[Figure]]]
    chart: Chart
    quarters: QuarterTable
    anchor: str = ""


def format_indicator(values: Values, code: str) -> str:
    """The value of an indicator as printed in the report (and as the tests expect it)."""
    return charts.format_indicator(INDICATORS[code], values.get(code))


def figures(values: Values, codes: Iterable[str]) -> list[Figure]:
    return [
        Figure(
            code=code,
            label=str(INDICATORS[code].label),
            value=format_indicator(values, code),
            additive=INDICATORS[code].additive,
            explanation=str(INDICATORS[code].explanation),
        )
        for code in codes
        if code in INDICATORS
    ]


def columns(codes: Iterable[str]) -> list[Column]:
    return [Column(str(INDICATORS[code].label), INDICATORS[code].additive) for code in codes]


def explanations(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(label, sentence) of the indicators among `codes` that need one to be read right."""
    return [
        (str(INDICATORS[code].label), str(INDICATORS[code].explanation))
        for code in codes
        if INDICATORS[code].explanation
    ]


def by_family(values: Values) -> list[tuple[str, list[Figure]]]:
    """Every indicator of the catalogue, grouped by family, in the catalogue's order."""
    return [
        (
            str(FAMILY_LABELS[family]),
            figures(values, [i.code for i in CATALOGUE if i.family == family]),
        )
        for family in FAMILIES
    ]


def quarter_table(rows: list[tuple[Period, Values]]) -> QuarterTable:
    return QuarterTable(
        columns=[str(INDICATORS[code].label) for code in QUARTER_TABLE_CODES],
        rows=[
            (
                quarter.quarter_label,
                [format_indicator(values, code) for code in QUARTER_TABLE_CODES],
            )
            for quarter, values in rows
        ],
        partial=[quarter for quarter, _values in rows if quarter.is_partial_quarter],
    )


def quarterly_chart(title: str, rows: list[tuple[Period, Values]], codes: Iterable[str]) -> Chart:
    codes = list(codes)
    labels = [quarter.quarter_label for quarter, _values in rows]
    series = {
        str(INDICATORS[code].label): [values.get(code) for _q, values in rows] for code in codes
    }
    svg = charts.quarterly_chart(
        title, series, labels, unit=INDICATORS[codes[0]].unit, width=800, height=380
    )
    return Chart(
        title=title, uri=charts.data_uri(svg), alt=charts.text_alternative(title, series, labels)
    )


def comparison_chart(title: str, by_qpv: dict, codes: Iterable[str]) -> Chart:
    codes = list(codes)
    labels = [qpv.name for qpv in by_qpv]
    series = {
        str(INDICATORS[code].label): [values.get(code) for values in by_qpv.values()]
        for code in codes
    }
    svg = charts.comparison_chart(title, series, labels, unit=INDICATORS[codes[0]].unit, width=800)
    return Chart(
        title=title, uri=charts.data_uri(svg), alt=charts.text_alternative(title, series, labels)
    )


def _share(part: int, whole: int) -> float | int | None:
    """A share of the transparency table, rounded once from the counts exactly as the indicator
    "share of questions answered within the due date" (TransparencyFigures rounds to units)."""
    indicator = INDICATORS["questions_on_time_rate"]
    return indicator.round(100 * Decimal(part) / Decimal(whole)) if whole else None


def transparency_row(figures_: TransparencyFigures) -> list[str]:
    """Received, answered, answered %, within due date %, median and 90th percentile delays,
    still open, overdue: the columns of the Q&A transparency table."""
    return [
        charts.format_value(figures_.received, "count"),
        charts.format_value(figures_.answered, "count"),
        charts.format_value(_share(figures_.answered, figures_.received), "percent"),
        charts.format_indicator(
            INDICATORS["questions_on_time_rate"],
            _share(figures_.answered_on_time, figures_.received),
        ),
        charts.format_indicator(INDICATORS["questions_delay_median"], figures_.median_delay_days),
        charts.format_value(figures_.p90_delay_days, "days"),
        charts.format_value(figures_.still_open, "count"),
        charts.format_value(figures_.overdue, "count"),
    ]


def _transparency(scope: Scope, period: Period, today: date):
    """The scope's figures and each QPV's, with the functions of questions.selectors."""
    if scope.qpv is not None:
        total = transparency_figures(qpv=scope.qpv, start=period.start, end=period.end, today=today)
    else:
        total = transparency_figures(
            commune=scope.commune, start=period.start, end=period.end, today=today
        )
    qpvs = list(scope.qpvs())
    per_qpv = transparency_by_qpv(
        commune=scope.commune or (scope.qpv.commune if scope.qpv is not None else None),
        start=period.start,
        end=period.end,
        today=today,
        qpvs=qpvs,
    )
    return total, per_qpv


def _place(scope: Scope) -> Q:
    if scope.qpv is not None:
        return Q(qpv=scope.qpv)
    if scope.commune is not None:
        return Q(qpv__commune=scope.commune)
    return Q()


def influence_highlights(scope: Scope, period: Period) -> list[InfluenceRecord]:
    """A few records decided in the period: adopted first, then partly, then not adopted."""
    rank = Case(
        When(outcome=InfluenceOutcome.ADOPTED, then=Value(0)),
        When(outcome=InfluenceOutcome.PARTLY, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(
        InfluenceRecord.objects.filter(_place(scope), decided_on__range=(period.start, period.end))
        .select_related("qpv", "institution")
        .annotate(rank=rank)
        .order_by("rank", "-decided_on", "-pk")[:HIGHLIGHT_RECORDS]
    )


def project_highlights(scope: Scope, period: Period) -> list[Project]:
    """Published projects with a step at co-construction or above dated in the period."""
    return list(
        Project.objects.public()
        .filter(
            _place(scope),
            steps__date__range=(period.start, period.end),
            steps__participation_level__gte=ParticipationLevel.CO_CONSTRUCTION,
        )
        .annotate(level=Max("steps__participation_level"))
        .select_related("qpv")
        .order_by("-level", "title", "pk")[:HIGHLIGHT_PROJECTS]
    )


def editorial(report: Report) -> list[dict[str, str]]:
    """The published written parts, in the printed order, empty ones left out (evaluation.
    report_texts): [{"kind": "summary", "title": "Synthèse", "html": "<p>…</p>"}, …]. The HTML is
    sanitised (nh3 allow-list: p, br, strong, em, ul, ol, li, a, blockquote, code, pre)."""
    if report.pk is None:  # a report built without a record (a preview) has no written parts
        return []
    published = dict(
        report.text_sections.exclude(published_html="").values_list("kind", "published_html")
    )
    return [
        {"kind": kind, "title": str(title), "html": published[kind]}
        for kind, title in SectionKind.choices
        if kind in published
    ]


def build_context(report: Report, *, progress: Progress = _no_progress) -> dict:
    """Everything the template prints, computed step by step (with progress reports)."""
    today = timezone.localdate()
    # The period asked for, cut to today when it is in progress (the record keeps the one asked).
    scope, period = report_scope(report), report_period(report, today)
    generated_at = timezone.localtime(timezone.now(), PARIS)

    progress(5, _("Computing the indicators"))
    values = compute(scope, period, today=today)
    per_qpv = compute_by_qpv(scope, period, today=today)
    quarters = compute_by_quarter(scope, period, QUARTER_CODES, today=today)
    # Every QPV section's quarters in the queries of one call, not one call per QPV.
    quarters_by_qpv = compute_by_qpv_and_quarter(scope, period, SECTION_QUARTER_CODES, today=today)
    transparency_total, transparency_per_qpv = _transparency(scope, period, today)
    # The same period a year earlier, for the trends of the key figures (evaluation.targets).
    before = targets.previous_period(period)
    history = targets.has_history(before)
    values_before = compute(scope, before, today=today) if history else None
    per_qpv_before = compute_by_qpv(scope, before, today=today) if history else None
    comparison_text = targets.comparison_phrase(before)
    target_rows = targets.load_targets()

    sections = []
    count = len(per_qpv)
    for index, (qpv, qpv_values) in enumerate(per_qpv.items(), start=1):
        progress(
            15 + 55 * (index - 1) // max(count, 1),
            _("Section %(qpv)s (%(index)s of %(count)s)")
            % {"qpv": qpv.name, "index": index, "count": count},
        )
        qpv_quarters = quarters_by_qpv[qpv]
        sections.append(
            QPVSection(
                qpv=qpv,
                anchor=f"qpv-{qpv.slug}",
                figures=targets.key_figures(
                    QPV_KEY_FIGURES,
                    qpv_values,
                    None if per_qpv_before is None else per_qpv_before.get(qpv),
                    targets.targets_for(
                        Scope.of_qpv(qpv), period, codes=QPV_KEY_FIGURES, targets=target_rows
                    ),
                    comparison=comparison_text,
                ),
                families=by_family(qpv_values),
                chart=quarterly_chart(
                    _("Attendances by quarter — %(qpv)s") % {"qpv": qpv.name},
                    qpv_quarters,
                    ATTENDANCE_SERIES,
                ),
                quarters=quarter_table(qpv_quarters),
            )
        )

    progress(72, _("Questions and answers, highlights"))
    comparison = None
    if count > 1:
        comparison = {
            "chart": comparison_chart(
                _("Attendances and distinct residents by QPV"), per_qpv, ATTENDANCE_SERIES
            ),
            "columns": columns(COMPARISON_CODES),
            "explanations": explanations(COMPARISON_CODES),
            "rows": [
                (qpv.name, [format_indicator(v, code) for code in COMPARISON_CODES])
                for qpv, v in per_qpv.items()
            ],
        }
    return {
        "report": report,
        "editorial": editorial(report),
        "title": _("Residents' participation — %(scope)s, %(period)s")
        % {"scope": scope.label, "period": period.label},
        "contract": CONTRACT_NAME,
        "territory": TERRITORY_NAME,
        "scope": scope,
        "scope_kind": scope.kind,
        "period": period,
        "period_text": period.dates_text,
        "generated_text": _("%(day)s at %(time)s")
        % {
            "day": long_date(generated_at.date()),
            "time": date_format(generated_at, r"G \h i"),
        },
        # "Données arrêtées au 7 décembre 2026 à 23 h 10, base du portail Quartiers en dialogue".
        "data_as_of": _("Data as of %(day)s at %(time)s, database of the portal %(portal)s")
        % {
            "day": long_date(generated_at.date()),
            "time": date_format(generated_at, r"G \h i"),
            "portal": PORTAL_NAME,
        },
        "quarter_series_partial": [
            quarter for quarter, _v in quarters if quarter.is_partial_quarter
        ],
        "qpv_names": [qpv.name for qpv in per_qpv],
        "key_figures": targets.key_figures(
            KEY_FIGURES,
            values,
            values_before,
            targets.targets_for(
                scope, period, codes=KEY_FIGURES, targets=target_rows, qpv_count=len(per_qpv)
            ),
            comparison=comparison_text,
        ),
        "before_period_text": pgettext("a period of dates", "from %(start)s to %(end)s")
        % {"start": long_date(before.start), "end": long_date(before.end)},
        "families": by_family(values),
        "attendance_chart": quarterly_chart(
            _("Attendances by quarter"), quarters, ATTENDANCE_SERIES
        ),
        "feedback_chart": quarterly_chart(
            _("Feedback survey scores by quarter (1 to 5)"), quarters, FEEDBACK_SERIES
        ),
        "quarters": quarter_table(quarters),
        "feedback_rows": [
            (quarter.quarter_label, [format_indicator(v, code) for code in FEEDBACK_SERIES])
            for quarter, v in quarters
        ],
        "feedback_columns": [str(INDICATORS[code].label) for code in FEEDBACK_SERIES],
        "comparison": comparison,
        "sections": sections,
        "transparency_total": transparency_row(transparency_total),
        "transparency_rows": [
            (qpv.name, transparency_row(figures_)) for qpv, figures_ in transparency_per_qpv.items()
        ],
        "records": influence_highlights(scope, period),
        "record_counts": figures(
            values, ("influence_adopted", "influence_partly", "influence_not_adopted")
        ),
        "projects": project_highlights(scope, period),
        "projects_figure": figures(values, ["projects_co_construction_or_more"])[0],
        "text_limit": HIGHLIGHT_TEXT_LIMIT,
        "annex_intro": [str(paragraph) for paragraph in ANNEX_INTRO],
        "definitions": [
            (
                str(FAMILY_LABELS[family]),
                [indicator for indicator in CATALOGUE if indicator.family == family],
            )
            for family in FAMILIES
        ],
        "transparency_columns_additive": TRANSPARENCY_ADDITIVE,
    }


def render_report_pdf(context: dict) -> bytes:
    """The PDF of a report's context: tagged PDF/UA-1, with title and language from the HTML."""
    # Imported here: WeasyPrint is slow to import, and only the worker renders reports.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("evaluation/pdf/report.html", context)
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")


def build_report_pdf(report: Report, *, progress: Progress = _no_progress) -> bytes:
    context = build_context(report, progress=progress)
    progress(75, _("Rendering the PDF"))
    return render_report_pdf(context)
