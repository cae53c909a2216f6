"""Targets and trends of the key figures (issue 19): what the dashboard, the PDF and the ODT show.

The rules, as the coordinator's page explains them:

- A target is a yearly value of one indicator, "at least" (≥) or "at most" (≤). It is set for the
  whole contract (every year 2024-2030) or for one year; a year's target replaces the contract's
  target for that year.
- It applies to **each QPV** (the default) or to **the whole metropole**. For a QPV, the per-QPV
  target is the target. For a commune or the metropole it is derived from the per-QPV target:
  counts and euros add up (the per-QPV target × the number of QPV of the scope), rates, scores,
  delays and ratios do not (the same value). A metropole target, when there is one, replaces the
  derived one for the metropole only (use it for the non-additive counts such as distinct residents).
- A period that is not a whole calendar year gets a pro-rated target for counts and euros: the
  yearly target × the period's days in each year / the days of that year (a period across years
  sums its pieces, each with its own year's target). Rates and the like keep their value (an average
  weighted by days when the years' targets differ). The pages say when a target is pro-rated.
- The trend compares a figure with the same period one year earlier (the dates shifted by a year):
  a relative change for counts, euros, delays and scores, a difference in points for percentages.
  When a side has no value, or the earlier period lies wholly before the contract (no data was
  kept), there is no comparison.

Reads only: one query for the targets (`load_targets`), none per figure. Values are formatted by
`charts.format_value`, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from evaluation import charts
from evaluation.indicators import CONTRACT_START, INDICATORS, Period, Scope, Values
from evaluation.models import IndicatorTarget, TargetDirection, TargetLevel

# Units whose yearly targets add up over QPV and are pro-rated over a shorter period.
ADDITIVE_UNITS = ("count", "euros")
SIGNS = {TargetDirection.AT_LEAST: "≥", TargetDirection.AT_MOST: "≤"}
UP, DOWN, SAME, NONE = "up", "down", "same", "none"
ARROWS = {UP: "▲", DOWN: "▼", SAME: "=", NONE: ""}


@dataclass(frozen=True)
class Target:
    """The target of one indicator for a scope and a period, and how it was obtained."""

    code: str
    direction: str  # TargetDirection: "gte" or "lte"
    value: float  # for this scope and this period (pro-rated, derived)
    text: str  # "≥ 28", formatted like the indicator
    sources: list[str]  # the targets set, in words: "≥ 10 per QPV and per year (whole contract)"
    notes: list[str] = field(default_factory=list)  # "× 3 QPV", "pro-rated to the period…"
    prorated: bool = False
    derived: bool = False  # from the per-QPV target (× the number of QPV, or the same rate)

    @property
    def sign(self) -> str:
        return SIGNS[TargetDirection(self.direction)]


@dataclass(frozen=True)
class TargetProgress:
    reached: bool | None  # None: no value to compare
    ratio: float | None  # value / target, for "at least" counts and euros
    status: str  # "reached", "not reached", "no data"
    detail: str  # "8 of 10, 80 %", or ""

    @property
    def text(self) -> str:
        return f"{self.status} ({self.detail})" if self.detail else self.status


@dataclass(frozen=True)
class Trend:
    """The change of a figure since the same period a year earlier: arrow AND words."""

    code: str
    now: float | None
    before: float | None
    before_display: str  # the earlier value, formatted ("–" when none)
    change: str  # UP, DOWN, SAME or NONE (no comparison)
    text: str  # "up 12 % compared with 2025 (41)"

    @property
    def arrow(self) -> str:
        return ARROWS[self.change]

    @property
    def comparable(self) -> bool:
        return self.change != NONE


@dataclass(frozen=True)
class KeyFigure:
    """A key figure as the dashboard, the PDF and the ODT print it."""

    code: str
    label: str
    value: str  # formatted (charts.format_value)
    raw: float | int | None
    unit: str
    target: Target | None
    progress: TargetProgress | None
    trend: Trend
    # The sentence of an indicator whose value looks paradoxical by construction (return rate).
    explanation: str = ""


# ---- Periods ----------------------------------------------------------------------------------


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def previous_period(period: Period) -> Period:
    """The same dates one year earlier."""
    return Period(_year_earlier(period.start), _year_earlier(period.end))


def has_history(before: Period) -> bool:
    """Whether the earlier period can hold data: the portal keeps none from before the contract."""
    return before.end >= CONTRACT_START


def comparison_phrase(before: Period) -> str:
    """ "compared with 2025", "compared with Q3 2025", "compared with the same period of 2025"."""
    if before.is_year:
        return _("compared with %(period)s") % {"period": before.label}
    if before.is_quarter:
        # The quarter's label is "3e trimestre 2025": "par rapport au 3e trimestre 2025".
        return _("compared with the %(quarter)s") % {"quarter": before.label}
    if before.start.year == before.end.year:
        return _("compared with the same period of %(year)s") % {"year": before.start.year}
    return _("compared with the same period a year earlier")


def _year_segments(period: Period) -> list[tuple[int, int, int]]:
    """(year, days of the period in that year, days of that year), in order."""
    segments = []
    for year in range(period.start.year, period.end.year + 1):
        first, last = date(year, 1, 1), date(year, 12, 31)
        start, end = max(first, period.start), min(last, period.end)
        segments.append((year, (end - start).days + 1, (last - first).days + 1))
    return segments


# ---- Targets ----------------------------------------------------------------------------------


def load_targets() -> list[IndicatorTarget]:
    """Every target (a small table: one row per indicator, level and year at most)."""
    return list(IndicatorTarget.objects.all())


def format_target(value: float, unit: str, direction: str) -> str:
    return f"{SIGNS[TargetDirection(direction)]} {charts.format_value(value, unit)}"


def describe(target: IndicatorTarget) -> str:
    """A target as set, in words: "≥ 10 per QPV and per year (whole contract)"."""
    unit = INDICATORS[target.code].unit if target.code in INDICATORS else "count"
    additive = unit in ADDITIVE_UNITS
    values = {"target": format_target(float(target.value), unit, target.direction)}
    if target.year is not None:
        values["year"] = str(target.year)
    if target.level == TargetLevel.METROPOLE:
        if target.year is None:
            if additive:
                return _("%(target)s per year for the metropole (whole contract)") % values
            return _("%(target)s for the metropole (whole contract)") % values
        return _("%(target)s for the metropole in %(year)s") % values
    if target.year is None:
        if additive:
            return _("%(target)s per QPV and per year (whole contract)") % values
        return _("%(target)s in each QPV (whole contract)") % values
    if additive:
        return _("%(target)s per QPV in %(year)s") % values
    return _("%(target)s in each QPV in %(year)s") % values


def _resolve(
    code: str,
    scope: Scope,
    period: Period,
    by_key: Mapping[tuple[str, str, int | None], IndicatorTarget],
    qpv_count: int,
) -> Target | None:
    unit = INDICATORS[code].unit
    additive = unit in ADDITIVE_UNITS
    total = weighted = 0.0
    days = 0
    chosen_targets: dict[int, IndicatorTarget] = {}
    prorated = derived = False
    direction = TargetDirection.AT_LEAST.value
    for year, segment_days, year_days in _year_segments(period):
        chosen = None
        if scope.kind == "metropole":
            chosen = by_key.get((code, TargetLevel.METROPOLE, year)) or by_key.get(
                (code, TargetLevel.METROPOLE, None)
            )
        multiplier = 1
        if chosen is None:
            chosen = by_key.get((code, TargetLevel.EACH_QPV, year)) or by_key.get(
                (code, TargetLevel.EACH_QPV, None)
            )
            if chosen is not None and scope.qpv is None:
                derived = True
                multiplier = qpv_count if additive else 1
        if chosen is None:
            return None  # a year of the period without a target: no target for the period
        value = float(chosen.value)
        if additive:
            total += value * multiplier * segment_days / year_days
            prorated = prorated or segment_days != year_days
        weighted += value * segment_days
        days += segment_days
        chosen_targets[chosen.pk] = chosen
        direction = chosen.direction
    # Counts and euros are printed without decimals: their target is compared as printed.
    target_value = float(round(total)) if additive else weighted / days
    notes = []
    if derived and additive:
        notes.append(
            ngettext(
                "The per-QPV target × %(count)s QPV.",
                "The per-QPV target × %(count)s QPV.",
                qpv_count,
            )
            % {"count": qpv_count}
        )
    elif derived:
        notes.append(_("The per-QPV target applies to the territory as a whole."))
    if prorated:
        notes.append(
            ngettext(
                "Yearly target pro-rated to the %(days)s day of the period.",
                "Yearly target pro-rated to the %(days)s days of the period.",
                period.days,
            )
            % {"days": period.days}
        )
    return Target(
        code=code,
        direction=direction,
        value=target_value,
        text=format_target(target_value, unit, direction),
        sources=[describe(target) for target in chosen_targets.values()],
        notes=notes,
        prorated=prorated,
        derived=derived,
    )


def targets_for(
    scope: Scope,
    period: Period,
    *,
    codes: Iterable[str] | None = None,
    targets: Sequence[IndicatorTarget] | None = None,
    qpv_count: int | None = None,
) -> dict[str, Target]:
    """The target of each indicator (of `codes`, or every one that has targets) for a scope and a
    period; indicators without a target for every year of the period are left out.

    `targets` (from `load_targets`) and `qpv_count` (the number of QPV of the scope) spare the
    queries when the caller already has them (the QPV sections of the PDF).
    """
    rows = load_targets() if targets is None else targets
    by_key = {(row.code, row.level, row.year): row for row in rows}
    wanted = list(codes) if codes is not None else sorted({row.code for row in rows})
    if scope.qpv is not None:
        qpv_count = 1
    elif qpv_count is None:
        qpv_count = scope.qpvs().count()
    result = {}
    for code in wanted:
        if code not in INDICATORS:
            continue
        target = _resolve(code, scope, period, by_key, qpv_count)
        if target is not None:
            result[code] = target
    return result


def _percent_text(ratio: float) -> str:
    return (
        number_format(round(100 * ratio), decimal_pos=0, force_grouping=True)
        + "\N{NO-BREAK SPACE}%"
    )


def progress(value: float | int | None, target: Target) -> TargetProgress:
    """Where a value stands against its target: reached or not, and "8 of 10, 80 %" for counts."""
    if value is None:
        return TargetProgress(reached=None, ratio=None, status=_("no data"), detail="")
    unit = INDICATORS[target.code].unit
    at_most = target.direction == TargetDirection.AT_MOST
    reached = value <= target.value if at_most else value >= target.value
    status = _("reached") if reached else _("not reached")
    ratio, detail = None, ""
    if target.direction == TargetDirection.AT_LEAST and unit in ADDITIVE_UNITS and target.value > 0:
        ratio = value / target.value
        detail = _("%(value)s of %(target)s, %(percent)s") % {
            "value": charts.format_value(value, unit),
            "target": charts.format_value(target.value, unit),
            "percent": _percent_text(ratio),
        }
    return TargetProgress(reached=reached, ratio=ratio, status=status, detail=detail)


# ---- Trends -----------------------------------------------------------------------------------


def trend(
    values_now: Values | None,
    values_before: Values | None,
    code: str,
    *,
    comparison: str | None = None,
) -> Trend:
    """The change of `code` between two periods; `values_before` None: no comparison.

    `comparison` is the phrase naming the earlier period (`comparison_phrase`).
    """
    unit = INDICATORS[code].unit
    comparison = comparison or _("compared with the same period a year earlier")
    now = None if values_now is None else values_now.get(code)
    before = None if values_before is None else values_before.get(code)
    before_display = charts.format_value(before, unit)
    if now is None or before is None:
        return Trend(
            code,
            now,
            before,
            before_display,
            NONE,
            _("no comparison (no data a year earlier)")
            if now is not None
            else _("no comparison (no data)"),
        )
    values = {"comparison": comparison, "before": before_display}
    if unit == "percent":
        points = round(float(now) - float(before), 1)
        if points == 0:
            return Trend(
                code,
                now,
                before,
                before_display,
                SAME,
                _("stable %(comparison)s (%(before)s)") % values,
            )
        values["points"] = number_format(abs(points), decimal_pos=1, force_grouping=True)
        change = UP if points > 0 else DOWN
        if change == UP:
            text = ngettext(
                "up %(points)s point %(comparison)s (%(before)s)",
                "up %(points)s points %(comparison)s (%(before)s)",
                int(abs(points)),
            )
        else:
            text = ngettext(
                "down %(points)s point %(comparison)s (%(before)s)",
                "down %(points)s points %(comparison)s (%(before)s)",
                int(abs(points)),
            )
        return Trend(code, now, before, before_display, change, text % values)
    if before == 0:
        if now == 0:
            return Trend(
                code,
                now,
                before,
                before_display,
                SAME,
                _("stable %(comparison)s (%(before)s)") % values,
            )
        change = UP if now > 0 else DOWN
        text = (
            _("up %(comparison)s (%(before)s)")
            if change == UP
            else _("down %(comparison)s (%(before)s)")
        )
        return Trend(code, now, before, before_display, change, text % values)
    relative = round(100 * (float(now) - float(before)) / abs(float(before)))
    if relative == 0:
        return Trend(
            code,
            now,
            before,
            before_display,
            SAME,
            _("stable %(comparison)s (%(before)s)") % values,
        )
    values["percent"] = _percent_text(abs(relative) / 100)
    if relative > 0:
        return Trend(
            code,
            now,
            before,
            before_display,
            UP,
            _("up %(percent)s %(comparison)s (%(before)s)") % values,
        )
    return Trend(
        code,
        now,
        before,
        before_display,
        DOWN,
        _("down %(percent)s %(comparison)s (%(before)s)") % values,
    )


# ---- Key figures ------------------------------------------------------------------------------


def key_figures(
    codes: Iterable[str],
    values: Values,
    values_before: Values | None,
    targets: Mapping[str, Target],
    *,
    comparison: str | None = None,
) -> list[KeyFigure]:
    """The key figures of one scope: value, target and progress, trend (no query)."""
    result = []
    for code in codes:
        if code not in INDICATORS:
            continue
        indicator = INDICATORS[code]
        value = values.get(code)
        target = targets.get(code)
        result.append(
            KeyFigure(
                code=code,
                label=str(indicator.label),
                value=charts.format_indicator(indicator, value),
                raw=value,
                unit=indicator.unit,
                target=target,
                progress=None if target is None else progress(value, target),
                trend=trend(values, values_before, code, comparison=comparison),
                explanation=str(indicator.explanation or ""),
            )
        )
    return result


def qpv_key_figures(
    codes: Sequence[str],
    period: Period,
    per_qpv: Mapping,
    per_qpv_before: Mapping | None,
    targets: Sequence[IndicatorTarget],
    *,
    comparison: str | None = None,
) -> list[tuple[object, list[KeyFigure]]]:
    """The key figures of each QPV (`compute_by_qpv` of the period and of a year earlier), with
    the per-QPV targets: no query."""
    result = []
    for qpv, values in per_qpv.items():
        before = None if per_qpv_before is None else per_qpv_before.get(qpv)
        qpv_targets = targets_for(Scope.of_qpv(qpv), period, codes=codes, targets=targets)
        result.append((qpv, key_figures(codes, values, before, qpv_targets, comparison=comparison)))
    return result
