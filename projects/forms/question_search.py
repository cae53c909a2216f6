"""Choosing one question of a QPV by typing a few of its words (project origin, influence record).

A QPV holds thousands of questions over the contract: a `<select>` of all of them was a page of
3,597 options. The field renders as a search box and, below it, at most QUESTION_RESULTS
matching questions as radio buttons. Without JavaScript, the "Search" button posts the form,
which comes back with the results and everything typed (the views do not save then); with htmx,
typing refreshes the results only (`projects.views.question_search`). The field itself stays a
ModelChoiceField on the QPV's questions: a made-up or foreign id is refused with the form's
French message, like any other choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from qpv.models import QPV
from questions.models import Question

QUESTION_RESULTS = 20
SEARCH_MAX_LENGTH = 100
# The fields that offer the search, and the permission on the QPV that the search asks for (that
# of the form the field belongs to).
SEARCH_FIELDS = {
    "origin_question": "projects.manage_project",
    "question": "projects.manage_influence",
}


def question_label(question: Question) -> str:
    text = " ".join(question.text.split())
    if len(text) > 110:
        text = text[:109].rstrip() + "…"
    return f"{question.received_on.strftime('%d/%m/%Y')} — {text}"


def search_questions(
    questions: QuerySet[Question], text: str, *, exclude: int | None = None
) -> tuple[list[Question], bool]:
    """The latest questions holding every word typed (a number finds the question of that
    number): at most QUESTION_RESULTS, and whether there were more."""
    matching = questions
    for word in text.split()[:8]:
        number = word.lstrip("#")
        # ASCII digits only: "①" or "²" are digits to str.isdigit() but not to int().
        if number.isascii() and number.isdigit() and len(number) < 10:
            matching = matching.filter(Q(pk=int(number)) | Q(text__icontains=word))
        else:
            matching = matching.filter(text__icontains=word)
    if exclude is not None:
        matching = matching.exclude(pk=exclude)
    rows = list(
        matching.only("pk", "text", "received_on", "qpv_id").order_by("-received_on", "-pk")[
            : QUESTION_RESULTS + 1
        ]
    )
    return rows[:QUESTION_RESULTS], len(rows) > QUESTION_RESULTS


@dataclass
class QuestionSearch:
    """What the template of a question search shows (projects/includes/question_search.html)."""

    name: str
    text: str
    chosen: Question | None
    results: list[Question]
    more: bool
    url: str

    @property
    def chosen_label(self) -> str:
        return question_label(self.chosen) if self.chosen else ""

    @property
    def choices(self) -> list[tuple[int, str]]:
        return [(question.pk, question_label(question)) for question in self.results]

    @property
    def search_name(self) -> str:
        return f"{self.name}_q"

    @property
    def button_name(self) -> str:
        return f"{self.name}_search"


def search_text(data: Mapping[str, Any] | None, name: str) -> str:
    """The words typed, without control characters (a NUL byte cannot even reach PostgreSQL)."""
    text = str((data or {}).get(f"{name}_q", ""))
    text = "".join(char if char.isprintable() else " " for char in text)
    return " ".join(text.split())[:SEARCH_MAX_LENGTH]


def is_searching(data: Mapping[str, Any] | None) -> bool:
    """The form was posted by a "Search" button (no JavaScript): show results, save nothing."""
    return any(f"{name}_search" in (data or {}) for name in SEARCH_FIELDS)


def build_search(
    form: forms.Form, name: str, *, qpv: QPV, search_data: Mapping[str, Any] | None
) -> QuestionSearch:
    """The search of `form`'s field `name`: the chosen question (the posted or initial value,
    if it is one of the field's questions) and the results of what was typed."""
    model_field = form.fields[name]
    assert isinstance(model_field, forms.ModelChoiceField)
    questions: QuerySet[Question] = model_field.queryset  # type: ignore[assignment]
    raw = form[name].value()
    chosen = None
    if raw not in (None, ""):
        try:
            chosen = (
                questions.only("pk", "text", "received_on", "qpv_id").filter(pk=int(raw)).first()
            )
        except (TypeError, ValueError):
            chosen = None
    text = search_text(search_data, name)
    results, more = search_questions(questions, text, exclude=chosen.pk if chosen else None)
    query = {"qpv": qpv.slug, "field": name}
    if chosen is not None:
        query["chosen"] = str(chosen.pk)
    return QuestionSearch(
        name=name,
        text=text,
        chosen=chosen,
        results=results,
        more=more,
        url=f"{reverse('projects:question_choices')}?{urlencode(query)}",
    )


class QuestionChoiceWidget(forms.TextInput):
    """Never rendered itself (the template draws the search and the radio buttons): a plain input
    whose id the error summary links to, and which never lists the field's choices."""


class QuestionChoiceField(forms.ModelChoiceField):
    widget = QuestionChoiceWidget

    def label_from_instance(self, obj: Question) -> str:
        return question_label(obj)
