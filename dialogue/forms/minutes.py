"""The minutes form of the espace pro: four texts and an optional PDF.

The form only validates; dialogue.services.minutes writes. The attachment is checked on its name and
on its first bytes: a file renamed to .pdf is not a PDF, and the public page serves it as one.
"""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from dialogue.models import Minutes
from participation.sizes import file_size

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
# Generous limits: a long meeting's report fits, a pasted book does not.
SUMMARY_MAX_LENGTH = 20_000
SECTION_MAX_LENGTH = 10_000


class MinutesForm(forms.Form):
    PUBLISH = "publish"
    SAVE = "save"

    summary = forms.CharField(
        label=_("Summary"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What was discussed, in plain words: residents who were not there read it."),
    )
    decisions = forms.CharField(
        label=_("What was decided"),
        max_length=SECTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    next_steps = forms.CharField(
        label=_("Next steps"),
        max_length=SECTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who does what, and by when."),
    )
    questions_raised = forms.CharField(
        label=_("Questions raised"),
        max_length=SECTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Questions asked during the meeting; each gets an answer (Q&A)."),
    )
    attachment = forms.FileField(
        label=_("PDF file (5 MB at most)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,application/pdf"}),
        help_text=_(
            "Optional: the slides or the full report. Residents can open it from the page."
        ),
    )
    remove_attachment = forms.BooleanField(label=_("Remove the attachment"), required=False)

    def __init__(self, *args, minutes: Minutes | None = None, **kwargs):
        # Like the other staff forms, the form never gets the object itself: the service writes it.
        if minutes is not None:
            kwargs["initial"] = {
                "summary": minutes.summary,
                "decisions": minutes.decisions,
                "next_steps": minutes.next_steps,
                "questions_raised": minutes.questions_raised,
            }
        super().__init__(*args, **kwargs)
        self.has_attachment = bool(minutes is not None and minutes.attachment)
        if not self.has_attachment:
            del self.fields["remove_attachment"]

    def clean_attachment(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        if PurePath(upload.name).suffix.lower() != ".pdf":
            raise forms.ValidationError(
                _("The attachment must be a PDF file (its name ends with .pdf)."), code="extension"
            )
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(
                _("The attachment weighs %(size)s: 5 MB at most. Compress it or split it.")
                % {"size": file_size(upload.size)},
                code="too_big",
            )
        upload.seek(0)
        head = upload.read(len(PDF_MAGIC))
        upload.seek(0)
        if head != PDF_MAGIC:
            raise forms.ValidationError(
                _("This file is not a PDF, whatever its name. Export the document as PDF."),
                code="not_pdf",
            )
        return upload

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("attachment") and cleaned.get("remove_attachment"):
            self.add_error(
                "remove_attachment",
                _("Either replace the attachment or remove it, not both."),
            )
        return cleaned

    def minutes_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("summary", "decisions", "next_steps", "questions_raised")
        }
