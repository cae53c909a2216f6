from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from participation.models import User
from qpv.models import QPV

CONFIRMATION_WORD = "SUPPRIMER"


class AccountDeleteForm(forms.Form):
    """Asks for the current password; an account without one (code login) types a word instead."""

    confirmation = forms.CharField(max_length=128, strip=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["confirmation"]
        if user.has_usable_password():
            field.label = _("Your current password")
            field.widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
        else:
            field.label = _("Type the word SUPPRIMER")
            field.widget = forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})

    def clean_confirmation(self) -> str:
        value = self.cleaned_data["confirmation"]
        if self.user.has_usable_password():
            if not self.user.check_password(value):
                raise forms.ValidationError(_("This password is not correct."))
        elif value.strip() != CONFIRMATION_WORD:
            raise forms.ValidationError(_("Type the word SUPPRIMER in capital letters to confirm."))
        return value


class NameForm(forms.Form):
    """The name printed on sign-in sheets and the door's screen: first and last name, or a name
    of the resident's choosing; and, if they wish, their neighbourhood."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=70,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=70,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    display_name = forms.CharField(
        label=_("Or the name you want to be called"),
        help_text=_(
            "Instead of your first and last name, for example a first name and an initial."
        ),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    home_qpv = forms.ModelChoiceField(
        label=_("Your neighbourhood (optional)"),
        help_text=_("Its meetings will be shown to you first."),
        queryset=QPV.objects.for_listing(),
        required=False,
        empty_label=_("I would rather not say"),
    )

    field_order = ["first_name", "last_name", "display_name", "home_qpv"]

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if "@" in name:
            # The name is printed on paper passed round the room: an address has no place there.
            raise forms.ValidationError(_("Write a name, not an email address."), code="email")
        return name

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        first = " ".join(cleaned.get("first_name", "").split())
        last = " ".join(cleaned.get("last_name", "").split())
        if "@" in first + last:
            raise forms.ValidationError(_("Write a name, not an email address."), code="email")
        if not cleaned.get("display_name") and not (first and last) and not self.errors:
            raise forms.ValidationError(
                _("Give your first name and last name, or the name you want to be called."),
                code="required",
            )
        cleaned["full_name"] = cleaned.get("display_name") or f"{first} {last}".strip()
        return cleaned


class SignupForm(NameForm):
    """allauth's sign-up form is built on this one (ACCOUNT_SIGNUP_FORM_CLASS): its fields come
    before the email and password."""

    def signup(self, request, user: User) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.home_qpv = self.cleaned_data["home_qpv"]
        user.save(update_fields=["full_name", "home_qpv"])


class ChooseQPVForm(forms.Form):
    """The home page's "choose my neighbourhood": a QPV, or none to see every neighbourhood alike.

    The choices come from the QPV the page lists already (grouped by commune): no query of its own.
    """

    qpv = forms.ChoiceField(
        label=_("Choose my neighbourhood"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, qpvs: Sequence[QPV], **kwargs):
        super().__init__(*args, **kwargs)
        communes: dict[str, list[tuple[str, str]]] = {}
        for qpv in qpvs:
            communes.setdefault(qpv.commune.name, []).append((qpv.slug, qpv.name))
        field = cast(forms.ChoiceField, self.fields["qpv"])
        field.choices = [("", _("All neighbourhoods")), *communes.items()]
