"""The indicators dashboard of sheet T1.1 and its CSV / XLSX exports (espace pro).

Delegates, referents and coordinators read the indicators of their scope
(`evaluation.view_indicators`); everyone else gets a 403, visitors are sent to log in. The scope and
period come from `ScopePeriodForm` (GET): an invalid period or a scope outside the user's choices is
a form error answered with a 400, never a 500. Only aggregates are shown: no resident's name or
address ever reaches these pages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from evaluation import charts, exports, targets
from evaluation.computations import compute, compute_by_qpv, compute_by_quarter
from evaluation.forms import CUSTOM, ScopePeriodForm, scope_value
from evaluation.indicators import FAMILIES, FAMILY_LABELS, INDICATORS, Indicator, Period, Scope
from evaluation.pdf import QPV_KEY_FIGURES
from participation.datacache import version, versioned

# The headline figures, as tiles at the top of the page.
KEY_CODES = (
    "meetings_held",
    "attendance_total",
    "residents_distinct",
    "share_women",
    "return_rate",
    "projects_total",
    "influence_adopted",
    "questions_received",
    "questions_on_time_rate",
    "questions_delay_median",
    "feedback_heard",
    "speaking_share_residents",
)
# The evolution charts: (title, codes drawn together, shared unit).
CHARTS: tuple[tuple[Promise, Sequence[str], str], ...] = (
    (gettext_lazy("Meetings"), ("meetings_held", "meetings_cancelled"), "count"),
    (
        gettext_lazy("Attendance"),
        ("attendance_total", "residents_distinct", "walk_ins"),
        "count",
    ),
    (
        gettext_lazy("Questions to institutions"),
        ("questions_received", "questions_answered", "questions_answered_on_time"),
        "count",
    ),
    (
        gettext_lazy("Feedback of participants (average, 1 to 5)"),
        ("feedback_heard", "feedback_legitimate", "feedback_understood"),
        "score",
    ),
)
# The columns of the QPV comparison table, and the bars of its chart.
COMPARISON_CODES = (
    "meetings_held",
    "attendance_total",
    "residents_distinct",
    "share_women",
    "questions_received",
    "questions_on_time_rate",
    "feedback_heard",
    "projects_total",
    "fph_grants",
)
COMPARISON_CHART_CODES = ("attendance_total", "residents_distinct")
# The catalogue of a scope and a period is computed once per data version: the dashboard and its
# exports read it from the shared cache until the next database write (participation.datacache),
# or at most this long.
CATALOGUE_CACHE_SECONDS = 600


def _catalogue(kind: str, scope: Scope, period: Period, compute_values, *extra):
    """`compute_values()` (the whole catalogue, by QPV or by quarter), cached until the next write.

    The key holds everything the result depends on: the scope, the period, today's date (periods
    end today, questions become overdue) and the extra arguments (the codes by quarter).
    """
    parts = (kind, scope_value(scope), period.start, period.end, timezone.localdate(), *extra)
    return versioned("indicators", parts, compute_values, timeout=CATALOGUE_CACHE_SECONDS)


@dataclass
class Figure:
    indicator: Indicator
    value: float | int | None
    display: str


@dataclass
class Chart:
    title: str
    uri: str
    alt: str
    series: list[str]
    rows: list[tuple[str, list[str]]] = field(default_factory=list)
    partial: list[Period] = field(default_factory=list)  # quarters cut by the period or today


def _available(codes) -> list[str]:
    # The catalogue may still be growing: show what it has rather than fail.
    return [code for code in codes if code in INDICATORS]


def _figure(code: str, value) -> Figure:
    indicator = INDICATORS[code]
    return Figure(indicator, value, charts.format_indicator(indicator, value))


def _form_or_403(request: HttpRequest) -> ScopePeriodForm:
    form = ScopePeriodForm(request.GET, user=request.user)
    if not form.has_scopes:
        raise PermissionDenied
    return form


def _query(form: ScopePeriodForm) -> str:
    """The query string of the validated filter, for the export and report links."""
    data = form.cleaned_data
    params = {"scope": data["scope"], "preset": data["preset"]}
    if data["preset"] == CUSTOM:
        params |= {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
    return urlencode(params)


def _evolution_charts(scope: Scope, period: Period) -> list[Chart]:
    codes = sorted({code for _title, group, _unit in CHARTS for code in _available(group)})
    by_quarter = _catalogue(
        "by_quarter", scope, period, lambda: compute_by_quarter(scope, period, codes), tuple(codes)
    )
    # "4e trimestre 2026 (partiel)" for a quarter cut by the period or by today, in the chart
    # and in its table (with the dates it covers under the table).
    labels = [quarter.quarter_label for quarter, _values in by_quarter]
    partial_quarters = [quarter for quarter, _values in by_quarter if quarter.is_partial_quarter]
    result = []
    for lazy_title, group, unit in CHARTS:
        group = _available(group)
        if not group:
            continue
        title = str(lazy_title)
        series = {
            str(INDICATORS[code].label): [values.get(code) for _q, values in by_quarter]
            for code in group
        }
        svg = charts.quarterly_chart(title, series, labels, unit=unit)
        rows = [
            (label, [charts.format_indicator(INDICATORS[code], values.get(code)) for code in group])
            for label, (_q, values) in zip(labels, by_quarter, strict=True)
        ]
        result.append(
            Chart(
                title=title,
                uri=charts.data_uri(svg),
                alt=charts.text_alternative(title, series, labels),
                series=list(series),
                rows=rows,
                partial=partial_quarters,
            )
        )
    return result


def _comparison(by_qpv: dict) -> dict:
    codes = _available(COMPARISON_CODES)
    rows = [
        {"qpv": qpv, "figures": [_figure(code, values.get(code)) for code in codes]}
        for qpv, values in by_qpv.items()
    ]
    chart = None
    chart_codes = _available(COMPARISON_CHART_CODES)
    if len(by_qpv) > 1 and chart_codes:
        title = _("Attendance by QPV")
        names = [qpv.name for qpv in by_qpv]
        series = {
            str(INDICATORS[code].label): [values.get(code) for values in by_qpv.values()]
            for code in chart_codes
        }
        chart = Chart(
            title=title,
            uri=charts.data_uri(charts.comparison_chart(title, series, names)),
            alt=charts.text_alternative(title, series, names),
            series=list(series),
        )
    indicators = [INDICATORS[code] for code in codes]
    return {
        "indicators": indicators,
        "rows": rows,
        "chart": chart,
        "not_additive": any(not indicator.additive for indicator in indicators),
        "explanations": [indicator for indicator in indicators if indicator.explanation],
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _form_or_403(request)
    if not form.is_valid():
        return render(request, "evaluation/dashboard.html", {"form": form}, status=400)
    scope, period = form.cleaned_scope_period()
    # A period in progress stops today, and its label says so (the form keeps the one asked for).
    period = period.cut_to(form.today)
    language = get_language()
    data_version = version()

    def families() -> list[dict]:
        values = _catalogue("values", scope, period, lambda: compute(scope, period))
        return [
            {
                "code": family,
                "label": FAMILY_LABELS[family],
                "figures": [
                    _figure(indicator.code, values.get(indicator.code))
                    for indicator in INDICATORS.values()
                    if indicator.family == family
                ],
            }
            for family in FAMILIES
        ]

    def tiles() -> list[Figure]:
        values = _catalogue("values", scope, period, lambda: compute(scope, period))
        return [_figure(code, values.get(code)) for code in _available(KEY_CODES)]

    def key_figures() -> dict:
        # The key figures with their targets and the same period a year earlier (issue 19): one
        # more catalogue per scope (the earlier period), one query for the targets.
        before = targets.previous_period(period)
        history = targets.has_history(before)
        comparison = targets.comparison_phrase(before)
        values = _catalogue("values", scope, period, lambda: compute(scope, period))
        values_before = (
            _catalogue("values", scope, before, lambda: compute(scope, before)) if history else None
        )
        rows = targets.load_targets()
        by_qpv: list = []
        if scope.qpv is None:
            per_qpv = _catalogue("by_qpv", scope, period, lambda: compute_by_qpv(scope, period))
            per_qpv_before = (
                _catalogue("by_qpv", scope, before, lambda: compute_by_qpv(scope, before))
                if history
                else None
            )
            by_qpv = targets.qpv_key_figures(
                QPV_KEY_FIGURES, period, per_qpv, per_qpv_before, rows, comparison=comparison
            )
        scope_targets = targets.targets_for(
            scope,
            period,
            codes=KEY_CODES,
            targets=rows,
            qpv_count=len(by_qpv) if scope.qpv is None else 1,
        )
        return {
            "scope": targets.key_figures(
                _available(KEY_CODES), values, values_before, scope_targets, comparison=comparison
            ),
            "by_qpv": by_qpv,
            "qpv_codes": [INDICATORS[code] for code in _available(QPV_KEY_FIGURES)],
            "before": before,
            "history": history,
        }

    context = {
        "form": form,
        "scope": scope,
        "period": period,
        "query": _query(form),
        # The figures, charts and tables are the same for everyone who reads this scope and period:
        # the template keeps their HTML in the cache under this key (data version, scope, period,
        # today, language), and the values below are only fetched when it is not there.
        "figures_key": ":".join(
            str(part)
            for part in (
                data_version,
                scope_value(scope),
                period.start,
                period.end,
                timezone.localdate(),
                language,
            )
        ),
        "figures_cache_seconds": CATALOGUE_CACHE_SECONDS,
        # The filter form's HTML (two long selects, a template per option) depends on the scopes
        # this user may choose, the values chosen, the day (the period presets) and the language.
        "filters_key": hashlib.sha256(
            repr(
                (
                    data_version,
                    tuple(form.scopes),
                    sorted(request.GET.lists()),
                    form.today,
                    language,
                )
            ).encode()
        ).hexdigest(),
        "tiles": SimpleLazyObject(tiles),
        "key_figures": SimpleLazyObject(key_figures),
        "families": SimpleLazyObject(families),
        # The charts (SVG drawn by pygal) and their labels depend on the language too.
        "charts": SimpleLazyObject(
            lambda: _catalogue(
                "charts", scope, period, lambda: _evolution_charts(scope, period), language
            )
        ),
        "comparison": SimpleLazyObject(
            lambda: _catalogue(
                "comparison",
                scope,
                period,
                lambda: _comparison(
                    _catalogue("by_qpv", scope, period, lambda: compute_by_qpv(scope, period))
                ),
                language,
            )
        ),
    }
    return render(request, "evaluation/dashboard.html", context)


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    form = _form_or_403(request)
    if not form.is_valid():
        messages = [
            _("%(label)s: %(message)s")
            % {"label": form.fields[name].label if name in form.fields else "", "message": error}
            for name, errors in form.errors.items()
            for error in errors
        ]
        body = _("The export could not be made:") + "\n" + "\n".join(messages) + "\n"
        return HttpResponse(body, status=400, content_type="text/plain; charset=utf-8")
    scope, period = form.cleaned_scope_period()
    period = period.cut_to(form.today)
    rows = exports.indicator_rows(
        scope,
        period,
        _catalogue("values", scope, period, lambda: compute(scope, period)),
        _catalogue("by_qpv", scope, period, lambda: compute_by_qpv(scope, period)),
    )
    name = exports.filename(scope_value(scope), period, kind)
    if kind == "csv":
        separator = ";" if request.GET.get("sep") == ";" else ","
        content, mimetype = exports.build_csv(rows, separator=separator), "text/csv; charset=utf-8"
    else:
        content, mimetype = exports.build_xlsx(rows), exports.XLSX_MIMETYPE
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    return _export(request, "xlsx")
