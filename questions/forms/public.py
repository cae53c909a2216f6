"""The filters of the public Q&A: read from the query string, never trusted."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from qpv.models import QPV, Organisation
from questions.models import Theme
from questions.selectors import PublicStatus, public_status_filter


class QuestionFilterForm(forms.Form):
    """Filters of the Q&A pages. An invalid form filters nothing: the page lists everything.

    `status` filters on the `public_status` annotation (questions.selectors.with_public_status),
    which the view adds with the date of the day.
    """

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *PublicStatus.choices],
    )
    theme = forms.ChoiceField(
        label=_("Theme"), required=False, choices=[("", _("All themes")), *Theme.choices]
    )
    organisation = forms.ChoiceField(label=_("Addressed to"), required=False)
    qpv = forms.ChoiceField(label=_("Neighbourhood"), required=False)

    def __init__(
        self,
        data=None,
        *,
        organisations: Sequence[Organisation] = (),
        qpvs: Sequence[QPV] = (),
        without: Collection[str] = (),
        **kwargs,
    ) -> None:
        """`organisations` and `qpvs` (with their commune) give the choices; `without` drops
        filters a page has no use for (the QPV on a QPV's page)."""
        super().__init__(data, **kwargs)
        for name in without:
            del self.fields[name]
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [
            ("", _("All organisations")),
            *((str(organisation.pk), organisation.name) for organisation in organisations),
        ]
        if "qpv" in self.fields:
            groups: dict[str, list[tuple[str, str]]] = {}
            for qpv in qpvs:
                groups.setdefault(qpv.commune.name, []).append((qpv.slug, qpv.name))
            cast(forms.ChoiceField, self.fields["qpv"]).choices = [
                ("", _("All neighbourhoods")),
                *groups.items(),
            ]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filter(self, questions: QuerySet, *, today: date) -> QuerySet:
        if not self.is_valid():
            return questions
        data = self.cleaned_data
        if data.get("status"):
            questions = questions.filter(public_status_filter(data["status"], today))
        if data.get("theme"):
            questions = questions.filter(theme=data["theme"])
        if data.get("organisation"):
            questions = questions.filter(organisation_id=int(data["organisation"]))
        if data.get("qpv"):
            questions = questions.filter(qpv__slug=data["qpv"])
        return questions

    @property
    def is_filtering(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())
