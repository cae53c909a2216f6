"""Forms of the speaking-time tracker: the live buttons' posts and the turn added afterwards."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialogue.models import Meeting, SpeakerCategory
from dialogue.services.speaking import MAX_RESIDENTS_WHO_SPOKE


class TurnStartForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Speaker"),
        choices=SpeakerCategory.choices,
        error_messages={
            "required": _("Choose who is speaking."),
            "invalid_choice": _("Choose who is speaking."),
        },
    )


class SpeakersForm(forms.Form):
    """Either a new count (`value`, the small form) or a step (`delta`, the + and − buttons)."""

    value = forms.IntegerField(
        label=_("Residents who spoke"),
        required=False,
        min_value=0,
        max_value=MAX_RESIDENTS_WHO_SPOKE,
        error_messages={
            "min_value": _("The number of residents who spoke cannot be negative."),
            "max_value": _("%(limit_value)s residents who spoke at most: check the number."),
            "invalid": _("Enter a whole number."),
        },
    )
    delta = forms.IntegerField(required=False, min_value=-1, max_value=1)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        if (data.get("value") is None) == (data.get("delta") is None):
            raise forms.ValidationError(_("Enter the number of residents who spoke."))
        return data


class TurnAddForm(forms.Form):
    """A finished turn noted on paper, entered afterwards: Paris date and times, to the second."""

    category = forms.ChoiceField(label=_("Speaker"), choices=SpeakerCategory.choices)
    # A date field wants ISO dates whatever the language (not "26/11/2026").
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label=_("Start time"),
        widget=forms.TimeInput(attrs={"type": "time", "step": "1"}, format="%H:%M:%S"),
    )
    end_time = forms.TimeField(
        label=_("End time"),
        widget=forms.TimeInput(attrs={"type": "time", "step": "1"}, format="%H:%M:%S"),
    )

    # Service errors name the model's fields; the form shows them on its own.
    SERVICE_FIELDS = {"started_at": "start_time", "ended_at": "end_time", "category": "category"}

    def __init__(self, *args, meeting: Meeting, **kwargs):
        kwargs.setdefault("prefix", "turn")
        kwargs.setdefault("initial", {"date": timezone.localdate(meeting.starts_at)})
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The turn must end after it starts."))
        return data

    def times(self) -> tuple[datetime, datetime]:
        day = self.cleaned_data["date"]
        zone = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(day, self.cleaned_data["start_time"]), zone),
            timezone.make_aware(datetime.combine(day, self.cleaned_data["end_time"]), zone),
        )

    def add_service_error(self, error) -> None:
        self.add_error(self.SERVICE_FIELDS.get(getattr(error, "field", None) or ""), error)
