"""Forms of projects: the lists' filters, an idea proposed online, the staff's project, step,
abandon, evaluation and moderation forms.

The rules (origin of the project's QPV, the stage machine, dates) live in projects.services; these
forms shape the input, and the views put a refused action's message on the field its code names.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from dialogue.models import DialogueSpace, Meeting
from participation.contract import DayField
from projects.forms.question_search import QuestionChoiceField, QuestionSearch, build_search
from projects.models import (
    STAGE_ORDER,
    CarriedBy,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectOrigin,
    ProjectStage,
)
from projects.services.projects import CREATION_STAGES, ORIGIN_FIELDS
from qpv.models import QPV
from questions.models import ACCEPTED_STATUSES, Question

TITLE_MAX_LENGTH = Project._meta.get_field("title").max_length
SUMMARY_MAX_LENGTH = Project._meta.get_field("summary").max_length
NOTE_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 2000
STAFF_ORIGINS = [
    (value, label) for value, label in ProjectOrigin.choices if value != ProjectOrigin.ONLINE
]


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.HiddenInput):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select"
        else:
            widget.attrs["class"] = "form-control"


def _qpv_choices(qpvs: Sequence[QPV], empty_label) -> list:
    groups: dict[str, list[tuple[str, str]]] = {}
    for qpv in qpvs:
        groups.setdefault(qpv.commune.name, []).append((qpv.slug, qpv.name))
    return [("", empty_label), *groups.items()]


def _required(message) -> dict:
    return {"required": message}


def _text_errors(required_message, limit_message) -> dict:
    return {"required": required_message, "max_length": limit_message}


STEP_IN_THE_FUTURE = _("The date of a step cannot be in the future.")


def _date_field(label, help_text=None, future_message=STEP_IN_THE_FUTURE) -> forms.DateField:
    """A day something happened: within the contract, not after today."""
    return DayField(
        label=label,
        past=True,
        future_message=future_message,
        initial=timezone.localdate,
        help_text=help_text,
        error_messages={
            "required": _("Give the date."),
            "invalid": _("Enter a valid date, e.g. 14/03/2026."),
        },
    )


def _level_field(label, **kwargs) -> forms.TypedChoiceField:
    """The participation scale, as radio buttons in increasing order: information < … <
    co-decision."""
    return forms.TypedChoiceField(
        label=label,
        choices=ParticipationLevel.choices,
        coerce=int,
        # No class here: crispy gives each radio its own, and a second one is a duplicate
        # attribute (invalid HTML).
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the participation level reached."),
            "invalid_choice": _("Choose one of the levels of the scale."),
        },
        **kwargs,
    )


def _residents_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Residents involved"),
        min_value=0,
        max_value=100000,
        initial=0,
        help_text=_("How many residents took part at this stage (an estimate is fine)."),
        error_messages={
            "required": _("Give the number of residents involved (0 if none)."),
            "invalid": _("Write a whole number, e.g. 12."),
            "min_value": _("The number of residents cannot be negative."),
            "max_value": _("This number is too large."),
        },
    )


def _reason_field(label, help_text, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=REASON_MAX_LENGTH,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_text_errors(
            _("Give the reason."),
            _(
                "The reason is too long: %(limit_value)d characters at most (it has %(show_value)d)."
            ),
        ),
    )


# Filters of the lists -----------------------------------------------------------------------------


class ProjectFilterForm(forms.Form):
    """Filters of the project lists, read from the query string. Invalid values filter nothing.

    `level` filters on the `level_reached` annotation (the highest level of the project's steps),
    which the view adds.
    """

    qpv = forms.ChoiceField(label=_("Neighbourhood"), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", _("All stages")), *ProjectStage.choices],
    )
    level = forms.TypedChoiceField(
        label=_("Participation reached, at least"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any level")), *ParticipationLevel.choices],
    )
    carried_by = forms.ChoiceField(
        label=_("Carried by"),
        required=False,
        choices=[("", _("All carriers")), *CarriedBy.choices],
    )
    moderation = forms.ChoiceField(
        label=_("Publication"),
        required=False,
        choices=[("", _("Published or not")), *ModerationStatus.choices],
    )

    def __init__(
        self,
        data=None,
        *,
        qpvs: Sequence[QPV] = (),
        without: Collection[str] = (),
        **kwargs,
    ) -> None:
        """`qpvs` (with their commune) are the choices of the QPV filter; `without` drops the
        filters a page has no use for (the QPV on a QPV's page, the publication on public pages)."""
        super().__init__(data, **kwargs)
        for name in without:
            del self.fields[name]
        if "qpv" in self.fields:
            cast(forms.ChoiceField, self.fields["qpv"]).choices = _qpv_choices(
                qpvs, _("All neighbourhoods")
            )
        _style(self)

    def filter(self, projects: QuerySet) -> QuerySet:
        if not self.is_bound or not self.is_valid():
            return projects
        data = self.cleaned_data
        if data.get("qpv"):
            projects = projects.filter(qpv__slug=data["qpv"])
        if data.get("stage"):
            projects = projects.filter(stage=data["stage"])
        if data.get("level"):
            projects = projects.filter(level_reached__gte=data["level"])
        if data.get("carried_by"):
            projects = projects.filter(carried_by=data["carried_by"])
        if data.get("moderation"):
            projects = projects.filter(moderation=data["moderation"])
        return projects

    @property
    def is_filtering(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


# An idea proposed online --------------------------------------------------------------------------


class _ProjectTextFields(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        help_text=_("In a few words, e.g. “A shared garden at the foot of the towers”."),
        error_messages=_text_errors(
            _("Give the project a title."),
            _("The title is too long: %(limit_value)d characters at most (it has %(show_value)d)."),
        ),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": SUMMARY_MAX_LENGTH}),
        error_messages=_text_errors(
            _("Describe the project in a few sentences."),
            _(
                "The summary is too long: %(limit_value)d characters at most "
                "(it has %(show_value)d)."
            ),
        ),
    )
    carried_by = forms.ChoiceField(
        label=_("Carried by"),
        choices=CarriedBy.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Say who carries the project."),
            "invalid_choice": _("Choose one of the proposed carriers."),
        },
    )
    carrier_name = forms.CharField(
        label=_("Name of the collective, association or institution (optional)"),
        max_length=200,
        required=False,
        error_messages={
            "max_length": _(
                "The name is too long: %(limit_value)d characters at most (it has %(show_value)d)."
            )
        },
    )

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError(_("Give the project a title."), code="required")
        return title

    def clean_summary(self) -> str:
        summary = self.cleaned_data["summary"].strip()
        if not summary:
            raise forms.ValidationError(
                _("Describe the project in a few sentences."), code="required"
            )
        return summary


class ProposeIdeaForm(_ProjectTextFields):
    """A resident proposes a project idea for the neighbourhood; the staff check it first."""

    # A field people never see: robots that fill every field give themselves away.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["summary"].help_text = _(
            "What would you like to do, for whom, with whom? Do not write personal data "
            "(address, phone, health…) nor anyone's name."
        )
        _style(self)

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())


