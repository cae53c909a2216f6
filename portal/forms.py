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
