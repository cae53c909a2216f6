"""The 1-minute survey: three scores from 1 to 5, "will you come back", an optional comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dialogue.models import ComeBack
from dialogue.services.feedback import COMMENT_MAX_LENGTH

# The page shows each number large with these words under it ("1 — not at all" when read aloud).
SCORE_CHOICES = [
    (1, _("not at all")),
    (2, _("a little")),
    (3, _("partly")),
    (4, _("mostly")),
    (5, _("fully")),
]
SCORE_ERRORS = {
    "required": _("Choose a number from 1 to 5."),
    "invalid_choice": _("Choose a number from 1 to 5."),
}


class ScaleRadioSelect(forms.RadioSelect):
    """Radios whose field "label" is the first option: the error summary's link lands on it
    (RadioSelect gives no id to the group, so the link would lead nowhere)."""

    def id_for_label(self, id_, index="0"):
        return forms.widgets.ChoiceWidget.id_for_label(self, id_, index)


def _score(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCORE_CHOICES,
        coerce=int,
        widget=ScaleRadioSelect,
        error_messages=SCORE_ERRORS,
    )


class FeedbackForm(forms.Form):
    felt_heard = _score(_("I felt heard"))
    felt_legitimate = _score(_("I felt legitimate to speak"))
    understood_institutions = _score(_("I understood what institutions can and cannot do"))
    will_come_back = forms.ChoiceField(
        label=_("Will you come back to a meeting?"),
        choices=ComeBack.choices,
        widget=ScaleRadioSelect,
        error_messages={
            "required": _("Choose yes, maybe or no."),
            "invalid_choice": _("Choose yes, maybe or no."),
        },
    )
    comment = forms.CharField(
        label=_("A comment? (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        help_text=_(
            "Anonymous: please do not write your name. A phone number or an email written here "
            "is removed. At most 2,000 characters."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        error_messages={
            "max_length": _(
                "The comment is too long: at most %(limit_value)d characters "
                "(it has %(show_value)d)."
            )
        },
    )

    def score_fields(self) -> list[forms.BoundField]:
        return [self["felt_heard"], self["felt_legitimate"], self["understood_institutions"]]