# Staff: the project -------------------------------------------------------------------------------


class _OriginChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        if isinstance(obj, Meeting):
            day = timezone.localtime(obj.starts_at).strftime("%d/%m/%Y")
            return f"{day} — {obj.title}"
        if isinstance(obj, Question):
            text = " ".join(obj.text.split())
            return f"{obj.received_on.strftime('%d/%m/%Y')} — {text[:90]}"
        return obj.name


class ProjectForm(_ProjectTextFields):
    """What the project is. Its origin is chosen among the meetings, questions and spaces of its
    QPV; the service checks the choice matches the kind of origin."""

    origin = forms.ChoiceField(
        label=_("Origin"),
        choices=STAFF_ORIGINS,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose where the project comes from."),
            "invalid_choice": _("Choose one of the proposed origins."),
        },
    )
    origin_meeting = _OriginChoice(
        label=_("Meeting of origin"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=_("— No meeting —"),
        help_text=_("When the project was born at a meeting."),
        error_messages={"invalid_choice": _("Choose a meeting of the list.")},
    )
    origin_question = QuestionChoiceField(
        label=_("Question of origin"),
        queryset=Question.objects.none(),
        required=False,
        help_text=_("When the project answers a question asked by residents."),
        error_messages={"invalid_choice": _("Choose a question of the list.")},
    )
    origin_space = _OriginChoice(
        label=_("Dialogue space of origin"),
        queryset=DialogueSpace.objects.none(),
        required=False,
        empty_label=_("— No space —"),
        help_text=_("When the project was born in a dialogue space, outside a given meeting."),
        error_messages={"invalid_choice": _("Choose a dialogue space of the list.")},
    )

    field_order = [
        "title",
        "summary",
        "origin",
        "origin_meeting",
        "origin_question",
        "origin_space",
        "carried_by",
        "carrier_name",
    ]

    def __init__(
        self,
        *args,
        qpv: QPV,
        project: Project | None = None,
        search_data: Mapping[str, Any] | None = None,
        **kwargs,
    ):
        """`search_data`: where to read the words typed in the question search (the posted data
        by default; the views give it to an unbound form shown again after a search)."""
        super().__init__(*args, **kwargs)
        self.qpv = qpv
        self.search_data = self.data if search_data is None else search_data
        self.fields["carrier_name"].label = _("Name of the carrier (optional)")
        if project is not None and project.origin == ProjectOrigin.ONLINE:
            # An idea proposed online keeps that origin; staff may still link it elsewhere.
            cast(forms.ChoiceField, self.fields["origin"]).choices = ProjectOrigin.choices
        cast(forms.ModelChoiceField, self.fields["origin_meeting"]).queryset = (
            Meeting.objects.filter(dialogue_space__qpv=qpv)
            .select_related("dialogue_space")
            .order_by("-starts_at", "-pk")
        )
        cast(forms.ModelChoiceField, self.fields["origin_question"]).queryset = (
            Question.objects.filter(qpv=qpv, status__in=ACCEPTED_STATUSES)
            .only("pk", "text", "received_on", "qpv_id")
            .order_by("-received_on", "-pk")
        )
        cast(
            forms.ModelChoiceField, self.fields["origin_space"]
        ).queryset = DialogueSpace.objects.filter(qpv=qpv).order_by("name")
        _style(self)

    @cached_property
    def origin_question_search(self) -> QuestionSearch:
        return build_search(self, "origin_question", qpv=self.qpv, search_data=self.search_data)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        # Said at once with the other errors; the service checks it again (and the QPV).
        messages = {
            "origin_meeting": _("Choose the meeting the project comes from."),
            "origin_question": _("Choose the question the project comes from."),
            "origin_space": _("Choose the dialogue space the project comes from."),
        }
        field = ORIGIN_FIELDS.get(cleaned.get("origin") or "")
        if field and not cleaned.get(field) and field not in self.errors:
            self.add_error(field, messages[field])
        return cleaned


class ProjectCreateForm(ProjectForm):
    """A new project, and where it stands today: its first step."""

    stage = forms.ChoiceField(
        label=_("Current stage"),
        choices=[(stage.value, stage.label) for stage in CREATION_STAGES],
        initial=ProjectStage.IDEA,
        help_text=_("A project found already under way starts at its current stage."),
        error_messages={
            "required": _("Choose the stage the project is at."),
            "invalid_choice": _("Choose one of the stages of the list."),
        },
    )
    step_date = _date_field(_("Date of this stage"))
    participation_level = _level_field(
        _("Participation level reached"), initial=ParticipationLevel.INFORMATION
    )
    residents_involved = _residents_field()
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# Staff: steps, abandon, evaluation, moderation ----------------------------------------------------


class StepForm(forms.Form):
    """A change of stage: the new stage, its date, the participation reached, who took part."""

    stage = forms.ChoiceField(
        label=_("New stage"),
        error_messages={
            "required": _("Choose the new stage of the project."),
            "invalid_choice": _("Choose one of the stages of the list."),
        },
    )
    step_date = _date_field(_("Date"), help_text=_("The day the project reached this stage."))
    participation_level = _level_field(_("Participation level reached at this stage"))
    residents_involved = _residents_field()
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("What happened: a workshop, a vote, a decision… It is public."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = _reason_field(
        _("Reason (to go back to an earlier stage)"),
        _("Required when the project goes back to an earlier stage or starts again. It is public."),
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        # Evaluated and abandoned have their own forms; the current stage is not a change.
        cast(forms.ChoiceField, self.fields["stage"]).choices = [("", _("Choose a stage"))] + [
            (stage.value, stage.label)
            for stage in STAGE_ORDER
            if stage not in (ProjectStage.EVALUATED, project.stage)
        ]
        _style(self)


class AbandonForm(forms.Form):
    reason = _reason_field(
        _("Reason for abandoning"),
        _("Shown on the project's page: say why, plainly (funding, no carrier, other choice…)."),
        required=True,
    )
    step_date = _date_field(_("Date"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _(
            "Give the reason why the project is abandoned: it is shown on its page."
        )
        _style(self)


class EvaluationForm(forms.Form):
    """The experience evaluation. The fields of the evaluation step (level and residents of the
    evaluation itself) are asked only when saving it moves the project to "evaluated"."""

    voice_changed = forms.CharField(
        label=_("What residents' voice changed"),
        max_length=NOTE_MAX_LENGTH,
        help_text=_(
            "What the project became because residents took part, or that it changed little."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_text_errors(
            _("Say what residents' voice changed in the project (or that it changed nothing)."),
            _("This text is too long: %(limit_value)d characters at most (it has %(show_value)d)."),
        ),
    )
    to_keep = forms.CharField(
        label=_("What to keep"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    to_change = forms.CharField(
        label=_("What to change next time"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    highest_level = _level_field(_("Highest participation level reached"))
    evaluated_on = _date_field(
        _("Date of the evaluation"),
        future_message=_("The date of the evaluation cannot be in the future."),
    )
    participation_level = _level_field(
        _("Participation level of the evaluation itself"),
        help_text=_("Were residents involved in evaluating the project, and how?"),
    )
    residents_involved = _residents_field()

    def __init__(self, *args, with_step: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_step:
            del self.fields["participation_level"]
            del self.fields["residents_involved"]
        else:
            self.fields["residents_involved"].help_text = _(
                "How many residents took part in the evaluation (0 if none)."
            )
        _style(self)


class IdeaModerationForm(forms.Form):
    """Publish an idea, or refuse it with a reason emailed to the resident."""

    PUBLISH = "publish"
    REJECT = "reject"

    decision = forms.ChoiceField(
        choices=[(PUBLISH, _("Publish")), (REJECT, _("Reject"))], widget=forms.HiddenInput
    )
    reason = _reason_field(
        _("Reason for not publishing"),
        _("Sent by email to the person who proposed it: stay polite and explain what to change."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == self.REJECT and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason", _("Give the reason: it is sent to the person who proposed the idea.")
            )
        return cleaned
