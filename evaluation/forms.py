"""The scope and period filter of the indicators: shared by the dashboard, the exports and reports.

The scope choices are limited to what the user may read (`evaluation.view_indicators`), so a scope
outside the user's, or a forged value, is an invalid choice: a form error, never a 500.
"""

from __future__ import annotations

import datetime
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.indicators import CATALOGUE, FAMILIES, FAMILY_LABELS, INDICATORS, Period, Scope
from evaluation.models import CONTRACT_YEARS, IndicatorTarget
from participation.contract import (
    contract_end,
    contract_start,
    in_contract,
    outside_contract_error,
)
from qpv.models import QPV, Commune

METROPOLE = "metropole"
CUSTOM = "custom"
CONTRACT = "contract"
CONTRACT_FIRST_YEAR = 2024
# Older dates cannot hold data of this contract (nor of the previous one, started in 2015).
EARLIEST = datetime.date(2014, 1, 1)
MAX_YEARS = 7  # the contract runs 2024-2030


def scope_value(scope: Scope) -> str:
    """The `scope` GET value of a Scope (inverse of the form's parsing)."""
    if scope.qpv is not None:
        return f"qpv:{scope.qpv.slug}"
    if scope.commune is not None:
        return f"commune:{scope.commune.slug}"
    return METROPOLE


def scope_options(user) -> dict[str, Scope]:
    """Every scope the user may read, widest first: metropole, then communes, then QPV (2 queries)."""
    perm = "evaluation.view_indicators"
    options: dict[str, Scope] = {}
    if user.has_perm(perm, None):
        options[METROPOLE] = Scope.metropole()
    for commune in Commune.objects.visible_to(user, perm).order_by("name"):
        options[f"commune:{commune.slug}"] = Scope.commune_of(commune)
    for qpv in QPV.objects.visible_to(user, perm).select_related("commune").order_by("name"):
        options[f"qpv:{qpv.slug}"] = Scope.of_qpv(qpv)
    return options


def _preset_choices(today: datetime.date) -> list:
    years = range(today.year, CONTRACT_FIRST_YEAR - 1, -1)
    quarters = [
        (f"quarter-{year}-{q}", Period.quarter(year, q).label)
        for year in years
        for q in range(4, 0, -1)
        if datetime.date(year, 3 * q - 2, 1) <= today
    ]
    return [
        (CONTRACT, _("Contract to date (since 1 January 2024)")),
        (_("Year"), [(f"year-{year}", str(year)) for year in years]),
        (_("Quarter"), quarters),
        (CUSTOM, _("Custom dates (below)")),
    ]


