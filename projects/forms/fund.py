"""Forms of the participation fund: envelopes, applications, decisions, payments.

The rules (an envelope never over-committed, a reason when refused or reduced, payments within the
grant...) live in projects.services.fund; these forms read and shape the input, catch what can be
told at once (a missing line amount, a total that does not match) and keep everything typed.
Choices come as lists loaded once by the view: validating a form costs no query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialogue.models import Meeting
from participation.contract import MAX_EUROS, DayField, contract_years, too_large_error
from participation.dates import date_format
from projects.models import FundEnvelope, Project
from projects.selectors import euros
from qpv.models import QPV, Commune

BUDGET_LINES = 8
# "1 500,50 €", "1500.50", "1 500" (spaces, narrow or non-breaking): all read as euros.
_SPACES = re.compile(r"[\s\u00a0\u202f€]")


class EuroField(forms.DecimalField):
    """An amount in euros, typed the French way or the English way; cents at most."""

    default_error_messages = {
        "invalid": _("Enter an amount in euros, for example 1500 or 1 500,50."),
        "max_decimal_places": _("Enter an amount in euros with at most two decimals (cents)."),
        "max_digits": _("This amount is too large."),
        "max_whole_digits": _("This amount is too large."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = _SPACES.sub("", value).replace(",", ".")
        return super().to_python(value)

    def widget_attrs(self, widget):
        # No "step"/"min" attributes: the field is a text input that accepts "1 500,50".
        return forms.Field.widget_attrs(self, widget)

    def validate(self, value):
        super().validate(value)
        # Three zeros too many is a typo, not an amount of the fund.
        if value is not None and value > MAX_EUROS:
            raise too_large_error()


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def _positive(form: forms.Form, name: str, message) -> None:
    value = form.cleaned_data.get(name)
    if value is not None and value <= 0:
        form.add_error(name, message)


# Envelopes ----------------------------------------------------------------------------------------


def place_key(envelope: FundEnvelope) -> str:
    return f"qpv-{envelope.qpv_id}" if envelope.qpv_id else f"commune-{envelope.commune_id}"


class EnvelopeForm(forms.Form):
    """A new envelope: a QPV of the referent's communes (or a whole commune), a year, an amount."""

    place = forms.ChoiceField(
        label=_("Neighbourhood or commune"),
        help_text=_("An envelope is set for one QPV, or for a whole commune."),
    )
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    amount = EuroField(label=_("Envelope (€)"))

    def __init__(
        self, data=None, *, qpvs: Sequence[QPV], communes: Sequence[Commune], **kwargs
    ) -> None:
        super().__init__(data, **kwargs)
        self._places: dict[str, QPV | Commune] = {}
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        for commune in communes:
            options = [
                (
                    f"commune-{commune.pk}",
                    _("%(commune)s (whole commune)") % {"commune": commune.name},
                )
            ]
            self._places[f"commune-{commune.pk}"] = commune
            for qpv in qpvs:
                if qpv.commune_id == commune.pk:
                    options.append((f"qpv-{qpv.pk}", qpv.name))
                    self._places[f"qpv-{qpv.pk}"] = qpv
            groups.append((commune.name, options))
        cast(forms.ChoiceField, self.fields["place"]).choices = [("", _("Choose…")), *groups]
        cast(forms.ChoiceField, self.fields["year"]).choices = [
            (year, str(year)) for year in contract_years()
        ]
        _style(self)

    def clean_place(self) -> QPV | Commune:
        return self._places[self.cleaned_data["place"]]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("amount") is not None and cleaned["amount"] < 0:
            self.add_error("amount", _("The envelope cannot be negative."))
        return cleaned


