from django import forms
from django.utils.translation import gettext_lazy as _

from dialogue.models import CODE_VALID_MINUTES, AgeBand, Gender
from notifications.phones import validate_mobile

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
    """A visitor without an account: a name; an email (confirmed by an emailed link) or a mobile
    number (confirmed by a code sent by SMS), or both; the SMS reminder, the come-back invitation
    (opt-ins, never pre-ticked) and a self-declared gender and age band (never required)."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        required=False,
        help_text=_("We send you a link to confirm your registration."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=30,
        required=False,
        help_text=_(
            "No email? We send you a code by SMS to confirm. The number also serves to tell you "
            "of a last-minute change."
        ),
        # The placeholder lets the stylesheet show the SMS reminder box once a number is typed.
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "06 12 34 56 78"}
        ),
    )
    sms_reminders = forms.BooleanField(
        label=_("Send me an SMS reminder the day before"), required=False
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
        """The number in E.164 (+33612345678): SMS go to French mobiles only."""
        phone = self.cleaned_data["phone"].strip()
        return validate_mobile(phone) if phone else ""

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        given = cleaned.get("email") or cleaned.get("phone")
        if not given and not self.has_error("email") and not self.has_error("phone"):
            raise forms.ValidationError(
                _(
                    "Give your email address or your mobile number: we need one of them to "
                    "confirm your registration."
                ),
                code="no_contact",
            )
        if not cleaned.get("phone"):
            # No number, no SMS: an unticked box whatever was sent.
            cleaned["sms_reminders"] = False
        return cleaned


class RegistrationCodeForm(forms.Form):
    """The 6 digits received by SMS (spaces allowed: "123 456")."""

    code = forms.CharField(
        label=_("Code received by SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("6 digits, valid %(minutes)s minutes.") % {
            "minutes": CODE_VALID_MINUTES
        }

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError(
                _("Type the 6 digits of the code we sent you by SMS."), code="invalid"
            )
        return code