class ScopePeriodForm(forms.Form):
    """Build with `ScopePeriodForm(request.GET, user=request.user)`: missing fields take defaults.

    Defaults: the user's widest scope and the contract to date, so that an empty query string is a
    valid form. Without data the form is unbound, with those defaults as initial values (merged
    with `initial=`). `cleaned_scope_period()` gives the (Scope, Period) once `is_valid()`.
    """

    scope = forms.ChoiceField(
        label=_("Territory"),
        error_messages={
            "invalid_choice": _(
                "Choose one of the territories of the list: the others are not yours."
            )
        },
    )
    preset = forms.ChoiceField(label=_("Period"))
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("With “Custom dates” only."),
    )
    end = forms.DateField(
        label=_("To (included)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("With “Custom dates” only."),
    )

    def __init__(
        self,
        data=None,
        *args,
        user,
        today: datetime.date | None = None,
        within_contract: bool = False,
        **kwargs,
    ):
        self.today = today or timezone.localdate()
        # A report is kept: its period lies within the contract. The dashboard only reads, and
        # may look back at the previous contract's years.
        self.within_contract = within_contract
        self.scopes = scope_options(user)
        defaults = {"scope": next(iter(self.scopes), ""), "preset": CONTRACT}
        if data is None:
            # Unbound (a page's first display): the defaults, or what the caller passes.
            kwargs["initial"] = defaults | dict(kwargs.get("initial") or {})
        else:
            # An empty filter is the default view, not an error: fill in the defaults.
            data = data.copy()
            if not data.get("scope"):
                data["scope"] = defaults["scope"]
            if not data.get("preset"):
                has_dates = data.get("start") or data.get("end")
                data["preset"] = CUSTOM if has_dates else CONTRACT
        super().__init__(data, *args, **kwargs)
        cast(forms.ChoiceField, self.fields["scope"]).choices = self._scope_choices()
        cast(forms.ChoiceField, self.fields["preset"]).choices = _preset_choices(self.today)
        for name, field in self.fields.items():
            css = "form-select" if name in ("scope", "preset") else "form-control"
            field.widget.attrs.setdefault("class", css)
        if within_contract:
            for name in ("start", "end"):
                self.fields[name].widget.attrs.update(
                    min=contract_start().isoformat(), max=contract_end().isoformat()
                )

    @property
    def has_scopes(self) -> bool:
        """False for users who may read no indicator at all (the view answers 403)."""
        return bool(self.scopes)

    def _scope_choices(self) -> list:
        groups: dict[str, list] = {"metropole": [], "commune": [], "qpv": []}
        for value, scope in self.scopes.items():
            groups[scope.kind].append((value, str(scope.label)))
        choices: list = list(groups["metropole"])
        if groups["commune"]:
            choices.append((_("Commune"), groups["commune"]))
        if groups["qpv"]:
            choices.append((_("QPV"), groups["qpv"]))
        return choices

    def _period_from_preset(self, preset: str) -> Period | None:
        if preset == CONTRACT:
            return Period.contract_to_date(today=self.today)
        kind, _sep, rest = preset.partition("-")
        if kind == "year":
            return Period.year(int(rest))
        if kind == "quarter":
            year, _sep, quarter = rest.partition("-")
            return Period.quarter(int(year), int(quarter))
        return None

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        preset = cleaned.get("preset")
        if preset is None:
            return cleaned
        if preset != CUSTOM:
            self._period = self._period_from_preset(preset)
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if start is None:
            self.add_error("start", _("Enter the first day of the period."))
        if end is None:
            self.add_error("end", _("Enter the last day of the period."))
        if start is None or end is None:
            return cleaned
        latest = self.today + datetime.timedelta(days=365)
        for name, value in (("start", start), ("end", end)):
            if self.within_contract and not in_contract(value):
                self.add_error(name, outside_contract_error())
            elif value < EARLIEST:
                self.add_error(name, _("Choose a date from 1 January 2014 onwards."))
            elif value > latest:
                self.add_error(name, _("Choose a date within one year from today."))
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if end < start:
            self.add_error("end", _("The end of the period must not be before its start."))
        elif end >= _add_years(start, MAX_YEARS):
            self.add_error(
                "end",
                _("The period must not exceed 7 years (the length of the contract 2024-2030)."),
            )
        else:
            self._period = Period(start=start, end=end)
        return cleaned

    def cleaned_scope_period(self) -> tuple[Scope, Period]:
        """The chosen scope and period; call after `is_valid()` returned True."""
        assert self._period is not None  # a valid form's preset names a period
        return self.scopes[self.cleaned_data["scope"]], self._period


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# ---- Targets (issue 19) -------------------------------------------------------------------------


def _indicator_choices() -> list:
    return [("", _("Choose an indicator"))] + [
        (
            FAMILY_LABELS[family],
            [(i.code, i.label) for i in CATALOGUE if i.family == family],
        )
        for family in FAMILIES
    ]


class TargetForm(forms.ModelForm):
    """A target of an indicator (evaluation.targets explains how it applies)."""

    code = forms.ChoiceField(
        label=_("Indicator"),
        error_messages={"invalid_choice": _("Choose an indicator of the list.")},
    )
    year = forms.TypedChoiceField(
        label=_("Year"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("A year's target replaces the contract's target for that year."),
        error_messages={"invalid_choice": _("Choose a year of the contract (2024 to 2030).")},
    )
    value = forms.DecimalField(
        label=_("Target value (per year)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        localize=True,
        help_text=_(
            "Counts and euros: per year (pro-rated for a shorter period). Percentages: from 0 to "
            "100. Scores: from 1 to 5."
        ),
        error_messages={
            "min_value": _("The target cannot be negative."),
            "invalid": _("Enter a number, such as 10 or 80,5."),
            "max_digits": _("Enter a number of at most 10 digits before the decimal point."),
            "max_decimal_places": _("Enter at most 2 decimals."),
        },
    )

    class Meta:
        model = IndicatorTarget
        fields = ["code", "level", "year", "direction", "value"]
        widgets = {"level": forms.RadioSelect, "direction": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["code"]).choices = _indicator_choices()
        cast(forms.ChoiceField, self.fields["year"]).choices = [
            ("", _("Every year of the contract"))
        ] + [(year, str(year)) for year in CONTRACT_YEARS]
        self.fields["level"].help_text = _(
            "A target for each QPV also gives the target of a commune and of the metropole "
            "(counts and euros added up, rates unchanged); a metropole target replaces it for "
            "the metropole."
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        code, value = cleaned.get("code"), cleaned.get("value")
        if code in INDICATORS and value is not None:
            unit = INDICATORS[code].unit
            if unit == "percent" and value > 100:
                self.add_error("value", _("A percentage target is at most 100."))
            elif unit == "score" and not 1 <= value <= 5:
                self.add_error("value", _("A score target is between 1 and 5."))
        return cleaned