class EnvelopeAmountForm(forms.Form):
    amount = EuroField(label=_("Envelope (€)"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("amount") is not None and cleaned["amount"] < 0:
            self.add_error("amount", _("The envelope cannot be negative."))
        return cleaned


# Applications -------------------------------------------------------------------------------------


class ApplicationForm(forms.Form):
    """A residents' collective applies: the action, the contact, the amount and its budget lines."""

    title = forms.CharField(label=_("Title of the action"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you want to do, for whom, when and where, and who takes part."),
    )
    collective_name = forms.CharField(
        label=_("Name of the residents' collective"),
        max_length=200,
        help_text=_("An association or an informal group of residents."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=150)
    contact_email = forms.EmailField(label=_("Contact email"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    project = forms.ChoiceField(
        label=_("Linked project (optional)"),
        required=False,
        help_text=_("If the action carries on a project already presented on the portal."),
    )
    amount_requested = EuroField(
        label=_("Amount requested (€)"),
        help_text=_("It must be equal to the total of the budget lines above."),
    )

    def __init__(self, data=None, *, projects: Sequence[Project], **kwargs) -> None:
        super().__init__(data, **kwargs)
        self._projects = {str(project.pk): project for project in projects}
        cast(forms.ChoiceField, self.fields["project"]).choices = [
            ("", _("No linked project")),
            *((key, project.title) for key, project in self._projects.items()),
        ]
        if not projects:
            del self.fields["project"]
        for number in range(1, BUDGET_LINES + 1):
            self.fields[f"line_label_{number}"] = forms.CharField(
                label=_("Line %(number)s: expense") % {"number": number},
                max_length=200,
                required=False,
            )
            self.fields[f"line_amount_{number}"] = EuroField(
                label=_("Line %(number)s: amount (€)") % {"number": number}, required=False
            )
        _style(self)

    def line_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"line_label_{number}"], self[f"line_amount_{number}"])
            for number in range(1, BUDGET_LINES + 1)
        ]

    def clean_project(self) -> Project | None:
        return self._projects.get(self.cleaned_data["project"])

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        _positive(self, "amount_requested", _("The amount requested must be greater than zero."))
        lines: list[tuple[str, Decimal]] = []
        complete = True
        for number in range(1, BUDGET_LINES + 1):
            label_name, amount_name = f"line_label_{number}", f"line_amount_{number}"
            if label_name in self.errors or amount_name in self.errors:
                complete = False
                continue
            label = cleaned.get(label_name, "").strip()
            amount = cleaned.get(amount_name)
            if not label and amount is None:
                continue
            if not label:
                self.add_error(label_name, _("Say what this amount pays for."))
            if amount is None:
                self.add_error(amount_name, _("Enter the amount of this line."))
            elif amount <= 0:
                self.add_error(amount_name, _("The amount of a line must be greater than zero."))
            if label and amount is not None and amount > 0:
                lines.append((label, amount))
            else:
                complete = False
        if complete and not lines:
            self.add_error(None, _("Detail the budget in at least one line (expense and amount)."))
        requested = cleaned.get("amount_requested")
        if complete and lines and requested is not None and requested > 0:
            total = sum((amount for _label, amount in lines), Decimal("0"))
            if total != requested:
                self.add_error(
                    "amount_requested",
                    _(
                        "The budget lines add up to %(total)s but the amount requested is "
                        "%(requested)s: they must be equal."
                    )
                    % {"total": euros(total), "requested": euros(requested)},
                )
        cleaned["budget_lines"] = lines
        return cleaned


# Decisions and payments ---------------------------------------------------------------------------

GRANTED = "granted"
REFUSED = "refused"


class DecisionForm(forms.Form):
    """The residents' committee's decision on one application, recorded by the staff."""

    decision = forms.ChoiceField(
        label=_("Decision of the residents' committee"),
        choices=[(GRANTED, _("Granted")), (REFUSED, _("Refused"))],
        widget=forms.RadioSelect,
    )
    amount = EuroField(
        label=_("Amount granted (€)"),
        required=False,
        help_text=_("When granted: at most the amount requested and what is left in the envelope."),
    )
    meeting = forms.ChoiceField(label=_("Committee meeting"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required for a refusal or when granting less than requested; sent to the collective."
        ),
    )

    def __init__(self, data=None, *, meetings: Sequence[Meeting], **kwargs) -> None:
        super().__init__(data, **kwargs)
        self._meetings = {str(meeting.pk): meeting for meeting in meetings}
        cast(forms.ChoiceField, self.fields["meeting"]).choices = [
            ("", _("Not recorded")),
            *(
                (
                    key,
                    f"{date_format(timezone.localtime(meeting.starts_at), 'SHORT_DATE_FORMAT')}"
                    f" — {meeting.dialogue_space.name} — {meeting.title}",
                )
                for key, meeting in self._meetings.items()
            ),
        ]
        _style(self)

    def clean_meeting(self) -> Meeting | None:
        return self._meetings.get(self.cleaned_data["meeting"])

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == GRANTED:
            if cleaned.get("amount") is None and "amount" not in self.errors:
                self.add_error("amount", _("Enter the amount granted."))
            else:
                _positive(
                    self,
                    "amount",
                    _("The amount granted must be greater than zero; to grant nothing, refuse."),
                )
        elif cleaned.get("decision") == REFUSED and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason", _("Give the reason for the refusal: it is sent to the collective.")
            )
        return cleaned


class FileCheckForm(forms.Form):
    """Is the application complete? If not, what is missing (the collective is told)."""

    complete = forms.TypedChoiceField(
        label=_("The file"),
        choices=[("yes", _("Complete")), ("no", _("Incomplete"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Say whether the file is complete."),
            "invalid_choice": _("Choose complete or incomplete."),
        },
    )
    missing = forms.CharField(
        label=_("What is missing"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the collective as written: plain words, one piece per line."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("complete") is False and not cleaned.get("missing", "").strip():
            self.add_error("missing", _("Say what is missing: the collective is told, to send it."))
        return cleaned


class PaymentForm(forms.Form):
    amount = EuroField(label=_("Amount paid (€)"))
    paid_on = DayField(
        label=_("Paid on"),
        past=True,
        future_message=_("A payment is recorded once made: the date cannot be in the future."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        help_text=_("For example: first instalment, transfer reference."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        _positive(self, "amount", _("The amount paid must be greater than zero."))
        return cleaned
