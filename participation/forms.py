from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

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
