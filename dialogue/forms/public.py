"""The filters of the public agenda: read from the query string, never trusted."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialogue.models import MeetingQuerySet, SpaceFormat
from qpv.models import QPV

MIN_YEAR, MAX_YEAR = 2000, 2100


def _start_of_day(day: date) -> datetime:
    """Midnight in Paris (the current time zone), so a day means the residents' day."""
    return timezone.make_aware(datetime.combine(day, time.min))


class AgendaFilterForm(forms.Form):
    """Filters of the agenda pages. An invalid form filters nothing: the page lists everything."""

    qpv = forms.ChoiceField(label=_("Neighbourhood"), required=False)
    commune = forms.ChoiceField(label=_("Commune"), required=False)
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("All formats")), *SpaceFormat.choices],
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    step_free = forms.BooleanField(label=_("Step-free access only"), required=False)

    def __init__(
        self, data=None, *, qpvs: Sequence[QPV] = (), without: Collection[str] = (), **kwargs
    ) -> None:
        """`qpvs` (with their commune) give the choices; `without` drops filters a page has no use for."""
        super().__init__(data, **kwargs)
        for name in without:
            del self.fields[name]
        if "qpv" in self.fields:
            # Grouped by commune, in the order given (QPV.objects.for_listing()).
            groups: dict[str, list[tuple[str, str]]] = {}
            for qpv in qpvs:
                groups.setdefault(qpv.commune.name, []).append((qpv.slug, qpv.name))
            cast(forms.ChoiceField, self.fields["qpv"]).choices = [
                ("", _("All neighbourhoods")),
                *groups.items(),
            ]
        if "commune" in self.fields:
            communes = sorted(
                {(qpv.commune.slug, qpv.commune.name) for qpv in qpvs}, key=lambda c: c[1]
            )
            cast(forms.ChoiceField, self.fields["commune"]).choices = [
                ("", _("All communes")),
                *communes,
            ]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"

    def _clean_date(self, name: str) -> date | None:
        # Far years would overflow the day arithmetic and the time zone conversion below.
        day = self.cleaned_data.get(name)
        if day and not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationError(
                _("Enter a date between %(min)s and %(max)s."),
                params={"min": MIN_YEAR, "max": MAX_YEAR},
            )
        return day

    def clean_date_from(self) -> date | None:
        return self._clean_date("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_date("date_to")

    def clean(self) -> dict:
        super().clean()
        cleaned_data = self.cleaned_data
        date_from, date_to = cleaned_data.get("date_from"), cleaned_data.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", ValidationError(_("The end date is before the start date.")))
        return cleaned_data

    def filter(self, meetings: MeetingQuerySet) -> MeetingQuerySet:
        if not self.is_valid():
            return meetings
        data = self.cleaned_data
        if data.get("qpv"):
            meetings = meetings.filter(dialogue_space__qpv__slug=data["qpv"])
        if data.get("commune"):
            meetings = meetings.filter(dialogue_space__qpv__commune__slug=data["commune"])
        if data.get("format"):
            meetings = meetings.filter(dialogue_space__format=data["format"])
        # Bounds on starts_at (indexed) rather than a __date lookup, which the index cannot serve.
        if data.get("date_from"):
            meetings = meetings.filter(starts_at__gte=_start_of_day(data["date_from"]))
        if data.get("date_to"):
            end = _start_of_day(data["date_to"] + timedelta(days=1))
            meetings = meetings.filter(starts_at__lt=end)
        if data.get("step_free"):
            meetings = meetings.filter(step_free=True)
        return meetings

    @property
    def is_filtering(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())
