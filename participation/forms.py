from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from participation.models import SCOPE_FIELDS, Invitation, RoleAssignment

# A link typed without a scheme is taken as https: Django 6's default, said explicitly (Django 5.2
# warns of the change on every URL form field that leaves it unsaid). For the admin's ModelAdmins:
HTTPS_URL_FIELDS: dict[type[models.Field], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


def https_url_formfield(field: models.Field, **kwargs) -> forms.Field | None:
    """The `formfield_callback` of a ModelForm whose model has URL fields (see HTTPS_URL_FIELDS)."""
    if isinstance(field, models.URLField):
        return field.formfield(assume_scheme="https", **kwargs)
    return field.formfield(**kwargs)


class InvitationForm(forms.ModelForm):
    """A coordinator's invitation: an email address, a role and the scope that role takes."""

    class Meta:
        model = Invitation
        fields = ["email", "role", "qpv", "commune", "organisation", "dialogue_space"]
        help_texts = {
            "email": _("The person creates their account with this address, and only this one."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        space = cast(forms.ModelChoiceField, self.fields["dialogue_space"])
        # A space is named with its QPV: one query for the list, not one per space.
        space.queryset = cast(QuerySet, space.queryset).select_related("qpv")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        email, role = data.get("email"), data.get("role")
        if not email or not role or self.errors:
            return data
        scope = {f"{name}_id": getattr(data.get(name), "pk", None) for name in SCOPE_FIELDS}
        same = {"role": role, **scope}
        if Invitation.objects.pending().filter(email=email, **same).exists():
            raise forms.ValidationError(
                _("This address already has a pending invitation for this role: send it again.")
            )
        if RoleAssignment.objects.filter(user__email=email, **same).exists():
            raise forms.ValidationError(_("This person already holds this role."))
        return data
