"""Forms of the espace pro: dialogue spaces, meetings (one or a series), cancellation.

The model forms only validate: the views pass `cleaned_data` to dialogue.services.meetings, which
write. A meeting is typed as one day with a start and an end time, in Paris time: the meetings of a
dialogue space last a few hours, and the staff type the day once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dialogue.models import (
    DialogueSpace,
    FacilitatedBy,
    Food,
    Meeting,
    MeetingMode,
    SpaceOrigin,
)
from dialogue.services.meetings import (
    MAX_SERIES_OCCURRENCES,
    MAX_SERIES_WEEKS_APART,
    MEETING_FIELDS,
    SPACE_FIELDS,
    one_year_after,
    series_occurrences,
)
from participation.contract import DayField
from participation.easy_read import EasyReadField
from participation.forms import https_url_formfield
from qpv.models import QPV, Organisation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The type, under a name that MeetingForm's `date` field does not hide in the class body.
Day = date


class SpaceForm(forms.ModelForm):
    """The host organisation is chosen among the active organisations serving the space's QPV:
    the host is a local actor, and the full list (every bailleur and service of the metropole)
    would be long. The current host stays selectable even if it no longer qualifies.
    """

    class Meta:
        model = DialogueSpace
        fields = [
            "name",
            "format",
            "origin",
            "host_organisation",
            "facilitated_by",
            "charter",
            "is_active",
        ]
        widgets = {
            "origin": forms.RadioSelect,
            "facilitated_by": forms.RadioSelect,
            "charter": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "host_organisation": _(
                "The active organisations serving this neighbourhood. Missing one? Ask the "
                "Métropole coordination team to add it."
            ),
            "charter": _(
                "The rules of the exchange everyone agrees to: listening, speaking turns…"
            ),
            "is_active": _("Unticked: the space and its meetings no longer appear on the site."),
        }

    def __init__(self, *args, qpv: QPV, space: DialogueSpace | None = None, **kwargs):
        # The form never gets the space as its instance: validating would change the object the
        # page still displays. The service writes it.
        if space is not None:
            kwargs["initial"] = {name: getattr(space, name) for name in SPACE_FIELDS}
        super().__init__(*args, **kwargs)
        # Radio buttons need no "---------" choice: the field is required.
        cast(forms.ChoiceField, self.fields["origin"]).choices = SpaceOrigin.choices
        cast(forms.ChoiceField, self.fields["facilitated_by"]).choices = FacilitatedBy.choices
        hosts = Q(is_active=True, qpvs=qpv)
        if space is not None and space.host_organisation_id:
            hosts |= Q(pk=space.host_organisation_id)
        cast(forms.ModelChoiceField, self.fields["host_organisation"]).queryset = (
            Organisation.objects.filter(hosts).distinct().order_by("name")
        )

    def space_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in SPACE_FIELDS}


def _repeat_choices() -> list[tuple[str | int, StrOrPromise]]:
    return [("", _("Does not repeat"))] + [
        (weeks, ngettext("Every week", "Every %(count)s weeks", weeks) % {"count": weeks})
        for weeks in range(1, MAX_SERIES_WEEKS_APART + 1)
    ]


class MeetingForm(forms.ModelForm):
    """One meeting, or the first of a series when `with_series` (creation and duplication)."""

    # Within the contract: a meeting is planned for it (and far years would overflow the date
    # arithmetic of a series' end, the feedback and check-in windows).
    date = DayField(label=_("Date"))
    start_time = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("End time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    repeat_every_weeks = forms.TypedChoiceField(
        label=_("Repeat"), coerce=int, empty_value=None, required=False
    )
    repeat_until = DayField(
        label=_("Until"),
        required=False,
        help_text=_("Date of the last meeting of the series, at most 12 months after the first."),
    )
    easy_read = EasyReadField()

    # The order of the page (and of the error summary at its top).
    field_order = [
        "title",
        "agenda",
        "easy_read",
        "date",
        "start_time",
        "end_time",
        "repeat_every_weeks",
        "repeat_until",
        "mode",
        "venue",
        "address",
        "access_notes",
        "accessibility_notes",
        "step_free",
        "childcare",
        "interpreting",
        "food",
        "online_url",
        "registration_required",
        "capacity",
    ]

    class Meta:
        model = Meeting
        formfield_callback = staticmethod(https_url_formfield)
        fields = [
            "title",
            "mode",
            "venue",
            "address",
            "access_notes",
            "accessibility_notes",
            "step_free",
            "childcare",
            "interpreting",
            "food",
            "online_url",
            "capacity",
            "registration_required",
            "agenda",
        ]
        widgets = {
            "mode": forms.RadioSelect,
            "food": forms.RadioSelect,
            "access_notes": forms.Textarea(attrs={"rows": 3}),
            "accessibility_notes": forms.Textarea(attrs={"rows": 3}),
            "agenda": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, with_series: bool = True, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.with_series = with_series
        if with_series:
            cast(forms.ChoiceField, self.fields["repeat_every_weeks"]).choices = _repeat_choices()
        else:
            del self.fields["repeat_every_weeks"]
            del self.fields["repeat_until"]
        cast(forms.ChoiceField, self.fields["food"]).choices = [
            ("", _("Nothing announced")),
            *Food.choices,
        ]
        # Zero seats would make every registrant wait forever: at least one, or empty for unlimited.
        capacity = cast(forms.IntegerField, self.fields["capacity"])
        capacity.min_value = 1
        capacity.validators = [
            MinValueValidator(
                1, message=_("The capacity must be at least 1. Leave it empty for unlimited.")
            ),
            MaxValueValidator(100_000),
        ]
        capacity.widget.attrs["min"] = 1

    @staticmethod
    def initial_from(meeting: Meeting, *, weeks_later: int = 0) -> dict:
        """The form's values for an existing meeting, `weeks_later` at the same Paris time."""
        start = timezone.localtime(meeting.starts_at)
        end = timezone.localtime(meeting.ends_at)
        initial = {
            name: getattr(meeting, name) for name in MEETING_FIELDS - {"starts_at", "ends_at"}
        }
        initial.update(
            date=start.date() + timedelta(weeks=weeks_later),
            start_time=start.time(),
            end_time=end.time(),
        )
        return initial

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        day, start, end = (cleaned.get(name) for name in ("date", "start_time", "end_time"))
        if day and start and end:
            self._clean_dates(cleaned, day, start, end)
        mode = cleaned.get("mode")
        online = mode in {MeetingMode.ONLINE, MeetingMode.HYBRID}
        # An invalid link already has its own error; an empty one is the error here.
        if online and not cleaned.get("online_url") and "online_url" not in self.errors:
            self.add_error(
                "online_url",
                forms.ValidationError(
                    _("Give the link to join an online or hybrid meeting."),
                    code="online_url_required",
                ),
            )
        if mode in {MeetingMode.IN_PERSON, MeetingMode.HYBRID} and not cleaned.get("address"):
            self.add_error(
                "address",
                forms.ValidationError(
                    _("Give the address where the meeting takes place."), code="address_required"
                ),
            )
        return cleaned

    def _clean_dates(self, cleaned: dict, day: Day, start: time, end: time) -> None:
        starts_at = timezone.make_aware(datetime.combine(day, start))
        ends_at = timezone.make_aware(datetime.combine(day, end))
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        valid = True
        if ends_at <= starts_at:
            valid = False
            self.add_error(
                "end_time",
                forms.ValidationError(
                    _("The meeting must end after it starts."), code="end_before_start"
                ),
            )
        if starts_at < self.now:
            valid = False
            self.add_error(
                "date",
                forms.ValidationError(
                    _("The meeting cannot start in the past."), code="in_the_past"
                ),
            )
        if self.with_series and valid:
            self._clean_series(cleaned, starts_at, ends_at)

    def _clean_series(self, cleaned: dict, starts_at: datetime, ends_at: datetime) -> None:
        every_weeks, until = cleaned.get("repeat_every_weeks"), cleaned.get("repeat_until")
        if every_weeks is None and until is None:
            return
        if every_weeks is None:
            self.add_error(
                "repeat_every_weeks",
                forms.ValidationError(
                    _("Choose how often the meeting repeats, or leave the end date empty."),
                    code="repeat_required",
                ),
            )
            return
        if until is None:
            self.add_error(
                "repeat_until",
                forms.ValidationError(
                    _("Give the date of the last meeting of the series."), code="until_required"
                ),
            )
            return
        first_day = timezone.localtime(starts_at).date()
        if until <= first_day:
            self.add_error(
                "repeat_until",
                forms.ValidationError(
                    _("The series must end after the date of the first meeting."),
                    code="series_end_before_start",
                ),
            )
        elif until > one_year_after(first_day):
            self.add_error(
                "repeat_until",
                forms.ValidationError(
                    _("A series can last at most 12 months after the first meeting."),
                    code="series_too_long",
                ),
            )
        elif (
            len(
                series_occurrences(
                    starts_at=starts_at, ends_at=ends_at, every_weeks=every_weeks, until=until
                )
            )
            > MAX_SERIES_OCCURRENCES
        ):
            self.add_error(
                "repeat_until",
                forms.ValidationError(
                    _("A series can have at most %(max)s meetings: choose an earlier end date."),
                    code="too_many_occurrences",
                    params={"max": MAX_SERIES_OCCURRENCES},
                ),
            )

    def meeting_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in MEETING_FIELDS}

    def series(self) -> tuple[int, Day] | None:
        """(every_weeks, until) when the meeting repeats."""
        if not self.with_series or self.cleaned_data.get("repeat_every_weeks") is None:
            return None
        return self.cleaned_data["repeat_every_weeks"], self.cleaned_data["repeat_until"]


class MeetingCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the cancellation"),
        help_text=_("Sent to the registrants and shown on the meeting page."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Give the reason for the cancellation: registrants will read it.")
        },
    )
