"""Forms of the written parts of a report (evaluation.report_texts): the five sections, a comment,
a change of status. Too long a text is a form error that gives the text back, never cut."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.models import MAX_COMMENT_CHARS, MAX_SECTION_CHARS, SectionKind, TextStatus

FORMAT_HELP = _(
    "Light formatting: a blank line between paragraphs, **bold**, *italics*, “- ” at the start of "
    "a line for a list, [text of the link](https://…) for a link. Scripts, images and styles are "
    "removed."
)


def _section_field(kind: SectionKind) -> forms.CharField:
    return forms.CharField(
        label=kind.label,
        required=False,
        strip=False,
        max_length=MAX_SECTION_CHARS,
        widget=forms.Textarea(
            attrs={"rows": 8, "class": "form-control", "aria-describedby": "report-texts-help"}
        ),
        error_messages={
            "max_length": _(
                "This section is too long: %(limit_value)s characters at most (it has "
                "%(show_value)s). Shorten it; your text is kept below."
            )
        },
    )


class ReportTextsForm(forms.Form):
    """The five sections on one page (named as SectionKind), each optional: an empty one is not
    printed."""

    summary = _section_field(SectionKind.SUMMARY)
    highlights = _section_field(SectionKind.HIGHLIGHTS)
    concerns = _section_field(SectionKind.CONCERNS)
    recommendations = _section_field(SectionKind.RECOMMENDATIONS)
    next_steps = _section_field(SectionKind.NEXT_STEPS)

    def bodies(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in SectionKind.values}


class ReportCommentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("About"),
        required=False,
        choices=[("", _("The texts as a whole")), *SectionKind.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": _("Choose one of the sections of the list.")},
    )
    body = forms.CharField(
        label=_("Your comment"),
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        error_messages={
            "required": _("Write your comment."),
            "max_length": _(
                "This comment is too long: %(limit_value)s characters at most (it has "
                "%(show_value)s). Your text is kept below."
            ),
        },
    )


class TextStatusForm(forms.Form):
    """Submit the texts for review, or publish them."""

    to = forms.ChoiceField(
        choices=[
            (TextStatus.REVIEW, TextStatus.REVIEW.label),
            (TextStatus.PUBLISHED, TextStatus.PUBLISHED.label),
        ],
        error_messages={
            "required": _("Choose what to do with the texts."),
            "invalid_choice": _("Choose what to do with the texts."),
        },
    )
