"""The form of a meeting's translation into one language (espace pro).

The language is in the page's address, not in the form: each text field carries the `lang` and
`dir` of that language, so that the browser types and spell-checks Arabic right to left.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dialogue.models import MeetingTranslation, is_right_to_left
from dialogue.models.translations import (
    PRACTICAL_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)

TRANSLATION_FIELDS = ("title", "summary", "practical_information")


class MeetingTranslationForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        error_messages={"required": _("Give the title in this language.")},
    )
    summary = forms.CharField(
        label=_("What the meeting is about"),
        help_text=_("A few sentences: who it is for, what will be discussed."),
        max_length=SUMMARY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    practical_information = forms.CharField(
        label=_("Practical information"),
        help_text=_("How to get in, access, registration, childcare, interpreting…"),
        max_length=PRACTICAL_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self, *args, language: str, translation: MeetingTranslation | None = None, **kwargs
    ) -> None:
        if translation is not None:
            kwargs["initial"] = {name: getattr(translation, name) for name in TRANSLATION_FIELDS}
        super().__init__(*args, **kwargs)
        direction = "rtl" if is_right_to_left(language) else "ltr"
        for name in TRANSLATION_FIELDS:
            self.fields[name].widget.attrs.update({"lang": language, "dir": direction})

    def translation_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in TRANSLATION_FIELDS}
