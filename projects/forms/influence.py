"""Forms of 'Vous avez dit, nous avons fait': the public filters and the staff's record form.

The rules (a reason unless adopted, no future date, links within the QPV) are in
projects.services.influence; the record form offers only the meetings, questions and projects of
the record's QPV, and the views put a refusal of the service on the field it is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from dialogue.models import Meeting
from participation.contract import DayField
from participation.dates import date_format
from projects.forms.question_search import QuestionChoiceField, QuestionSearch, build_search
from projects.models import InfluenceOutcome, InfluenceRecord, Project
from qpv.models import QPV, Organisation
from questions.models import ACCEPTED_STATUSES, Question


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class InfluenceFilterForm(forms.Form):
    """Filters read from the query string: the QPV (metropole page only) and the outcome."""

    qpv = forms.ChoiceField(label=_("Neighbourhood"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("All outcomes")), *InfluenceOutcome.choices],
    )

    def __init__(self, data=None, *, qpvs: Sequence[QPV] | None, **kwargs) -> None:
        """`qpvs`: the choices of the QPV filter, loaded once by the view; None: no QPV filter."""
        super().__init__(data, **kwargs)
        if qpvs is None:
            del self.fields["qpv"]
        else:
            groups: dict[str, list[tuple[str, str]]] = {}
            for qpv in qpvs:
                groups.setdefault(qpv.commune.name, []).append((qpv.slug, qpv.name))
            cast(forms.ChoiceField, self.fields["qpv"]).choices = [
                ("", _("All neighbourhoods")),
                *groups.items(),
            ]
        _style(self)

    def _value(self, name: str) -> str:
        if not self.is_bound or not self.is_valid():
            return ""
        return self.cleaned_data.get(name, "")

    def filter_place(self, records: QuerySet[InfluenceRecord]) -> QuerySet[InfluenceRecord]:
        """The QPV filter only: the outcome counts are those of the place shown."""
        slug = self._value("qpv")
        return records.filter(qpv__slug=slug) if slug else records

    def filter_outcome(self, records: QuerySet[InfluenceRecord]) -> QuerySet[InfluenceRecord]:
        outcome = self._value("outcome")
        return records.filter(outcome=outcome) if outcome else records

    @property
    def is_filtering(self) -> bool:
        return any(self._value(name) for name in self.fields)


class _MeetingChoice(forms.ModelChoiceField):
    def label_from_instance(self, meeting: Meeting) -> str:
        return f"{date_format(localtime(meeting.starts_at), 'SHORT_DATE_FORMAT')} — {meeting.title}"


class InfluenceRecordForm(forms.Form):
    said = forms.CharField(
        label=_("What residents said"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Their proposal or request, in plain words, as residents would recognise it."),
        error_messages={"required": _("Say what residents said.")},
    )
    meeting = _MeetingChoice(
        label=_("Said at the meeting"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=_("No meeting"),
    )
    question = QuestionChoiceField(
        label=_("Or asked in the question"),
        queryset=Question.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose a question of the list.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=InfluenceOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome.")},
    )
    what_was_done = forms.CharField(
        label=_("What the institution did"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what the institution did.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the proposal is partly or not adopted: why, in plain words."),
    )
    project = forms.ModelChoiceField(
        label=_("On the project"),
        queryset=Project.objects.none(),
        required=False,
        empty_label=_("No project"),
    )
    action = forms.CharField(
        label=_("Or on the action"),
        max_length=200,
        required=False,
        help_text=_("When it is not a project of the portal: e.g. “Cleaning of the car parks”."),
    )
    institution = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Choose the institution"),
    )
    decided_on = DayField(
        label=_("Date of the decision"),
        past=True,
        future_message=_("The date is in the future: record a decision once it is taken."),
        error_messages={
            "required": _("Enter the date of the decision."),
            "invalid": _("Enter a valid date."),
        },
    )

    def __init__(
        self,
        data=None,
        *,
        qpv: QPV,
        record: InfluenceRecord | None = None,
        search_data: Mapping[str, Any] | None = None,
        **kwargs,
    ):
        """`search_data`: where to read the words typed in the question search (the posted data
        by default; the views give it to an unbound form shown again after a search)."""
        if record is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "said": record.said,
                "meeting": record.meeting_id,
                "question": record.question_id,
                "outcome": record.outcome,
                "what_was_done": record.what_was_done,
                "reason": record.reason,
                "project": record.project_id,
                "action": record.action,
                "institution": record.institution_id,
                "decided_on": record.decided_on,
            }
        super().__init__(data, **kwargs)
        self.qpv = qpv
        self.search_data = self.data if search_data is None else search_data
        # Only what belongs to the record's QPV; on edit, the current question and institution
        # stay choosable even if the question was since hidden or the institution left the QPV.
        current = record or InfluenceRecord()
        cast(forms.ModelChoiceField, self.fields["meeting"]).queryset = (
            Meeting.objects.filter(dialogue_space__qpv=qpv)
            .select_related("dialogue_space")
            .order_by("-starts_at", "-pk")
        )
        cast(forms.ModelChoiceField, self.fields["question"]).queryset = Question.objects.filter(
            Q(qpv=qpv, status__in=ACCEPTED_STATUSES) | Q(pk=current.question_id)
        ).order_by("-received_on", "-pk")
        cast(forms.ModelChoiceField, self.fields["project"]).queryset = Project.objects.filter(
            qpv=qpv
        ).order_by("title", "pk")
        cast(forms.ModelChoiceField, self.fields["institution"]).queryset = (
            Organisation.objects.filter(Q(is_active=True, qpvs=qpv) | Q(pk=current.institution_id))
            .distinct()
            .order_by("name")
        )
        _style(self)

    @cached_property
    def question_search(self) -> QuestionSearch:
        return build_search(self, "question", qpv=self.qpv, search_data=self.search_data)
