import re

from django import forms
from django.utils.translation import gettext_lazy as _

from dialogue.models import AgeBand, Gender

PHONE = re.compile(r"^\+?[0-9 .\-()]{6,20}$")
PREFER_NOT_TO_SAY = ("", _("Prefer not to say"))
STATISTICS_HELP = _("Optional: used only for anonymous statistics on who takes part.")
COMEBACK_LABEL = _(
    "If I do not come back for 3 months, invite me once to a meeting of my neighbourhood"
)


def _declared(choices) -> list[tuple[str, str]]:
    return [PREFER_NOT_TO_SAY, *((value, label) for value, label in choices if value)]


class OneClickRegistrationForm(forms.Form):
    """A resident with an account registers in one click; the come-back invitation is opt-in."""

    comeback_opt_in = forms.BooleanField(label=COMEBACK_LABEL, required=False)


class GuestRegistrationForm(forms.Form):
    """A visitor without an account: a name, an email to confirm, optionally a phone, the
    come-back invitation (opt-in) and a self-declared gender and age band (never required)."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send you a link to confirm your registration."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=20,
        required=False,
        help_text=_("Only to reach you if the meeting changes at the last minute."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    comeback_opt_in = forms.BooleanField(label=COMEBACK_LABEL, required=False)
    gender = forms.ChoiceField(
        label=_("Gender (optional)"),
        choices=_declared(Gender.choices),
        required=False,
        help_text=STATISTICS_HELP,
    )
    age_band = forms.ChoiceField(
        label=_("Age (optional)"),
        choices=_declared(AgeBand.choices),
        required=False,
        help_text=STATISTICS_HELP,
    )

    # A field people never see: robots that fill every field give themselves away.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please give your name."), code="required")
        return name

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(
                _("Enter a phone number with digits only, e.g. 06 12 34 56 78."), code="invalid"
            )
        return phone
