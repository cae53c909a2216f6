"""Forms of the check-in at the door: the details of one walk-in, several walk-ins at once.

They only validate; dialogue.services.attendance writes.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dialogue.models import AgeBand, AttendeeCategory, Gender
from dialogue.services.attendance import MAX_WALK_INS_AT_ONCE


class FirstTime(forms.Field):
    """Yes / no / unknown, posted as "yes", "no" or "" by one of three buttons."""

    CHOICES = {"yes": True, "no": False, "": None}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value not in self.CHOICES:
            raise forms.ValidationError(_("Choose yes, no or unknown."), code="invalid")
        return self.CHOICES[value]

    def validate(self, value):
        pass


class WalkInDetailsForm(forms.Form):
    """The second, optional tap on the last walk-in: one button posts one field."""

    walkin = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    age_band = forms.ChoiceField(label=_("Age"), choices=AgeBand.choices, required=False)
    first_time = FirstTime(label=_("First time at a meeting"), required=False)

    DETAIL_FIELDS = ("gender", "age_band", "first_time")

    def details(self) -> dict[str, object]:
        """Only the fields the button posted: the others keep their value."""
        return {name: self.cleaned_data[name] for name in self.DETAIL_FIELDS if name in self.data}


def _people(label, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_WALK_INS_AT_ONCE,
        error_messages={
            "min_value": _("A number of people cannot be negative."),
            "max_value": _("At most %(limit_value)s people at once."),
            "invalid": _("Enter a whole number."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "checkin-number"}),
        **kwargs,
    )


class WalkInBulkForm(forms.Form):
    """Several walk-ins of one category, with optional breakdowns that cannot exceed the count."""

    category = forms.ChoiceField(
        label=_("Who came"),
        choices=AttendeeCategory.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who came.")},
    )
    count = forms.IntegerField(
        label=_("Number of people"),
        min_value=1,
        max_value=MAX_WALK_INS_AT_ONCE,
        error_messages={
            "required": _("Enter how many people came."),
            "min_value": _("Enter at least 1 person."),
            "max_value": _("At most %(limit_value)s people at once."),
            "invalid": _("Enter a whole number."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "checkin-number"}),
    )
    women = _people(_("Women"))
    men = _people(_("Men"))
    other_gender = _people(_("Other"))
    gender_not_said = _people(_("Gender not said"))
    first_time = _people(_("First time at a meeting"))
    returning = _people(_("Already came before"))

    GENDER_FIELDS = {
        "women": Gender.WOMAN,
        "men": Gender.MAN,
        "other_gender": Gender.OTHER,
        "gender_not_said": Gender.NOT_SAID,
    }
    FIRST_TIME_FIELDS = ("first_time", "returning")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One field per age band ("not said" is the rest).
        self.age_fields = {}
        for band in AgeBand:
            if band == AgeBand.NOT_SAID:
                continue
            name = f"age_{band.value}"
            self.fields[name] = _people(band.label)
            self.age_fields[name] = band

    def _breakdowns(self):
        """(field showing the error, fields summed, message) of each breakdown."""
        return [
            (
                "women",
                list(self.GENDER_FIELDS),
                _(
                    "Women, men, other and not said add up to %(total)s people: more than the "
                    "%(count)s people counted."
                ),
            ),
            (
                next(iter(self.age_fields)),
                list(self.age_fields),
                _(
                    "The age bands add up to %(total)s people: more than the %(count)s people counted."
                ),
            ),
            (
                "first_time",
                list(self.FIRST_TIME_FIELDS),
                _(
                    "First time and already came add up to %(total)s people: more than the "
                    "%(count)s people counted."
                ),
            ),
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        count = cleaned.get("count")
        if count is None:
            return cleaned
        for field, names, message in self._breakdowns():
            total = sum(cleaned.get(name) or 0 for name in names)
            if total > count:
                self.add_error(field, message % {"total": total, "count": count})
        return cleaned

    # The fieldsets of the template, in order.
    def gender_bound_fields(self):
        return [self[name] for name in self.GENDER_FIELDS]

    def age_bound_fields(self):
        return [self[name] for name in self.age_fields]

    def first_time_bound_fields(self):
        return [self[name] for name in self.FIRST_TIME_FIELDS]

    def walk_ins_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "count": data["count"],
            "genders": {
                gender.value: data.get(name) or 0
                for name, gender in self.GENDER_FIELDS.items()
                if gender != Gender.NOT_SAID
            },
            "age_bands": {
                band.value: data.get(name) or 0 for name, band in self.age_fields.items()
            },
            "first_time": data.get("first_time") or 0,
            "returning": data.get("returning") or 0,
        }
