"""Forms of the staff pages of questions: dashboard filters, routing, due dates, closing, answers.

The rules themselves (open questions only, a later due date, a reason...) live in
questions.services; these forms only read and shape the input, and the views put a
refused action's message on the right field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participation.contract import DayField
from participation.easy_read import EasyReadField
from qpv.models import QPV, Organisation
from questions.forms.intake import AddresseeField
from questions.models import QuestionQuerySet, QuestionStatus, Theme

# "Open" gathers the two statuses of a question still waiting for its answer.
OPEN = "open"


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select"
        else:
            widget.attrs["class"] = "form-control"


class QuestionFilterForm(forms.Form):
    """Filters of the dashboard, read from the query string. Invalid values filter nothing."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    theme = forms.ChoiceField(
        label=_("Theme"), required=False, choices=[("", _("All themes")), *Theme.choices]
    )
    organisation = forms.ChoiceField(label=_("Addressed to"), required=False)
    qpv = forms.ChoiceField(label=_("Neighbourhood"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(
        self,
        data=None,
        *,
        qpvs: Sequence[QPV],
        organisations: Sequence[Organisation],
        with_moderation: bool,
        **kwargs,
    ) -> None:
        """The choices come as lists loaded once by the view: validating costs no query."""
        super().__init__(data, **kwargs)
        statuses = [
            (OPEN, _("Open (received or forwarded)")),
            (QuestionStatus.RECEIVED, QuestionStatus.RECEIVED.label),
            (QuestionStatus.FORWARDED, QuestionStatus.FORWARDED.label),
            (QuestionStatus.ANSWERED, QuestionStatus.ANSWERED.label),
            (QuestionStatus.CLOSED, QuestionStatus.CLOSED.label),
        ]
        if with_moderation:
            statuses.append((QuestionStatus.MODERATION, QuestionStatus.MODERATION.label))
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", _("All statuses")),
            *statuses,
        ]
        groups: dict[str, list[tuple[str, str]]] = {}
        for qpv in qpvs:
            groups.setdefault(qpv.commune.name, []).append((qpv.slug, qpv.name))
        cast(forms.ChoiceField, self.fields["qpv"]).choices = [
            ("", _("All neighbourhoods")),
            *groups.items(),
        ]
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [
            ("", _("All organisations")),
            *((str(organisation.pk), organisation.name) for organisation in organisations),
        ]
        _style(self)

    def filter(self, questions: QuestionQuerySet, *, today: date) -> QuestionQuerySet:
        if not self.is_bound or not self.is_valid():
            return questions
        data = self.cleaned_data
        if data["status"] == OPEN:
            questions = questions.open()
        elif data["status"]:
            questions = questions.filter(status=data["status"])
        if data["theme"]:
            questions = questions.filter(theme=data["theme"])
        if data["organisation"]:
            questions = questions.filter(organisation_id=int(data["organisation"]))
        if data["qpv"]:
            questions = questions.filter(qpv__slug=data["qpv"])
        if data["overdue"]:
            questions = questions.overdue(today)
        return questions

    @property
    def active_count(self) -> int:
        if not self.is_bound or not self.is_valid():
            return 0
        return sum(1 for value in self.cleaned_data.values() if value)


class RouteForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Forward to"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choose an organisation"),
        error_messages={"required": _("Choose the organisation that should answer.")},
        help_text=_(
            "Its correspondents receive the question by email, with a link to answer. The due "
            "date follows the organisation's answer delay."
        ),
    )
    addressed_to = AddresseeField(
        staff=True,
        label=_("For whom, as the asker said (correct it if needed)"),
        help_text=_("The asker sees the correction in the history of the question."),
    )

    def __init__(self, data=None, *, qpv: QPV, current: Organisation | None = None, **kwargs):
        super().__init__(data, **kwargs)
        # The organisations serving the neighbourhood, and the current one even if it no longer
        # serves it (forwarding again to it sends its correspondents the link once more).
        serving = Q(is_active=True, qpvs=qpv)
        if current is not None:
            serving |= Q(pk=current.pk)
        cast(
            forms.ModelChoiceField, self.fields["organisation"]
        ).queryset = Organisation.objects.filter(serving).distinct()
        _style(self)


class ExtendForm(forms.Form):
    new_due_on = DayField(
        label=_("New due date"),
        error_messages={
            "required": _("Enter the new due date."),
            "invalid": _("Enter a valid date."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the history of the question, visible to the staff."),
        error_messages={"required": _("Give the reason for the new due date.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Public reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the public page of the question and sent to the person who asked."),
        error_messages={
            "required": _("A question is closed without answer only with a public reason.")
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        # Shown next to ExtendForm, whose field has the same name: ids of their own (RGAA 8.2).
        kwargs.setdefault("auto_id", "id_close_%s")
        super().__init__(*args, **kwargs)
        _style(self)


# The two buttons of the answer form.
SAVE_DRAFT = "draft"
PUBLISH = "publish"


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=10000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Published on the portal with the name of the organisation and sent to the person "
            "who asked. Write plainly: residents read it."
        ),
    )
    easy_read = EasyReadField()
    received_by_other_channel = forms.BooleanField(
        label=_("Received by another channel (letter, phone…)"),
        required=False,
        help_text=_("Tick when you copy an answer the organisation gave outside the portal."),
    )

    def __init__(self, data=None, *, other_channel: bool, **kwargs) -> None:
        """`other_channel`: the user may enter answers received elsewhere (referents)."""
        super().__init__(data, **kwargs)
        if not other_channel:
            del self.fields["received_by_other_channel"]
        _style(self)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not self.errors and not cleaned.get("text"):
            message = (
                _("An empty answer cannot be published.")
                if self.publish
                else _("The answer is empty: there is nothing to save.")
            )
            self.add_error("text", message)
        return cleaned

    @property
    def publish(self) -> bool:
        # Only the "Publish" button publishes: a form sent any other way (the Enter key, a lost
        # button value) is kept as a draft, never made public by accident.
        return self.data.get("action") == PUBLISH
